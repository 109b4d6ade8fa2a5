//! The ticket page's side panels below Details: linked tickets and merging, time
//! tracking, and the history. They are components of the ticket page: each form is an
//! `ActionForm` bound to its server function, and a change reloads these panels only,
//! so what is typed in Details and not saved yet stays where it is.
//!
//! Without JavaScript the same forms post and come back: a refusal with its message
//! next to the field (Leptos's `__path`/`__err`) and what was typed (kept in the
//! session, see `KeptForm`).

use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::api::HistoryEntry;
use super::links::{LinkTicket, LinkedTicket, MergeTicket, UnlinkTicket};
use super::page::describe;
use super::time::{duration_text, AddTime, StartTimer, StopTimer, TimeSheet};
use crate::error::AppError;
use crate::ui::time::datetime;
use crate::ui::{failure, kept_value, message_at, message_outside, on_success, Field};

/// What the side panels show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideData {
    pub links: Vec<LinkedTicket>,
    pub sheet: TimeSheet,
    pub history: Vec<HistoryEntry>,
    /// The server's clock when this was read (epoch ms), for a running timer.
    pub now: i64,
}

/// The side panels of a ticket, for staff who may see it (anyone else: not found).
#[server(prefix = "/api", endpoint = "tickets/side")]
pub async fn ticket_side(ticket_id: i64) -> Result<SideData, AppError> {
    crate::api::respond(
        async {
            let (user, state) = crate::api::start_on_ticket(ticket_id).await?;
            load(&state.db, ticket_id, user.id).await
        }
        .await,
    )
}

/// The side panels of ticket `ticket_id` as `viewer` sees them (their timer).
#[cfg(feature = "ssr")]
pub async fn load(
    db: &crate::store::Db,
    ticket_id: i64,
    viewer: i64,
) -> Result<SideData, AppError> {
    let history = super::store::ticket_history(db, ticket_id)
        .await?
        .into_iter()
        .map(|h| HistoryEntry {
            actor: h.actor,
            action: h.action,
            field: h.field,
            old: h.old_value,
            new: h.new_value,
            at: h.at,
        })
        .collect();
    Ok(SideData {
        links: super::links::store::links_of(db, ticket_id).await?,
        sheet: super::time::store::sheet(db, ticket_id, viewer).await?,
        history,
        now: crate::store::now_ms(),
    })
}

