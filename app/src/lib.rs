//! Grip: the Leptos app shared by the server (`ssr`) and the browser (`hydrate`).

#![recursion_limit = "256"]

pub mod admin;
pub mod api;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod auth;
pub mod board;
pub mod error;
pub mod mail;
pub mod pages;
pub mod portal;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod teams;
pub mod tickets;
pub mod ui;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use auth::pages::{provide_auth, HomePage, LoginPage, Protected, SetupPage};
use auth::policy::Access;
use pages::ServerPage;
use ui::NotFoundPage;

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
                <HydrationScripts options/>
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
        <Stylesheet id="leptos" href="/pkg/grip.css"/>
        <Title text="Grip"/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/") ssr=SsrMode::Async view=HomePage/>
                <Route path=path!("/setup") ssr=SsrMode::Async view=SetupPage/>
                <Route path=path!("/login") ssr=SsrMode::Async view=LoginPage/>
                <Route path=path!("/board") ssr=SsrMode::Async view=board::page::BoardPage/>
                <Route path=path!("/command") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Staff/> }/>
                <Route path=path!("/tickets/new") ssr=SsrMode::Async view=tickets::new::NewTicketPage/>
                <Route path=path!("/tickets/:number") ssr=SsrMode::Async view=tickets::page::TicketPage/>
                <Route path=path!("/tickets") ssr=SsrMode::Async view=tickets::list::TicketListPage/>
                <Route path=path!("/customers") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Staff/> }/>
                <Route path=path!("/team") ssr=SsrMode::Async view=teams::pages::TeamSettingsPage/>
                <Route path=path!("/admin") ssr=SsrMode::Async view=|| view! {
                    <Protected access=Access::Admin><Redirect path="/admin/people"/></Protected>
                }/>
                <Route path=path!("/admin/teams") ssr=SsrMode::Async view=teams::pages::TeamsPage/>
                <Route path=path!("/admin/people") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Admin/> }/>
                <Route path=path!("/admin/customers") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Admin/> }/>
                <Route path=path!("/admin/outbox") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Admin/> }/>
                <Route path=path!("/portal") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Portal/> }/>
                <Route path=path!("/portal/new") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Portal/> }/>
                <Route path=path!("/portal/tickets/:number") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Portal/> }/>
                <Route path=path!("/portal/register") ssr=SsrMode::Async view=auth::pages::RegisterPage/>
                <Route path=path!("/portal/verify") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Public/> }/>
                <Route path=path!("/forgot") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Public/> }/>
                <Route path=path!("/reset") ssr=SsrMode::Async view=|| view! { <ServerPage access=Access::Public/> }/>
            </Routes>
        </Router>
    }
}
