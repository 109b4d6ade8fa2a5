//! The portal's two forms that carry files, a new request and a reply, as components.
//!
//! They post as ordinary `multipart/form-data` forms to the server's portal routes
//! (`server/src/portal.rs`), so they work the same without JavaScript: files go with
//! the form, and a refusal comes back with its message by the field and what was
//! typed (kept in the session), given here as `typed` and `refused`.
//!
//! Once hydrated they gain, with the same Rust rules the server applies
//! (`portal::model::field_problem`):
//! - each field checked as it is typed, the message under it and `aria-invalid` set,
//!   and a form with a problem not sent (the first bad field gets the focus);
//! - what is typed kept in the browser as a draft in the one draft format
//!   (`tickets::drafts`: per person, under `draft_key`, gone at sign-out), put back on
//!   the next visit and removed when the form is sent;
//! - files uploaded as soon as they are picked, with a progress bar each, by the
//!   composer's upload tray (`FileTray`); the form then sends their ids.

use leptos::prelude::*;

use super::model::{field_problem, PortalTeam, ViewerCompany};
use crate::error::AppError;
use crate::tickets::conversation::upload::{FileTray, Tray};

/// One field of a portal form: what is in it, and whether the customer has typed in
/// it (or tried to send), after which its live problem replaces the server's.
#[derive(Clone, Copy)]
struct Typed {
    name: &'static str,
    value: RwSignal<String>,
    touched: RwSignal<bool>,
    refused: Signal<Option<String>>,
}

impl Typed {
    fn new(name: &'static str, value: String, refused: &Option<AppError>) -> Typed {
        let message = refused.as_ref().and_then(|e| e.message_for(name));
        Typed {
            name,
            value: RwSignal::new(value),
            touched: RwSignal::new(false),
            refused: Signal::stored(message),
        }
    }

    /// The message shown under the field.
    fn problem(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            if self.touched.get() {
                field_problem(self.name, &self.value.get())
            } else {
                self.refused.get()
            }
        })
    }

    fn input(self) -> impl Fn(web_sys::Event) + Copy {
        move |ev| {
            self.value.set(event_target_value(&ev));
            self.touched.set(true);
        }
    }
}

/// The draft of a form's fields in the browser, under `key`.
#[derive(Clone, Copy)]
struct KeptDraft {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    key: StoredValue<String>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fields: StoredValue<Vec<Typed>>,
}

