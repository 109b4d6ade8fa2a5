//! The portal forms' browser-side behaviour in a real browser (headless Chromium
//! through wasm-bindgen-test), on markup shaped like the server renders it: a field
//! is checked as it is typed with the server's rules, the draft is kept in local
//! storage and put back on the next visit, and a form with a problem is not sent.

#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlFormElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const FORM: &str = r#"
<form method="post" action="/portal/new" class="portal-form" data-draft-key="grip.draft.7.portal-new">
  <input id="field-title" name="title">
  <p class="field-error" id="field-title-error"></p>
  <textarea id="field-description" name="description"></textarea>
  <p class="field-error" id="field-description-error"></p>
  <select id="field-priority" name="priority"><option value="low">Low</option><option value="normal" selected>Normal</option><option value="high">High</option></select>
  <div class="form-actions"><button type="submit">Submit request</button></div>
</form>"#;

fn page() -> HtmlElement {
    page_of(FORM)
}

fn page_of(markup: &str) -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    div.set_inner_html(markup);
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn by_id<T: JsCast>(id: &str) -> T {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .get_element_by_id(id)
        .unwrap()
        .unchecked_into()
}

fn set(id: &str, value: &str) {
    let el: web_sys::Element = by_id(id);
    js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    let init = EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
}

fn text(id: &str) -> String {
    by_id::<web_sys::Element>(id)
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
fn fields_are_checked_kept_as_a_draft_and_a_bad_form_is_not_sent() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
    let root = page();
    app::portal::enhance::on_page();

    // Checked as typed, with the server's words.
    set("field-title", "");
    assert_eq!(text("field-title-error"), "Give the ticket a title.");
    assert_eq!(
        by_id::<web_sys::Element>("field-title")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    set("field-title", "Scanner jams");
    assert_eq!(text("field-title-error"), "");

    // A form with a problem is not sent: the submit event is cancelled.
    let form: HtmlFormElement = root
        .query_selector("form")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let init = EventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    let submit = Event::new_with_event_init_dict("submit", &init).unwrap();
    form.dispatch_event(&submit).unwrap();
    assert!(
        submit.default_prevented(),
        "an empty description stops the form"
    );
    assert_eq!(
        text("field-description-error"),
        "Describe what you need help with."
    );

    // What was typed is kept, in the one draft format under the person's key.
    set("field-description", "Every second page.");
    set("field-priority", "high");
    let kept = storage
        .get_item("grip.draft.7.portal-new")
        .unwrap()
        .expect("the draft is kept under the key the page gave");
    let draft: app::tickets::drafts::LocalDraft = serde_json::from_str(&kept).unwrap();
    assert_eq!(
        app::tickets::drafts::field_of(&draft.content, "title").as_deref(),
        Some("Scanner jams")
    );
    root.remove();

    // Someone else signed in on the same browser gets an empty form.
    let other = page_of(&FORM.replace("grip.draft.7.", "grip.draft.8."));
    app::portal::enhance::on_page();
    assert_eq!(by_id::<HtmlInputElement>("field-title").value(), "");
    other.remove();

    // The person's next visit puts it back.
    let again = page();
    app::portal::enhance::on_page();
    assert_eq!(
        by_id::<HtmlInputElement>("field-title").value(),
        "Scanner jams"
    );
    let description: web_sys::Element = by_id("field-description");
    assert_eq!(
        js_sys::Reflect::get(&description, &"value".into())
            .unwrap()
            .as_string()
            .unwrap(),
        "Every second page."
    );
    let priority: web_sys::Element = by_id("field-priority");
    assert_eq!(
        js_sys::Reflect::get(&priority, &"value".into())
            .unwrap()
            .as_string()
            .unwrap(),
        "high"
    );
    again.remove();
    storage.clear().unwrap();
}
