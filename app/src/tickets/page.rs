//! `/tickets/{number}`: a ticket's fields, editable by staff of its team, and its
//! history (the audit trail: who changed what, when).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use super::api::{get_ticket, HistoryEntry, TicketDetail, UpdateTicket};
use super::conversation::view::ConversationPanel;
use super::model::{parse_due_date, parse_tags, Priority, TicketTitle};
use super::side::SidePanels;
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::ui::time::{age, date};
use crate::ui::{Field, FormError};

#[component]
pub fn TicketPage() -> impl IntoView {
    let number = crate::ui::number_param();
    let update = ServerAction::<UpdateTicket>::new();
    // Reloaded after a successful save only: a failed save keeps what was typed.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    let ticket = Resource::new(
        move || (number(), saved.get()),
        |(number, _)| async move {
            match number {
                Some(n) => get_ticket(n).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <ProtectedWith access=Access::Staff data=ticket
            render=move |t: TicketDetail| match t.merged_into {
                // A merged duplicate's number leads to the ticket it was merged into.
                Some(n) => view! { <Redirect path=format!("/tickets/{n}")/> }.into_any(),
                None => view! { <TicketView ticket=t update/> }.into_any(),
            }/>
    }
}

#[component]
fn TicketView(ticket: TicketDetail, update: ServerAction<UpdateTicket>) -> impl IntoView {
    let value = update.value();
    let server_error = Signal::derive(move || value.get().and_then(|r| r.err()));
    let from_server =
        move |field: &'static str| server_error.get().and_then(|e| e.message_for(field));
    let title = RwSignal::new(ticket.title.clone());
    let tags = RwSignal::new(ticket.tags.join(", "));
    let due = RwSignal::new(ticket.due_at.map(date).unwrap_or_default());
    let title_error = Signal::derive(move || {
        from_server("title").or_else(|| {
            TicketTitle::parse(&title.get())
                .err()
                .map(|e| e.to_string())
        })
    });
    let tags_error = Signal::derive(move || {
        from_server("tags").or_else(|| parse_tags(&tags.get()).err().map(|e| e.to_string()))
    });
    let due_error = Signal::derive(move || {
        from_server("due").or_else(|| parse_due_date(&due.get()).err().map(|e| e.to_string()))
    });
    let saved_note = move || matches!(value.get(), Some(Ok(_))).then_some("Saved.");
    let overdue = ticket.overdue();
    let heading = format!("#{} {}", ticket.number, ticket.title);
    let board_link = format!("/board?team={}", ticket.team.id);
    let customer_link = format!("/customers/{}", ticket.customer_id);
    let stage_name = ticket
        .stages
        .iter()
        .find(|s| s.id == ticket.stage_id)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let now = ticket.now;
    let conversation = ticket.conversation.clone();
    let ticket_id = ticket.id;
    let (number, side) = (ticket.number, ticket.side.clone());
    view! {
        <Title text=format!("#{} {} · Grip", ticket.number, ticket.title)/>
        <div class="page-head">
            <h1 class="ticket-heading">{heading}</h1>
            <a class="button secondary" href=board_link>{format!("{} board", ticket.team.name)}</a>
        </div>
        <p class="ticket-summary muted">
            <span class="badge">{stage_name}</span>" "
            <a href=customer_link>{ticket.customer.clone()}</a>
            {format!(" <{}>", ticket.customer_email)}
            {ticket.company.clone().map(|c| format!(" · {c}"))}
            {ticket.owner.clone().map(|o| format!(" · Account owner: {o}"))}
            {format!(" · opened {} ago", age(now - ticket.created_at))}
            {ticket.completed_at.map(|c| format!(" · completed {}", date(c)))}
            {overdue.then(|| view! { " · "<strong class="overdue-text">"Overdue"</strong> })}
        </p>
        <div class="ticket-layout">
            <div class="ticket-main">
                <ConversationPanel ticket_id conversation/>
            </div>
            <div class="ticket-side">
            <section class="card" aria-labelledby="ticket-fields-heading">
                <h2 id="ticket-fields-heading">"Details"</h2>
                <ActionForm action=update>
                    <input type="hidden" name="ticket_id" value=ticket.id/>
                    <input type="hidden" name="seen" value=ticket.updated_at/>
                    <Field label="Title" name="title" required=true value=title error=title_error/>
                    <div class="field">
                        <label for="field-description">"Description"</label>
                        <textarea id="field-description" name="description" rows="6"
                            aria-describedby="field-description-error">{ticket.description.clone()}</textarea>
                        <p class="field-error" id="field-description-error">{move || from_server("description")}</p>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label for="field-stage">"Stage"</label>
                            <select id="field-stage" name="stage" aria-describedby="field-stage-error">
                                {ticket.stages.iter().map(|s| view! {
                                    <option value=s.id selected=s.id == ticket.stage_id>{s.name.clone()}</option>
                                }).collect_view()}
                            </select>
                            <p class="field-error" id="field-stage-error">{move || from_server("stage")}</p>
                        </div>
                        <div class="field">
                            <label for="field-priority">"Priority"</label>
                            <select id="field-priority" name="priority">
                                {Priority::ALL.into_iter().map(|p| view! {
                                    <option value=p.as_str() selected=p == ticket.priority>{p.label()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="field-assignee">"Assignee"</label>
                            <select id="field-assignee" name="assignee" aria-describedby="field-assignee-error">
                                <option value="" selected=ticket.assignee_id.is_none()>"Unassigned"</option>
                                {ticket.members.iter().map(|m| view! {
                                    <option value=m.id selected=Some(m.id) == ticket.assignee_id>{m.name.clone()}</option>
                                }).collect_view()}
                            </select>
                            <p class="field-error" id="field-assignee-error">{move || from_server("assignee")}</p>
                        </div>
                    </div>
                    <div class="field-row">
                        <Field label="Tags" name="tags" value=tags error=tags_error hint="Separate tags with commas."/>
                        <Field label="Due date" name="due" kind="date" value=due error=due_error/>
                    </div>
                    <FormError error=server_error/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" disabled=move || update.pending().get()>
                            {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                        </button>
                        <span class="saved-note" role="status">{saved_note}</span>
                    </div>
                </ActionForm>
            </section>
            <div class="side-panels"><SidePanels ticket_id number initial=side/></div>
            </div>
        </div>
    }
    .into_any()
}

/// "changed priority from Normal to High", "moved it from New to Waiting", …
pub fn describe(h: &HistoryEntry) -> String {
    let field = h.field.as_deref().unwrap_or_default();
    let shown = |v: &Option<String>| match v {
        None => "nothing".to_string(),
        Some(v) if field == "description" => format!("{} characters", v.chars().count()),
        Some(v) => format!("“{v}”"),
    };
    match h.action.as_str() {
        "created" => format!("created the ticket {}", h.new.clone().unwrap_or_default()),
        "moved" => format!(
            "moved it from {} to {}",
            h.old.clone().unwrap_or_default(),
            h.new.clone().unwrap_or_default()
        ),
        "reordered" => "reordered it within its column".to_string(),
        "replied" => format!(
            "replied to the customer: {}",
            h.new.clone().unwrap_or_default()
        ),
        "customer_replied" => format!("wrote: {}", h.new.clone().unwrap_or_default()),
        "noted" => "added an internal note".to_string(),
        "deleted" if field == "note" => "deleted an internal note".to_string(),
        "merged" if field == "merged_into" => {
            format!("merged it into {}", h.new.clone().unwrap_or_default())
        }
        "merged" => format!("merged {} into it", h.new.clone().unwrap_or_default()),
        "linked" => format!(
            "linked {} as {}",
            h.new.clone().unwrap_or_default(),
            match field {
                "parent" => "its parent",
                "child" => "its child",
                _ => "related",
            }
        ),
        "unlinked" => format!("unlinked {}", h.old.clone().unwrap_or_default()),
        "timer_started" => "started a timer".to_string(),
        "timer_stopped" => format!("stopped a timer ({})", h.new.clone().unwrap_or_default()),
        "time_logged" => format!("logged {}", h.new.clone().unwrap_or_default()),
        "changed" if field == "description" => "edited the description".to_string(),
        "changed" => format!(
            "changed {} from {} to {}",
            field_label(field),
            shown(&h.old),
            shown(&h.new)
        ),
        other => format!("{other} {}", field_label(field)),
    }
}

fn field_label(field: &str) -> &str {
    match field {
        "due" => "the due date",
        "assignee" => "the assignee",
        "priority" => "the priority",
        "title" => "the title",
        "tags" => "the tags",
        "stage" => "the stage",
        f => f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        action: &str,
        field: Option<&str>,
        old: Option<&str>,
        new: Option<&str>,
    ) -> HistoryEntry {
        HistoryEntry {
            actor: Some("Ada".into()),
            action: action.into(),
            field: field.map(Into::into),
            old: old.map(Into::into),
            new: new.map(Into::into),
            at: 0,
        }
    }

    #[test]
    fn history_lines_say_what_changed_in_words() {
        assert_eq!(
            describe(&entry(
                "changed",
                Some("priority"),
                Some("Normal"),
                Some("High")
            )),
            "changed the priority from “Normal” to “High”"
        );
        assert_eq!(
            describe(&entry("changed", Some("assignee"), None, Some("Bo"))),
            "changed the assignee from nothing to “Bo”"
        );
        assert_eq!(
            describe(&entry("moved", Some("stage"), Some("New"), Some("Waiting"))),
            "moved it from New to Waiting"
        );
    }
}
