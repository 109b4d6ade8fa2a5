//! The ticket workspace's browser-side logic in a real browser (headless Chromium
//! through wasm-bindgen-test): drafts that are kept on the device the moment they
//! are typed and wait for a quiet spell before going to the server.

#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::tickets::drafts::{
    browser, newer, storage_key, Autosave, Drafts, LocalDraft, Scope, ServerDraft, QUIET_MS,
};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Drafts run effects, which need Leptos's executor in the browser.
fn executor() {
    // An Err only means another test initialised it already.
    let _ = any_spawner::Executor::init_wasm_bindgen();
}

#[wasm_bindgen_test]
fn a_save_waits_for_a_quiet_spell_measured_with_the_browser_clock() {
    let mut a = Autosave::default();
    let start = browser::now_ms();
    a.edited(start);
    a.edited(start + 500.0);
    assert!(!a.due(start + 500.0 + QUIET_MS - 1.0));
    assert!(a.due(start + 500.0 + QUIET_MS));
}

#[wasm_bindgen_test]
fn a_draft_is_kept_in_local_storage_as_it_is_typed_and_wins_when_newer() {
    executor();
    let text = RwSignal::new(String::new());
    let owner = Owner::new();
    let drafts = owner.with(|| Drafts::new(7, Scope::Ticket(42), None, text));
    text.set("Typed on a train".into());
    drafts.edited();
    let key = storage_key(7, "ticket:42");
    let kept = browser::read(&key).expect("kept on the device at once");
    assert_eq!(kept.content, "Typed on a train");
    assert!(kept.pending, "waiting to be sent");
    // On the next load, the device's newer copy wins over the server's older one.
    let server = ServerDraft {
        content: "older".into(),
        updated_at: kept.saved_at - 1,
    };
    assert_eq!(
        newer(Some(&server), Some(&kept)).unwrap().0,
        "Typed on a train"
    );
    // Sending clears it everywhere.
    owner.with(|| drafts.clear(false));
    assert_eq!(browser::read(&key), None::<LocalDraft>);
}