impl KeptDraft {
    /// Puts a kept draft back once the page is live (what the server sent back
    /// after a refusal wins over it), then keeps saving as the customer types.
    fn start(key: String, fields: Vec<Typed>) -> KeptDraft {
        let draft = KeptDraft {
            key: StoredValue::new(key),
            fields: StoredValue::new(fields),
        };
        #[cfg(feature = "hydrate")]
        Effect::new(move |first: Option<()>| {
            use crate::tickets::drafts::{browser, encode_fields, field_of, LocalDraft};
            let values: Vec<(&'static str, String)> = draft
                .fields
                .with_value(|f| f.iter().map(|t| (t.name, t.value.get())).collect());
            if first.is_none() {
                if let Some(kept) = draft.key.with_value(|k| browser::read(k)) {
                    draft.fields.with_value(|fields| {
                        for t in fields {
                            let saved = field_of(&kept.content, t.name).unwrap_or_default();
                            let select = matches!(t.name, "priority" | "team" | "company");
                            if !saved.is_empty() && (select || t.value.get_untracked().is_empty()) {
                                t.value.set(saved);
                            }
                        }
                    });
                }
                return;
            }
            let draft_now = LocalDraft {
                content: encode_fields(&values),
                saved_at: browser::now_ms() as i64,
                pending: false,
            };
            draft.key.with_value(|k| browser::write(k, &draft_now));
        });
        draft
    }

    /// On sending: checks every field with the server's rules. A form with a problem
    /// is not sent and its first bad field gets the focus; a good one forgets its
    /// draft (the server has it now). True when the form goes.
    fn send(self, ev: &web_sys::SubmitEvent) -> bool {
        let bad = self.fields.with_value(|fields| {
            fields.iter().for_each(|t| t.touched.set(true));
            fields
                .iter()
                .find(|t| field_problem(t.name, &t.value.get_untracked()).is_some())
                .map(|t| t.name)
        });
        if let Some(name) = bad {
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                if let Some(el) = document()
                    .get_element_by_id(&format!("field-{name}"))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = name;
            return false;
        }
        #[cfg(feature = "hydrate")]
        self.key
            .with_value(|k| crate::tickets::drafts::browser::remove(k));
        true
    }
}

impl KeptDraft {
    /// "Sending…" and what the form does on submit: nothing while a file is still
    /// uploading (the button is disabled then too), else [`KeptDraft::send`].
    fn submission(self, tray: Tray) -> (RwSignal<bool>, impl Fn(web_sys::SubmitEvent) + Copy) {
        let sending = RwSignal::new(false);
        let on_submit = move |ev: web_sys::SubmitEvent| {
            if tray.busy() {
                ev.prevent_default();
            } else if self.send(&ev) {
                sending.set(true);
            }
        };
        (sending, on_submit)
    }
}

/// A multi-line field with its hint and message tied to it.
#[component]
fn TextBox(
    field: Typed,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 5)] rows: u32,
) -> impl IntoView {
    let id = format!("field-{}", field.name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let problem = field.problem();
    let described = {
        let mut ids = vec![error_id.clone()];
        if hint.is_some() {
            ids.insert(0, hint_id.clone());
        }
        ids.join(" ")
    };
    let initial = field.value.get_untracked();
    view! {
        <div class="field" class:has-error=move || problem.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <textarea id=id name=field.name rows=rows aria-describedby=described
                aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                prop:value=move || field.value.get()
                on:input=field.input()>{initial}</textarea>
            <p class="field-error" id=error_id aria-live="polite">{move || problem.get()}</p>
        </div>
    }
}

/// Files for the form: without JavaScript a file input whose files go with the form;
/// once hydrated the upload tray, whose finished files go as ids.
#[component]
fn Attachments(tray: Tray, refused: Option<String>) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let limit_mb = tray.limit / (1024 * 1024);
    let invalid = refused.is_some();
    view! {
        <div class="field" class:has-error=invalid>
            <span class="label" id="field-attachments-label">"Attachments"</span>
            <p class="hint" id="field-attachments-hint">{format!("Optional. Up to {limit_mb} MB per file.")}</p>
            <Show when=move || !hydrated.get()>
                <input id="field-attachments" name="attachments" type="file" multiple=true
                    aria-labelledby="field-attachments-label"
                    aria-describedby="field-attachments-hint field-attachments-error"/>
            </Show>
            <FileTray tray/>
            <p class="field-error" id="field-attachments-error">{refused}</p>
        </div>
    }
}

/// "Sending…" while the browser posts the form (with JavaScript: the files went
/// already, with their own progress).
fn sending_status(sending: RwSignal<bool>) -> impl IntoView {
    view! { <span class="muted" role="status">{move || sending.get().then_some("Sending…")}</span> }
}

/// A form-level message for a refusal that belongs to none of `fields`.
fn form_alert(refused: &Option<AppError>, fields: &[&str]) -> Option<impl IntoView> {
    refused
        .as_ref()
        .filter(|e| e.field().is_none_or(|f| !fields.contains(&f)))
        .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
}

