//! The browser entry point: hydrates the server-rendered page, nothing else.

#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console while developing; the release bundle leaves the
    // hook (and the formatting it pulls in) out to stay inside its size budget.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // Lazy routes: the route's chunks are fetched before hydration starts, so this is
    // `hydrate_lazy`'s asynchronous hydration (a direct load of a lazy route panics
    // under `hydrate_body`), followed by the page's "interactive" mark.
    // An Err only means the executor was initialised already.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        let owner = leptos::mount::hydrate_from_async(body, app::App).await;
        owner.forget();
        // Marks the page as interactive (for people's tools and the end-to-end tests).
        if let Some(root) = leptos::prelude::document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
