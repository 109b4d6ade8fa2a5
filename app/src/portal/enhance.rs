//! What the portal's server-rendered forms (`form.portal-form`) gain in a browser
//! with JavaScript, without any page code of their own:
//!
//! - each field is checked as the customer types, with the same Rust rules the server
//!   applies (`portal::model`), the message under the field and `aria-invalid` set;
//! - what is typed is kept in the browser (local storage) as a draft in the one draft
//!   format (`tickets::drafts`: per signed-in person, under the key the page puts in
//!   the form's `data-draft-key`, gone at sign-out), put back after a reload, and
//!   cleared when the form is sent;
//! - a form sent with files shows its progress (the post goes by `XMLHttpRequest`,
//!   then the browser follows the server's answer).
//!
//! The listeners sit on the document once; each page only restores its draft.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::tickets::drafts::{browser, encode_fields, field_of, LocalDraft};

/// The fields kept in a draft.
const KEPT: [&str; 5] = ["title", "description", "priority", "team", "body"];

/// Where the form's draft is kept (set by the page; none: no draft).
fn draft_key(form: &web_sys::HtmlFormElement) -> Option<String> {
    form.get_attribute("data-draft-key")
}

/// The control named `name` in `form`, as a plain element (input, textarea, select).
fn control(form: &web_sys::HtmlFormElement, name: &str) -> Option<web_sys::Element> {
    form.query_selector(&format!("[name={name}]"))
        .ok()
        .flatten()
}

fn value(el: &web_sys::Element) -> String {
    js_sys::Reflect::get(el, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn portal_form(target: Option<web_sys::EventTarget>) -> Option<web_sys::HtmlFormElement> {
    let el: web_sys::Element = target?.dyn_into().ok()?;
    el.closest("form.portal-form").ok()??.dyn_into().ok()
}

/// Shows the rule's message for `el` (or clears it).
fn check(el: &web_sys::Element) {
    let name = el.get_attribute("name").unwrap_or_default();
    let problem = crate::portal::model::field_problem(&name, &value(el));
    let _ = el.set_attribute(
        "aria-invalid",
        if problem.is_some() { "true" } else { "false" },
    );
    if let Some(p) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("field-{name}-error")))
    {
        p.set_text_content(problem.as_deref());
    }
}

fn save_draft(form: &web_sys::HtmlFormElement) {
    let Some(key) = draft_key(form) else { return };
    let fields: Vec<(&str, String)> = KEPT
        .iter()
        .filter_map(|n| control(form, n).map(|c| (*n, value(&c))))
        .collect();
    let draft = LocalDraft {
        content: encode_fields(&fields),
        saved_at: browser::now_ms() as i64,
        pending: false,
    };
    browser::write(&key, &draft);
}

fn on_input(ev: web_sys::Event) {
    let Some(form) = portal_form(ev.target()) else {
        return;
    };
    if let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    {
        check(&el);
    }
    save_draft(&form);
}

fn on_submit(ev: web_sys::Event) {
    let Some(form) = portal_form(ev.target()) else {
        return;
    };
    // Refuse in the browser first, with the server's own rules.
    let mut first_bad: Option<web_sys::Element> = None;
    for name in ["title", "description", "body"] {
        if let Some(el) = control(&form, name) {
            check(&el);
            if first_bad.is_none() && el.get_attribute("aria-invalid").as_deref() == Some("true") {
                first_bad = Some(el);
            }
        }
    }
    if let Some(el) = first_bad {
        ev.prevent_default();
        if let Ok(h) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = h.focus();
        }
        return;
    }
    if let Some(key) = draft_key(&form) {
        browser::remove(&key);
    }
    let has_files = form
        .query_selector("input[type=file]")
        .ok()
        .flatten()
        .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
        .is_some_and(|f| f.length() > 0);
    if has_files && send_with_progress(&form) {
        ev.prevent_default();
    }
}

/// Posts the form with `XMLHttpRequest` to show the upload's progress, then loads
/// the page the server answered with. False when that cannot start (the browser then
/// sends the form itself).
fn send_with_progress(form: &web_sys::HtmlFormElement) -> bool {
    let (Ok(xhr), Ok(data)) = (
        web_sys::XmlHttpRequest::new(),
        web_sys::FormData::new_with_form(form),
    ) else {
        return false;
    };
    if xhr.open("POST", &form.action()).is_err() {
        return false;
    }
    let bar = form
        .query_selector("progress.upload-progress")
        .ok()
        .flatten();
    if let Some(b) = &bar {
        let _ = b.remove_attribute("hidden");
    }
    if let (Ok(upload), Some(b)) = (xhr.upload(), bar.clone()) {
        let progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    let pct = (e.loaded() * 100.0 / e.total()) as u32;
                    let _ = b.set_attribute("value", &pct.min(100).to_string());
                }
            });
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
    }
    let done = {
        let xhr = xhr.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign(&xhr.response_url());
            }
        })
    };
    xhr.set_onload(Some(done.as_ref().unchecked_ref()));
    done.forget();
    let failed = {
        let form = form.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(b) = &bar {
                let _ = b.set_attribute("hidden", "");
            }
            if let Ok(Some(p)) = form.query_selector(".form-actions") {
                p.set_text_content(Some(
                    "The request could not be sent: check the connection, then reload the page and try again.",
                ));
            }
        })
    };
    xhr.set_onerror(Some(failed.as_ref().unchecked_ref()));
    failed.forget();
    xhr.send_with_opt_form_data(Some(&data)).is_ok()
}

/// Called when a server-rendered page has been placed: listens (once) for typing and
/// sending in portal forms, and puts a kept draft back into empty fields.
pub fn on_page() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static LISTENING: AtomicBool = AtomicBool::new(false);
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if !LISTENING.swap(true, Ordering::Relaxed) {
        let input = Closure::<dyn FnMut(web_sys::Event)>::new(on_input);
        let submit = Closure::<dyn FnMut(web_sys::Event)>::new(on_submit);
        let _ = doc.add_event_listener_with_callback("input", input.as_ref().unchecked_ref());
        let _ = doc.add_event_listener_with_callback("change", input.as_ref().unchecked_ref());
        let _ = doc.add_event_listener_with_callback("submit", submit.as_ref().unchecked_ref());
        input.forget();
        submit.forget();
    }
    let Some(form) = doc
        .query_selector("form.portal-form")
        .ok()
        .flatten()
        .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let Some(kept) = draft_key(&form).and_then(|key| browser::read(&key)) else {
        return;
    };
    for name in KEPT {
        let Some(saved) = field_of(&kept.content, name) else {
            continue;
        };
        if let Some(el) = control(&form, name) {
            // What the server sent back (a refused post) wins over the draft.
            if !saved.is_empty() && (value(&el).is_empty() || el.tag_name() == "SELECT") {
                let _ = js_sys::Reflect::set(&el, &"value".into(), &saved.as_str().into());
            }
        }
    }
}