/// One of the New request form's choices by id (`field`): a select when there are
/// several `options`, the only one as a hidden field, nothing when there is none.
fn choice(
    field: Typed,
    label: &'static str,
    options: Vec<(i64, String)>,
    problem: Option<String>,
) -> AnyView {
    let name = field.name;
    match options.as_slice() {
        [] => ().into_any(),
        [(only, _)] => view! { <input type="hidden" name=name value=*only/> }.into_any(),
        _ => {
            let id = format!("field-{name}");
            let error_id = format!("field-{name}-error");
            let chosen = field.value.get_untracked();
            view! {
                <div class="field">
                    <label for=id.clone()>{label}</label>
                    <select id=id name=name aria-describedby=error_id.clone()
                        prop:value=move || field.value.get() on:change=field.input()>
                        {options.into_iter().map(|(value, text)| view! {
                            <option value=value selected=chosen == value.to_string()>{text}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id=error_id>{problem}</p>
                </div>
            }
            .into_any()
        }
    }
}

/// The New request form.
#[component]
pub fn RequestForm(
    /// Where the draft is kept (`tickets::drafts::storage_key`).
    draft_key: String,
    /// The teams a customer may ask (a choice only when there are several).
    teams: Vec<PortalTeam>,
    /// The customer's companies, primary first (a choice only when there are several).
    #[prop(default = Vec::new())]
    companies: Vec<ViewerCompany>,
    upload_limit: u64,
    /// What was typed, by field name, when the form was refused without JavaScript.
    #[prop(default = Vec::new())]
    typed: Vec<(String, String)>,
    /// Why it was refused.
    #[prop(default = None)]
    refused: Option<AppError>,
) -> impl IntoView {
    let kept = |name: &str| {
        typed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let title = Typed::new("title", kept("title"), &refused);
    let description = Typed::new("description", kept("description"), &refused);
    let priority = Typed::new(
        "priority",
        Some(kept("priority"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "normal".into()),
        &refused,
    );
    // A choice starts on its first option (the primary company), never blank.
    let or_first = |name: &str, first: Option<i64>| {
        Some(kept(name))
            .filter(|v| !v.is_empty())
            .or_else(|| first.map(|id| id.to_string()))
            .unwrap_or_default()
    };
    let team = Typed::new(
        "team",
        or_first("team", teams.first().map(|t| t.id)),
        &refused,
    );
    let company = Typed::new(
        "company",
        or_first("company", companies.first().map(|c| c.id)),
        &refused,
    );
    let draft = KeptDraft::start(draft_key, vec![title, description, priority, team, company]);
    let tray = Tray::new(None, upload_limit);
    let (sending, on_submit) = draft.submission(tray);
    let message = |name: &str| refused.as_ref().and_then(|e| e.message_for(name));
    let alert = form_alert(
        &refused,
        &[
            "title",
            "description",
            "priority",
            "team",
            "company",
            "attachments",
        ],
    );
    let title_problem = title.problem();
    view! {
        <form method="post" action="/portal/new" enctype="multipart/form-data" class="card portal-form"
            aria-label="New request" on:submit=on_submit>
            <crate::ui::Field label="Title" name="title" value=title.value error=title_problem
                required=true hint="A few words that say what it is about."
                on:input=move |_| title.touched.set(true)/>
            <TextBox field=description label="Description" rows=8
                hint="What happened, what you expected, and anything that helps us help you."/>
            <div class="field-row">
                <div class="field">
                    <label for="field-priority">"Priority"</label>
                    <select id="field-priority" name="priority" aria-describedby="field-priority-error"
                        prop:value=move || priority.value.get() on:change=priority.input()>
                        {[("low", "Low"), ("normal", "Normal"), ("high", "High")].into_iter().map(|(v, l)| {
                            let chosen = priority.value.get_untracked() == v;
                            view! { <option value=v selected=chosen>{l}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="field-priority-error">{message("priority")}</p>
                </div>
                {choice(team, "What do you need help with?", teams.iter().map(|t| (t.id, t.name.clone())).collect(), message("team"))}
                {choice(company, "Which company is this for?", companies.iter().map(|c| (c.id, c.name.clone())).collect(), message("company"))}
            </div>
            <Attachments tray refused=message("attachments")/>
            {alert}
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || sending.get() || tray.busy()>
                    "Submit request"
                </button>
                <a href="/portal" class="button secondary">"Cancel"</a>
                {sending_status(sending)}
            </div>
        </form>
    }
}

/// The reply form under a portal ticket's conversation.
#[component]
pub fn ReplyForm(
    number: i64,
    ticket_id: i64,
    draft_key: String,
    upload_limit: u64,
    #[prop(optional)] typed: String,
    #[prop(default = None)] refused: Option<AppError>,
) -> impl IntoView {
    let body = Typed::new("body", typed, &refused);
    let draft = KeptDraft::start(draft_key, vec![body]);
    let tray = Tray::new(Some(ticket_id), upload_limit);
    let (sending, on_submit) = draft.submission(tray);
    let attachments_refused = refused.as_ref().and_then(|e| e.message_for("attachments"));
    let alert = form_alert(&refused, &["body", "attachments"]);
    view! {
        <form method="post" action=format!("/portal/tickets/{number}/reply") enctype="multipart/form-data"
            class="composer portal-form" aria-label="Reply" on:submit=on_submit>
            <TextBox field=body label="Your reply"/>
            <Attachments tray refused=attachments_refused/>
            {alert}
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || sending.get() || tray.busy()>
                    "Send reply"
                </button>
                {sending_status(sending)}
            </div>
        </form>
    }
}
