//! Component tests in a real browser (headless Chromium through wasm-bindgen-test):
//! the password fields validate live, as the user types, with the same rules the
//! server applies.

#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::auth::pages::NewPasswordFields;
use app::error::AppError;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn container() -> HtmlElement {
    let div = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn type_into(root: &HtmlElement, id: &str, text: &str) {
    let input: HtmlInputElement = root
        .query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value(text);
    let init = EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
}

fn message(root: &HtmlElement, id: &str) -> String {
    root.query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap_or_default()
}

fn invalid(root: &HtmlElement, id: &str) -> String {
    root.query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap()
        .get_attribute("aria-invalid")
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_short_password_says_how_many_characters_are_missing_as_you_type() {
    let root = container();
    let (password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <NewPasswordFields password confirm server_error=Signal::derive(|| None::<AppError>)/> }
    });
    leptos::task::tick().await;
    assert_eq!(
        message(&root, "field-password-error"),
        "",
        "no message before typing"
    );

    type_into(&root, "field-password", "short");
    leptos::task::tick().await;
    assert_eq!(password.get_untracked(), "short");
    assert_eq!(
        message(&root, "field-password-error"),
        "Use at least 12 characters (7 more)."
    );
    assert_eq!(invalid(&root, "field-password"), "true");

    type_into(&root, "field-password", "long enough password");
    leptos::task::tick().await;
    assert_eq!(message(&root, "field-password-error"), "");
    assert_eq!(invalid(&root, "field-password"), "false");
}

#[wasm_bindgen_test]
async fn a_confirmation_that_differs_is_flagged_until_it_matches() {
    let root = container();
    let (password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <NewPasswordFields password confirm server_error=Signal::derive(|| None::<AppError>)/> }
    });
    type_into(&root, "field-password", "long enough password");
    type_into(&root, "field-confirm", "long enough");
    leptos::task::tick().await;
    assert_eq!(
        message(&root, "field-confirm-error"),
        "The passwords do not match."
    );
    let described = root
        .query_selector("#field-confirm")
        .unwrap()
        .unwrap()
        .get_attribute("aria-describedby")
        .unwrap();
    assert!(
        described.contains("field-confirm-error"),
        "the message is tied to its field"
    );

    type_into(&root, "field-confirm", "long enough password");
    leptos::task::tick().await;
    assert_eq!(message(&root, "field-confirm-error"), "");
}

#[wasm_bindgen_test]
async fn a_server_error_is_shown_next_to_its_field() {
    let root = container();
    let (password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let error = RwSignal::new(None::<AppError>);
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <NewPasswordFields password confirm server_error=error/> }
    });
    error.set(Some(AppError::validation(
        "confirm",
        "The passwords do not match.",
    )));
    leptos::task::tick().await;
    assert_eq!(
        message(&root, "field-confirm-error"),
        "The passwords do not match."
    );
    assert_eq!(message(&root, "field-password-error"), "");
}
