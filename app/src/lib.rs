//! Grip: the Leptos app shared by the server (`ssr`) and the browser (`hydrate`).

#![recursion_limit = "256"]

pub mod admin;
pub mod api;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod auth;
pub mod board;
pub mod companies;
pub mod customers;
pub mod error;
pub mod mail;
pub mod pages;
pub mod portal;
pub mod rank;
pub mod routes;
pub mod search;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod teams;
pub mod tickets;
pub mod ui;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use auth::pages::{provide_auth, HomePage, Protected};
use auth::policy::Access;
use routes::*;
use ui::NotFoundPage;

/// A part of the app whose code cannot be fetched (the network went away, or a new
/// release replaced the file) stops the WASM with an error: instead of a page that
/// no longer answers, say so and offer a reload. Plain script, so it works when the
/// WASM does not; it builds its message with DOM calls (no markup from anywhere).
const LOAD_FAILURE_SCRIPT: &str = r#"(function () {
  function broken(err) {
    var text = String((err && (err.message || err)) || "");
    return (typeof WebAssembly !== "undefined" && err instanceof WebAssembly.RuntimeError)
      || /unreachable|failed to fetch|split module|dynamically imported|importing a module/i.test(text);
  }
  function show() {
    if (document.getElementById("load-failure")) return;
    var box = document.createElement("div");
    box.id = "load-failure";
    box.className = "load-failure";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = "This part of Grip could not be loaded. Check your connection, then ";
    var a = document.createElement("a");
    a.href = location.href;
    a.rel = "external";
    a.textContent = "reload the page";
    // A full load, whatever the (stopped) app's router would have made of the click.
    a.addEventListener("click", function (e) {
      e.preventDefault();
      e.stopImmediatePropagation();
      location.reload();
    });
    p.appendChild(a);
    p.appendChild(document.createTextNode("."));
    box.appendChild(p);
    document.body.insertBefore(box, document.body.firstChild);
  }
  addEventListener("error", function (e) { if (broken(e.error || e.message)) show(); });
  addEventListener("unhandledrejection", function (e) { if (broken(e.reason)) show(); });
})();"#;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                // With hashed file names (release builds) the CSS's name comes from
                // hash.txt beside the binary; otherwise it is /pkg/grip.css.
                <HashedStylesheet options id="leptos"/>
                <script nonce=leptos::nonce::use_nonce()>{LOAD_FAILURE_SCRIPT}</script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Every route renders completely on the server before the response starts
/// (`SsrMode::Async`): pages must work without JavaScript, and redirects and status
/// codes (302 to sign-in, 403, 404, 429) must be decided before any byte is sent.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();
    view! {
        <Title text="Grip"/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/") ssr=SsrMode::Async view=HomePage/>
                <Route path=path!("/setup") ssr=SsrMode::Async view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/login") ssr=SsrMode::Async view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/board") ssr=SsrMode::Async view={Lazy::<BoardRoute>::new()}/>
                <Route path=path!("/command") ssr=SsrMode::Async view={Lazy::<CommandRoute>::new()}/>
                <Route path=path!("/tickets/new") ssr=SsrMode::Async view={Lazy::<NewTicketRoute>::new()}/>
                <Route path=path!("/tickets/:number") ssr=SsrMode::Async view={Lazy::<TicketRoute>::new()}/>
                <Route path=path!("/tickets") ssr=SsrMode::Async view={Lazy::<TicketListRoute>::new()}/>
                <Route path=path!("/customers") ssr=SsrMode::Async view={Lazy::<CustomersRoute>::new()}/>
                <Route path=path!("/customers/*any") ssr=SsrMode::Async view={Lazy::<CustomersRoute>::new()}/>
                <Route path=path!("/companies") ssr=SsrMode::Async view={Lazy::<CustomersRoute>::new()}/>
                <Route path=path!("/companies/*any") ssr=SsrMode::Async view={Lazy::<CustomersRoute>::new()}/>
                // Search shares the customer pages' chunk: a route of its own made
                // every route's shared chunks finer, and each larger (issue 14).
                <Route path=path!("/search") ssr=SsrMode::Async view={Lazy::<CustomersRoute>::new()}/>
                <Route path=path!("/team") ssr=SsrMode::Async view={Lazy::<TeamSettingsRoute>::new()}/>
                <Route path=path!("/admin") ssr=SsrMode::Async view=|| view! {
                    <Protected access=Access::Admin><Redirect path="/admin/people"/></Protected>
                }/>
                // One route per area, its pages chosen inside it (routes.rs): each
                // route costs the main chunk about 1 kB of router code.
                <Route path=path!("/admin/*any") ssr=SsrMode::Async view={Lazy::<AdminRoute>::new()}/>
                <Route path=path!("/portal") ssr=SsrMode::Async view={Lazy::<PortalRoute>::new()}/>
                <Route path=path!("/portal/new") ssr=SsrMode::Async view={Lazy::<PortalRoute>::new()}/>
                <Route path=path!("/portal/tickets/:number") ssr=SsrMode::Async view={Lazy::<PortalRoute>::new()}/>
                <Route path=path!("/portal/register") ssr=SsrMode::Async view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/portal/verify") ssr=SsrMode::Async view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/forgot") ssr=SsrMode::Async view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/reset") ssr=SsrMode::Async view={Lazy::<AccountRoute>::new()}/>
            </Routes>
        </Router>
    }
}
