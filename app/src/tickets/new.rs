//! `/tickets/new`: the new-ticket form. Validation runs as you type (the server's own
//! rules) and again on the server; a failed save keeps everything typed.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{new_ticket_options, CreateTicket, TicketFormOptions};
use super::drafts::{encode_fields, field_of, Drafts, Scope};
use super::model::{parse_due_date, parse_tags, Priority, TicketTitle};
use crate::auth::model::Email;
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::customers::api::search_customers;
use crate::error::AppError;
use crate::ui::{load_page, Field, FormError};

#[component]
pub fn NewTicketPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| new_ticket_options());
    view! {
        <Title text="New ticket · Grip"/>
        <ProtectedWith access=Access::Staff data=options render=|o: TicketFormOptions| view! {
            <div class="page-head"><h1>"New ticket"</h1></div>
            <NewTicketForm options=o/>
        }.into_any()/>
    }
}

#[component]
fn NewTicketForm(options: TicketFormOptions) -> impl IntoView {
    let create = ServerAction::<CreateTicket>::new();
    let value = create.value();
    let s = || RwSignal::new(String::new());
    let (title, customer_email, customer_name, company, tags, due) = (s(), s(), s(), s(), s(), s());
    let description = s();
    // The form saves itself as a draft, like the composer: its text fields as one text.
    let fields = [
        ("title", title),
        ("description", description),
        ("customer_email", customer_email),
        ("customer_name", customer_name),
        ("company", company),
        ("tags", tags),
        ("due", due),
    ];
    let draft_text = s();
    let drafts = Drafts::new(
        options.viewer_id,
        Scope::NewTicket,
        options.draft.clone(),
        draft_text,
    );
    let restore = move || {
        let text = draft_text.get();
        for (name, sig) in fields {
            let v = field_of(&text, name).unwrap_or_default();
            if sig.get_untracked() != v {
                sig.set(v);
            }
        }
    };
    restore();
    Effect::new(move |_| restore());
    let on_input = move |_| {
        let now: Vec<(&str, String)> = fields
            .iter()
            .map(|(n, s)| (*n, s.get_untracked()))
            .collect();
        draft_text.set(encode_fields(&now));
        drafts.edited();
    };
    Effect::new(move |_| {
        if let Some(Ok(path)) = value.get() {
            drafts.clear(false);
            load_page(&path);
        }
    });
    let initial_description = description.get_untracked();
    let server_error = Signal::derive(move || value.get().and_then(|r| r.err()));
    let from_server =
        move |field: &'static str| server_error.get().and_then(|e| e.message_for(field));
    let live =
        move |field: &'static str, sig: RwSignal<String>, check: fn(&str) -> Option<AppError>| {
            Signal::derive(move || {
                from_server(field).or_else(|| {
                    let v = sig.get();
                    (!v.is_empty())
                        .then(|| check(&v).map(|e| e.to_string()))
                        .flatten()
                })
            })
        };
    let title_error = live("title", title, |v| TicketTitle::parse(v).err());
    let email_error = live("customer_email", customer_email, |v| {
        (v.contains('@') && !v.ends_with('@'))
            .then(|| Email::parse(v).err())
            .flatten()
    });
    let tags_error = live("tags", tags, |v| parse_tags(v).err());
    let due_error = live("due", due, |v| parse_due_date(v).err());
    let name_error = Signal::derive(move || from_server("customer_name"));
    let company_error = Signal::derive(move || from_server("company"));

    // Suggestions as you type (with JavaScript); without it the field is plain text.
    let hits = Resource::new(
        move || customer_email.get(),
        |q| async move {
            if q.trim().chars().count() < 2 {
                Ok(Vec::new())
            } else {
                search_customers(q).await
            }
        },
    );
    let team_field = Signal::derive(move || from_server("team"));
    let assignee_field = Signal::derive(move || from_server("assignee"));
    let first_team = options.teams.first().map(|t| t.id).unwrap_or_default();
    let team = RwSignal::new(first_team.to_string());
    let members = options.members.clone();
    view! {
        <section class="card form-card" aria-labelledby="new-ticket-heading">
            <h2 id="new-ticket-heading" class="visually-hidden">"Ticket details"</h2>
            <ActionForm action=create on:input=on_input>
                <Field label="Title" name="title" required=true value=title error=title_error/>
                <div class="field">
                    <label for="field-description">"Description"</label>
                    <textarea id="field-description" name="description" rows="5"
                        aria-describedby="field-description-error"
                        bind:value=description>{initial_description}</textarea>
                    <p class="field-error" id="field-description-error">{move || from_server("description")}</p>
                </div>
                <fieldset class="fieldset">
                    <legend>"Customer"</legend>
                    <Field label="Customer email" name="customer_email" kind="email" required=true value=customer_email error=email_error
                        hint="Type to find a customer. A new email adds a new customer."/>
                    <datalist id="customer-hits">
                        <Transition>
                            {move || Suspend::new(async move {
                                hits.await.unwrap_or_default().into_iter().map(|h| {
                                    let label = match h.company { Some(c) => format!("{} · {}", h.name, c), None => h.name };
                                    view! { <option value=h.email>{label}</option> }
                                }).collect_view()
                            })}
                        </Transition>
                    </datalist>
                    <Field label="New customer's name" name="customer_name" value=customer_name error=name_error
                        hint="Only for a customer Grip does not know yet."/>
                    <Field label="Company" name="company" value=company error=company_error
                        hint="Optional, for a new customer."/>
                </fieldset>
                <div class="field-row">
                    <div class="field">
                        <label for="field-team">"Team"</label>
                        <select id="field-team" name="team" aria-describedby="field-team-error"
                            on:change=move |ev| team.set(event_target_value(&ev))>
                            {options.teams.iter().map(|t| view! { <option value=t.id>{t.name.clone()}</option> }).collect_view()}
                        </select>
                        <p class="field-error" id="field-team-error">{move || team_field.get()}</p>
                    </div>
                    <div class="field">
                        <label for="field-priority">"Priority"</label>
                        <select id="field-priority" name="priority">
                            {Priority::ALL.into_iter().map(|p| view! {
                                <option value=p.as_str() selected=p == Priority::Normal>{p.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="field-assignee">"Assignee"</label>
                        <select id="field-assignee" name="assignee" aria-describedby="field-assignee-error">
                            <option value="">"Unassigned"</option>
                            {move || {
                                let t: i64 = team.get().parse().unwrap_or_default();
                                members.iter().filter(|m| m.team_id == t).map(|m| view! {
                                    <option value=m.id>{m.name.clone()}</option>
                                }).collect_view()
                            }}
                        </select>
                        <p class="field-error" id="field-assignee-error">{move || assignee_field.get()}</p>
                    </div>
                </div>
                <div class="field-row">
                    <Field label="Tags" name="tags" value=tags error=tags_error hint="Separate tags with commas."/>
                    <Field label="Due date" name="due" kind="date" value=due error=due_error/>
                </div>
                <FormError error=server_error/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create ticket" }}
                    </button>
                    <span class="draft-status muted" role="status" aria-live="polite">{move || drafts.status.get().label()}</span>
                </div>
            </ActionForm>
        </section>
    }
}