/// Linked tickets, merging, time and history of one ticket.
#[component]
pub fn SidePanels(ticket_id: i64, number: i64, initial: SideData) -> impl IntoView {
    let data = RwSignal::new(initial);
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = ticket_side(ticket_id).await {
                data.set(fresh);
            }
        });
    };
    view! {
        <LinksPanel ticket_id number data reload/>
        <TimePanel ticket_id data reload/>
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <ol class="history">
                {move || data.with(|d| d.history.clone()).into_iter().map(|h| {
                    let who = h.actor.clone().unwrap_or_else(|| "Grip".to_string());
                    let text = describe(&h);
                    view! {
                        <li class="history-line">
                            <span class="history-who">{who}</span>" "
                            <span class="history-what">{text}</span>
                            <time class="history-when muted" datetime=crate::ui::time::iso(h.at)>{datetime(h.at)}</time>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

/// The path of server function `S`, as a form posts to it.
fn path_of<S: leptos::server_fn::ServerFn>() -> &'static str {
    S::PATH
}

#[component]
fn LinksPanel(
    ticket_id: i64,
    number: i64,
    data: RwSignal<SideData>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let link = ServerAction::<LinkTicket>::new();
    let unlink = ServerAction::<UnlinkTicket>::new();
    let merge = ServerAction::<MergeTicket>::new();
    let (link_path, merge_path) = (path_of::<LinkTicket>(), path_of::<MergeTicket>());
    let other = RwSignal::new(kept_value(link_path, "other").unwrap_or_default());
    let relation = kept_value(link_path, "relation").unwrap_or_default();
    let into = RwSignal::new(kept_value(merge_path, "into").unwrap_or_default());
    on_success(link.value(), move |_| {
        other.set(String::new());
        reload();
    });
    on_success(unlink.value(), move |_| reload());
    // The duplicate is closed: its conversation now lives in the other ticket.
    let navigate = leptos_router::hooks::use_navigate();
    on_success(merge.value(), move |to: String| {
        navigate(&to, Default::default())
    });
    let (link_error, unlink_error, merge_error) = (
        failure(link.value()),
        failure(unlink.value()),
        failure(merge.value()),
    );
    let needs_confirm = move || {
        merge_error
            .get()
            .is_some_and(|e| e.field() == Some("confirm"))
    };
    let unlink_message = message_outside(unlink_error, &[]);
    let link_message = message_outside(link_error, &["other"]);
    let merge_message = message_outside(merge_error, &["into"]);
    view! {
        <section class="card" aria-labelledby="links-heading">
            <h2 id="links-heading">"Linked tickets"</h2>
            {move || data.with(|d| d.links.is_empty()).then(|| view! { <p class="muted">"None."</p> })}
            <ul class="links">
                {move || data.with(|d| d.links.clone()).into_iter().map(|l| {
                    let label = format!("Unlink #{}", l.number);
                    view! {
                        <li>
                            <span class="badge">{l.relation.label()}</span>" "
                            <a href=format!("/tickets/{}", l.number)>{format!("#{} {}", l.number, l.title)}</a>
                            {l.done.then(|| view! { " "<span class="muted">"(done)"</span> })}
                            <ActionForm action=unlink attr:class="inline-form">
                                <input type="hidden" name="ticket_id" value=ticket_id/>
                                <input type="hidden" name="other_id" value=l.id/>
                                <button type="submit" class="button link" aria-label=label>"Unlink"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="form-error" role="alert">{unlink_message}</p>
            <ActionForm action=link attr:class="link-form" attr:aria-label="Link a ticket">
                <input type="hidden" name="ticket_id" value=ticket_id/>
                <div class="field-row">
                    <div class="field">
                        <label for="link-relation">"This ticket is"</label>
                        <select id="link-relation" name="relation">
                            <option value="related">"related to"</option>
                            <option value="parent" selected=relation == "parent">"a child of"</option>
                            <option value="child" selected=relation == "child">"the parent of"</option>
                        </select>
                    </div>
                    <Field label="Ticket number" name="other" value=other required=true
                        error=message_at(link_error, "other")/>
                </div>
                <p class="form-error" role="alert">{link_message}</p>
                <button type="submit" class="button secondary small" disabled=move || link.pending().get()>
                    {move || if link.pending().get() { "Linking…" } else { "Link" }}
                </button>
            </ActionForm>
            <ActionForm action=merge attr:class="merge-form" attr:aria-label="Merge this ticket">
                <input type="hidden" name="ticket_id" value=ticket_id/>
                <Field label=format!("Merge #{number} into") name="into" value=into required=true
                    error=message_at(merge_error, "into")
                    hint="For duplicates: the conversation moves to the other ticket and this one is closed."/>
                <p class="form-error" role="alert">{merge_message}</p>
                {move || needs_confirm().then(|| view! {
                    <label class="choice"><input type="checkbox" name="confirm" value="yes"/>" Merge anyway"</label>
                })}
                <button type="submit" class="button danger small" disabled=move || merge.pending().get()>
                    {move || if merge.pending().get() { "Merging…" } else { "Merge" }}
                </button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn TimePanel(
    ticket_id: i64,
    data: RwSignal<SideData>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let start = ServerAction::<StartTimer>::new();
    let stop = ServerAction::<StopTimer>::new();
    let add = ServerAction::<AddTime>::new();
    let add_path = path_of::<AddTime>();
    let minutes = RwSignal::new(kept_value(add_path, "minutes").unwrap_or_default());
    let day = RwSignal::new(kept_value(add_path, "day").unwrap_or_default());
    let note = RwSignal::new(kept_value(add_path, "note").unwrap_or_default());
    on_success(start.value(), move |_| reload());
    on_success(stop.value(), move |_| reload());
    on_success(add.value(), move |_| {
        minutes.set(String::new());
        note.set(String::new());
        reload();
    });
    let (start_error, stop_error, add_error) = (
        failure(start.value()),
        failure(stop.value()),
        failure(add.value()),
    );
    // Starting while the timer runs on another ticket asks first.
    let asks_switch = move || {
        start_error
            .get()
            .is_some_and(|e| e.field() == Some("confirm"))
    };
    let timer_message = Signal::derive(move || {
        start_error
            .get()
            .or(stop_error.get())
            .map(|e| e.to_string())
    });
    let add_message = message_outside(add_error, &["minutes", "day", "note"]);
    let timer = move || {
        let (running_here, running_elsewhere, now) =
            data.with(|d| (d.sheet.running_here, d.sheet.running_elsewhere, d.now));
        match running_here {
            Some(started) => view! {
                <p class="timer-running" role="status">
                    {format!("Timer running since {} ", datetime(started))}
                    <span class="muted">{format!("({} so far)", duration_text(((now - started) / 60_000).max(0)))}</span>
                </p>
                <ActionForm action=stop>
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    <button type="submit" class="button primary small">"Stop timer"</button>
                </ActionForm>
            }
            .into_any(),
            None => view! {
                {running_elsewhere.map(|n| view! { <p class="muted">{format!("Your timer is running on #{n}.")}</p> })}
                <ActionForm action=start>
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    {move || asks_switch().then(|| view! { <input type="hidden" name="confirm" value="yes"/> })}
                    <button type="submit" class="button secondary small">
                        {move || if asks_switch() { "Stop the other timer and start here" } else { "Start timer" }}
                    </button>
                </ActionForm>
            }
            .into_any(),
        }
    };
    view! {
        <section class="card" aria-labelledby="time-heading">
            <h2 id="time-heading">"Time"</h2>
            <div class="timer">
                {timer}
                <p class="form-error" role="alert">{timer_message}</p>
            </div>
            <ActionForm action=add attr:class="add-time" attr:aria-label="Log time">
                <input type="hidden" name="ticket_id" value=ticket_id/>
                <div class="field-row">
                    <Field label="Minutes" name="minutes" value=minutes required=true
                        error=message_at(add_error, "minutes") hint="45, or 1:30 for an hour and a half."/>
                    <Field label="Date" name="day" kind="date" value=day error=message_at(add_error, "day")/>
                </div>
                <Field label="Note" name="note" value=note error=message_at(add_error, "note")/>
                <p class="form-error" role="alert">{add_message}</p>
                <button type="submit" class="button secondary small" disabled=move || add.pending().get()>
                    {move || if add.pending().get() { "Logging…" } else { "Log time" }}
                </button>
            </ActionForm>
            {move || {
                let sheet = data.with(|d| d.sheet.clone());
                let total: i64 = sheet.totals.iter().map(|t| t.1).sum();
                view! {
                    <p class="time-total"><strong>{format!("Total: {}", duration_text(total))}</strong></p>
                    <ul class="time-totals" aria-label="Time per person">
                        {sheet.totals.into_iter().map(|(who, m)| view! { <li>{format!("{who}: {}", duration_text(m))}</li> }).collect_view()}
                    </ul>
                    <ol class="time-entries" aria-label="Time entries">
                        {sheet.entries.into_iter().map(|e| view! {
                            <li>
                                <span class="history-who">{e.person}</span>" "
                                {match e.minutes { Some(m) => duration_text(m), None => "running".to_string() }}
                                " · "{e.day}
                                {(!e.note.is_empty()).then(|| format!(" · {}", e.note))}
                            </li>
                        }).collect_view()}
                    </ol>
                }
            }}
        </section>
    }
    .into_any()
}
