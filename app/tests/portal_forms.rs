//! The portal's New request form as a component in a real browser (headless
//! Chromium through wasm-bindgen-test): a field is checked as it is typed with the
//! server's rules, a form with a problem is not sent, what is typed is kept as a draft
//! in the one draft format under the person's key and put back on their next visit,
//! and the file control becomes the upload tray.

#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::portal::forms::RequestForm;
use app::portal::model::{PortalTeam, ViewerCompany};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlFormElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// The form, mounted for the person whose draft key is `key`.
fn mount(key: &str) -> (HtmlElement, Box<dyn std::any::Any>) {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let key = key.to_string();
    let teams = vec![
        PortalTeam {
            id: 1,
            name: "Billing".into(),
        },
        PortalTeam {
            id: 2,
            name: "Hardware".into(),
        },
    ];
    // In two companies: the primary one first.
    let companies = vec![
        ViewerCompany {
            id: 10,
            name: "Initech".into(),
            manager: false,
        },
        ViewerCompany {
            id: 20,
            name: "Globex".into(),
            manager: false,
        },
    ];
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <RequestForm draft_key=key teams companies upload_limit=10 * 1024 * 1024/> }
    });
    (root, Box::new(mounted))
}

fn control(root: &HtmlElement, id: &str) -> web_sys::Element {
    root.query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap_or_else(|| panic!("#{id} is on the form"))
}

fn value(root: &HtmlElement, id: &str) -> String {
    js_sys::Reflect::get(&control(root, id), &"value".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn set(root: &HtmlElement, id: &str, value: &str, event: &str) {
    let el = control(root, id);
    js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    let init = EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict(event, &init).unwrap())
        .unwrap();
}

fn text(root: &HtmlElement, id: &str) -> String {
    control(root, id).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn fields_are_checked_kept_as_a_draft_and_a_bad_form_is_not_sent() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
    let (root, mounted) = mount("grip.draft.7.portal-new");
    leptos::task::tick().await;

    // Nothing is said before typing; then checked as typed, with the server's words.
    assert_eq!(text(&root, "field-title-error"), "");
    set(&root, "field-title", "", "input");
    leptos::task::tick().await;
    assert_eq!(text(&root, "field-title-error"), "Give the ticket a title.");
    assert_eq!(
        control(&root, "field-title")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    set(&root, "field-title", "Scanner jams", "input");
    leptos::task::tick().await;
    assert_eq!(text(&root, "field-title-error"), "");

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
    leptos::task::tick().await;
    assert!(
        submit.default_prevented(),
        "an empty description stops the form"
    );
    assert_eq!(
        text(&root, "field-description-error"),
        "Describe what you need help with."
    );

    // Once live, files go through the upload tray, not the plain file input.
    assert!(root.query_selector("#field-attachments").unwrap().is_none());
    assert!(root
        .query_selector("[aria-label='Attached files']")
        .unwrap()
        .is_some());

    // The company choice starts on the primary company, never blank.
    assert_eq!(value(&root, "field-company"), "10");

    // What was typed is kept, in the one draft format under the person's key.
    set(&root, "field-company", "20", "change");
    set(&root, "field-description", "Every second page.", "input");
    set(&root, "field-priority", "high", "change");
    set(&root, "field-team", "2", "change");
    leptos::task::tick().await;
    let kept = storage
        .get_item("grip.draft.7.portal-new")
        .unwrap()
        .expect("the draft is kept under the key the page gave");
    let draft: app::tickets::drafts::LocalDraft = serde_json::from_str(&kept).unwrap();
    assert_eq!(
        app::tickets::drafts::field_of(&draft.content, "title").as_deref(),
        Some("Scanner jams")
    );
    drop(mounted);
    root.remove();

    // Someone else signed in on the same browser gets an empty form.
    let (other, mounted) = mount("grip.draft.8.portal-new");
    leptos::task::tick().await;
    assert_eq!(value(&other, "field-title"), "");
    drop(mounted);
    other.remove();

    // The person's next visit puts it back.
    let (again, mounted) = mount("grip.draft.7.portal-new");
    leptos::task::tick().await;
    leptos::task::tick().await;
    assert_eq!(value(&again, "field-title"), "Scanner jams");
    assert_eq!(value(&again, "field-description"), "Every second page.");
    assert_eq!(value(&again, "field-priority"), "high");
    assert_eq!(value(&again, "field-team"), "2");
    assert_eq!(value(&again, "field-company"), "20");
    drop(mounted);
    again.remove();
    storage.clear().unwrap();
}
