//! The browser entry point: hydrates the server-rendered page, nothing else.

#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console while developing; the release bundle leaves the
    // hook (and the formatting it pulls in) out to stay inside its size budget.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Marks the page as interactive (for people's tools and the end-to-end tests).
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
