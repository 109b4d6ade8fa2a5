//! The ticket page's side panels below Details: linked tickets and merging, time
//! tracking, and the history. They are rendered on the server only, as one HTML
//! fragment the page places as it is (plain forms that post and come back, with or
//! without JavaScript), so the browser's WASM carries no code for them: the bundle
//! has a size budget, and these panels gain nothing from running in the browser.
//!
//! A form that fails comes back with the error in the address (`__path`, `__err`, as
//! Leptos's server functions send it); the fragment shows it next to that form.

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;

    use crate::error::AppError;
    use crate::tickets::api::HistoryEntry;
    use crate::tickets::links::LinkedTicket;
    use crate::tickets::page::{datetime, describe};
    use crate::tickets::time::{duration_text, TimeSheet};

    /// The error a plain form post came back with, and the server function it was for.
    pub fn form_error_in_request() -> Option<(String, AppError)> {
        use leptos::server_fn::error::ServerFnUrlError;
        let parts = use_context::<http::request::Parts>()?;
        let query = parts.uri.query()?;
        let mut path = None;
        let mut err = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = crate::ui::percent_decode(v, true);
            match k {
                "__path" => path = Some(v),
                "__err" => err = Some(v),
                _ => {}
            }
        }
        Some((path?, ServerFnUrlError::<AppError>::decode_err(&err?)))
    }

    /// What was typed in field `name` of a refused form (see `api::refuse_form`).
    fn typed(name: &str) -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        let key = format!("typed_{name}");
        parts.uri.query()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then(|| crate::ui::percent_decode(v, true))
        })
    }

    /// The typed value of `name`, when the form it belongs to came back refused.
    fn refill(failed: &Option<AppError>, name: &str) -> Option<String> {
        failed.as_ref().and_then(|_| typed(name))
    }

    /// Everything the side column shows below Details, as HTML.
    pub fn side_html(
        ticket_id: i64,
        number: i64,
        links: Vec<LinkedTicket>,
        sheet: TimeSheet,
        history: Vec<HistoryEntry>,
        now: i64,
        failed: Option<(String, AppError)>,
    ) -> String {
        let error_for = |endpoint: &str| -> Option<AppError> {
            failed
                .as_ref()
                .filter(|(p, _)| p.ends_with(endpoint))
                .map(|(_, e)| e.clone())
        };
        let links_view = links_panel(
            ticket_id,
            number,
            links,
            error_for("tickets/link"),
            error_for("tickets/unlink"),
            error_for("tickets/merge"),
        );
        let time_view = time_panel(
            ticket_id,
            sheet,
            now,
            error_for("time/start").or(error_for("time/stop")),
            error_for("time/add"),
        );
        let history_view = view! {
            <section class="card" aria-labelledby="history-heading">
                <h2 id="history-heading">"History"</h2>
                <ol class="history">
                    {history.into_iter().map(|h| {
                        let who = h.actor.clone().unwrap_or_else(|| "Grip".to_string());
                        let text = describe(&h);
                        view! {
                            <li class="history-line">
                                <span class="history-who">{who}</span>" "
                                <span class="history-what">{text}</span>
                                <time class="history-when muted">{datetime(h.at)}</time>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
        };
        view! { {links_view}{time_view}{history_view} }.to_html()
    }

    fn field_message(e: &Option<AppError>, field: &str) -> Option<String> {
        e.as_ref().and_then(|e| e.message_for(field))
    }

    /// A form-level message: an error that belongs to no field of the form.
    fn form_message(e: &Option<AppError>, fields: &[&str]) -> Option<String> {
        e.as_ref()
            .filter(|e| e.field().is_none_or(|f| !fields.contains(&f)))
            .map(|e| e.to_string())
    }

    fn links_panel(
        ticket_id: i64,
        number: i64,
        links: Vec<LinkedTicket>,
        link_error: Option<AppError>,
        unlink_error: Option<AppError>,
        merge_error: Option<AppError>,
    ) -> impl IntoView {
        let empty = links.is_empty();
        let (other_typed, relation_typed, into_typed) = (
            refill(&link_error, "other"),
            refill(&link_error, "relation").unwrap_or_default(),
            refill(&merge_error, "into"),
        );
        let needs_confirm = merge_error
            .as_ref()
            .is_some_and(|e| e.field() == Some("confirm"));
        view! {
            <section class="card" aria-labelledby="links-heading">
                <h2 id="links-heading">"Linked tickets"</h2>
                {empty.then(|| view! { <p class="muted">"None."</p> })}
                <ul class="links">
                    {links.into_iter().map(|l| {
                        let label = format!("Unlink #{}", l.number);
                        view! {
                            <li>
                                <span class="badge">{l.relation.label()}</span>" "
                                <a href=format!("/tickets/{}", l.number)>{format!("#{} {}", l.number, l.title)}</a>
                                {l.done.then(|| view! { " "<span class="muted">"(done)"</span> })}
                                <form method="post" action="/api/tickets/unlink" class="inline-form">
                                    <input type="hidden" name="ticket_id" value=ticket_id/>
                                    <input type="hidden" name="other_id" value=l.id/>
                                    <button type="submit" class="button link" aria-label=label>"Unlink"</button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {form_message(&unlink_error, &[]).map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <form method="post" action="/api/tickets/link" class="link-form" aria-label="Link a ticket">
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    <div class="field-row">
                        <div class="field">
                            <label for="link-relation">"This ticket is"</label>
                            <select id="link-relation" name="relation">
                                <option value="related">"related to"</option>
                                <option value="parent" selected=relation_typed == "parent">"a child of"</option>
                                <option value="child" selected=relation_typed == "child">"the parent of"</option>
                            </select>
                        </div>
                        <div class="field">
                            <label for="link-other">"Ticket number"</label>
                            <input id="link-other" name="other" inputmode="numeric" required=true placeholder="1042"
                                value=other_typed aria-describedby="link-other-error"/>
                            <p class="field-error" id="link-other-error" role="alert">{field_message(&link_error, "other")}</p>
                        </div>
                    </div>
                    {form_message(&link_error, &["other"]).map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    <button type="submit" class="button secondary small">"Link"</button>
                </form>
                <form method="post" action="/api/tickets/merge" class="merge-form" aria-label="Merge this ticket">
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    <div class="field">
                        <label for="merge-into">{format!("Merge #{number} into")}</label>
                        <p class="hint" id="merge-into-hint">"For duplicates: the conversation moves to the other ticket and this one is closed."</p>
                        <input id="merge-into" name="into" inputmode="numeric" required=true placeholder="1042"
                            value=into_typed aria-describedby="merge-into-hint merge-into-error"/>
                        <p class="field-error" id="merge-into-error" role="alert">{field_message(&merge_error, "into")}</p>
                    </div>
                    {form_message(&merge_error, &["into"]).map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    {needs_confirm.then(|| view! {
                        <label class="choice"><input type="checkbox" name="confirm" value="yes"/>" Merge anyway"</label>
                    })}
                    <button type="submit" class="button danger small">"Merge"</button>
                </form>
            </section>
        }
    }

    fn time_panel(
        ticket_id: i64,
        sheet: TimeSheet,
        now: i64,
        timer_error: Option<AppError>,
        add_error: Option<AppError>,
    ) -> impl IntoView {
        let asks_switch = timer_error
            .as_ref()
            .is_some_and(|e| e.to_string().contains("Stop it there"));
        let total: i64 = sheet.totals.iter().map(|t| t.1).sum();
        let (minutes_typed, day_typed, note_typed) = (
            refill(&add_error, "minutes"),
            refill(&add_error, "day"),
            refill(&add_error, "note"),
        );
        let timer = match sheet.running_here {
            Some(started) => view! {
                <p class="timer-running" role="status">
                    {format!("Timer running since {} ", datetime(started))}
                    <span class="muted">{format!("({} so far)", duration_text(((now - started) / 60_000).max(0)))}</span>
                </p>
                <form method="post" action="/api/time/stop">
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    <button type="submit" class="button primary small">"Stop timer"</button>
                </form>
            }
            .into_any(),
            None => view! {
                {sheet.running_elsewhere.map(|n| view! { <p class="muted">{format!("Your timer is running on #{n}.")}</p> })}
                <form method="post" action="/api/time/start">
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    {asks_switch.then(|| view! { <input type="hidden" name="confirm" value="yes"/> })}
                    <button type="submit" class="button secondary small">
                        {if asks_switch { "Stop the other timer and start here" } else { "Start timer" }}
                    </button>
                </form>
            }
            .into_any(),
        };
        view! {
            <section class="card" aria-labelledby="time-heading">
                <h2 id="time-heading">"Time"</h2>
                <div class="timer">
                    {timer}
                    {timer_error.map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                </div>
                <form method="post" action="/api/time/add" class="add-time" aria-label="Log time">
                    <input type="hidden" name="ticket_id" value=ticket_id/>
                    <div class="field-row">
                        <div class="field">
                            <label for="time-minutes">"Minutes"</label>
                            <input id="time-minutes" name="minutes" required=true placeholder="45 or 1:30" value=minutes_typed aria-describedby="time-minutes-error"/>
                            <p class="field-error" id="time-minutes-error" role="alert">{field_message(&add_error, "minutes")}</p>
                        </div>
                        <div class="field">
                            <label for="time-day">"Date"</label>
                            <input id="time-day" name="day" type="date" value=day_typed aria-describedby="time-day-error"/>
                            <p class="field-error" id="time-day-error" role="alert">{field_message(&add_error, "day")}</p>
                        </div>
                    </div>
                    <div class="field">
                        <label for="time-note">"Note"</label>
                        <input id="time-note" name="note" maxlength="500" value=note_typed/>
                    </div>
                    {form_message(&add_error, &["minutes", "day"]).map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    <button type="submit" class="button secondary small">"Log time"</button>
                </form>
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
            </section>
        }
    }
}
