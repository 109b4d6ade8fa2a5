use leptos::prelude::*;

use crate::error::AppError;

/// A labelled input whose error message sits right under it and is tied to it with
/// `aria-describedby`, so screen readers read the message with the field.
#[component]
pub fn Field(
    /// The visible label, also the input's accessible name.
    #[prop(into)]
    label: String,
    /// The form field name (the server function's argument).
    name: &'static str,
    /// The value typed so far; kept when a save fails.
    value: RwSignal<String>,
    /// The message to show under the field, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    // `bind:value` is a property, which server-rendered HTML has no place for: the
    // attribute carries the initial value so a page without JavaScript shows it.
    let initial = value.get_untracked();
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                list=(name == "customer_email").then_some("customer-hits")
                type=kind
                autocomplete=autocomplete
                required=required
                minlength=minlength
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                value=initial
                bind:value=value
            />
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A form-level message for errors that belong to no single field (wrong password,
/// too many attempts, a conflicting edit, server trouble).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || {
        error
            .get()
            .filter(|e| matches!(e.field(), None | Some("form")))
            .map(|e| e.to_string())
    };
    view! {
        <div class="form-error" role="alert">
            {move || message().map(|m| view! { <p>{m}</p> })}
        </div>
    }
}
