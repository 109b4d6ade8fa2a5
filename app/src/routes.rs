//! The app's areas as lazily loaded routes: each area's code is its own WASM chunk
//! (`cargo leptos build --release --split`), fetched by the browser only where the
//! area is used. The main chunk keeps the shell, the router, the session and the
//! layout; code two areas share is split out into chunks of its own by the tool.
//!
//! A direct load fetches the route's chunks before hydrating (the server names them
//! in `<link rel=preload>` tags), so `frontend` hydrates with `hydrate_from_async`.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Declares a lazily loaded route whose view is `$view`: the route carries no data of
/// its own (each page loads its data in its component, which the server renders into
/// the page and the browser reads back while hydrating).
macro_rules! lazy_area {
    ($(#[$doc:meta])* $name:ident => $view:expr) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_area!(
    /// `/board`: the Kanban board.
    BoardRoute => view! { <crate::board::page::BoardPage/> }
);
lazy_area!(
    /// `/tickets`: the ticket list.
    TicketListRoute => view! { <crate::tickets::list::TicketListPage/> }
);
lazy_area!(
    /// `/tickets/:number`: one ticket's workspace.
    TicketRoute => view! { <crate::tickets::page::TicketPage/> }
);
lazy_area!(
    /// `/tickets/new`: the New ticket form.
    NewTicketRoute => view! { <crate::tickets::new::NewTicketPage/> }
);
lazy_area!(
    /// `/team`: a lead's Team settings.
    TeamSettingsRoute => view! { <crate::teams::pages::TeamSettingsPage/> }
);
lazy_area!(
    /// `/command`: the Command Center (a later issue).
    CommandRoute => view! {
        <crate::pages::ComingSoonPage title="Command Center"
            what="One live view of every ticket and customer, with quick actions."/>
    }
);
lazy_area!(
    /// The customer and company pages (`/customers`, `/customers/new`,
    /// `/customers/42`, and the same under `/companies`) and search (`/search`).
    CustomersRoute => view! { <CustomersArea/> }
);
lazy_area!(
    /// The admin area: `/admin/teams`, `/admin/people`, `/admin/customers`,
    /// `/admin/outbox`, `/admin/audit` (one chunk: each page is small, and every chunk loaded costs
    /// its own headers and imports).
    AdminRoute => view! { <AdminArea/> }
);
lazy_area!(
    /// The account pages: `/setup`, `/login`, `/portal/register`, `/forgot`,
    /// `/reset`, `/portal/verify`.
    AccountRoute => view! { <AccountArea/> }
);
lazy_area!(
    /// The customer portal: `/portal`, `/portal/new`, `/portal/tickets/:number`.
    PortalRoute => view! { <PortalArea/> }
);

/// The page of an area at the address the route was entered at (each path is a route
/// of its own, so the page is chosen once, when the route renders).
fn path_now() -> String {
    leptos_router::hooks::use_location()
        .pathname
        .get_untracked()
}

/// The path of an area's page at the address now: an area that is one route
/// (`/admin/*any`) changes its page here as the browser moves between its pages.
/// A path outside the area (none of `prefixes`), seen while leaving it, keeps the
/// page shown.
fn path_signal(prefixes: &'static [&'static str]) -> Memo<String> {
    let pathname = leptos_router::hooks::use_location().pathname;
    Memo::new(move |before: Option<&String>| {
        let now = pathname.get();
        match before {
            Some(before) if !prefixes.iter().any(|p| now.starts_with(p)) => before.clone(),
            _ => now,
        }
    })
}

#[component]
fn AdminArea() -> impl IntoView {
    let path = path_signal(&["/admin"]);
    move || match path.get().trim_end_matches('/') {
        "/admin/people" => view! { <crate::admin::people::PeoplePage/> }.into_any(),
        "/admin/teams" => view! { <crate::teams::pages::TeamsPage/> }.into_any(),
        "/admin/customers" => view! { <crate::admin::customers::CustomersAdminPage/> }.into_any(),
        "/admin/outbox" => view! { <crate::admin::outbox::OutboxPage/> }.into_any(),
        "/admin/audit" => view! { <crate::admin::audit::AuditPage/> }.into_any(),
        _ => view! { <crate::ui::NotFoundPage/> }.into_any(),
    }
}

/// A record's page of an area: `/{area}/{id}` with a number.
fn is_record(rest: &str) -> bool {
    rest.strip_prefix('/')
        .is_some_and(|n| n.parse::<i64>().is_ok())
}

#[component]
fn CustomersArea() -> impl IntoView {
    use crate::companies::pages as companies;
    use crate::customers::pages;
    // One area for customers, companies and search (they share a chunk).
    let path = path_signal(&["/customers", "/companies", "/search"]);
    move || {
        let path = path.get();
        let path = path.trim_end_matches('/');
        if path == "/search" {
            return view! { <crate::search::page::SearchPage/> }.into_any();
        }
        if let Some(rest) = path.strip_prefix("/companies") {
            return match rest {
                "" => view! { <companies::CompaniesPage/> }.into_any(),
                "/new" => view! { <companies::NewCompanyPage/> }.into_any(),
                id if is_record(id) => view! { <companies::CompanyDetailPage/> }.into_any(),
                _ => view! { <crate::ui::NotFoundPage/> }.into_any(),
            };
        }
        match path.strip_prefix("/customers") {
            Some("") => view! { <pages::CustomersPage/> }.into_any(),
            Some("/new") => view! { <pages::NewCustomerPage/> }.into_any(),
            Some("/duplicates") => view! { <pages::DuplicatesPage/> }.into_any(),
            Some(id) if is_record(id) => view! { <pages::CustomerDetailPage/> }.into_any(),
            _ => view! { <crate::ui::NotFoundPage/> }.into_any(),
        }
    }
}

#[component]
fn AccountArea() -> impl IntoView {
    use crate::auth::{pages, recovery};
    match path_now().as_str() {
        "/setup" => view! { <pages::SetupPage/> }.into_any(),
        "/portal/register" => view! { <pages::RegisterPage/> }.into_any(),
        "/forgot" => view! { <recovery::ForgotPage/> }.into_any(),
        "/reset" => view! { <recovery::ResetPage/> }.into_any(),
        "/portal/verify" => view! { <recovery::VerifyPage/> }.into_any(),
        _ => view! { <pages::LoginPage/> }.into_any(),
    }
}

#[component]
fn PortalArea() -> impl IntoView {
    use crate::portal::pages;
    match path_now().as_str() {
        "/portal/new" => view! { <pages::PortalNewPage/> }.into_any(),
        p if p.starts_with("/portal/tickets/") => {
            view! { <pages::PortalTicketRoutePage/> }.into_any()
        }
        _ => view! { <pages::PortalHomePage/> }.into_any(),
    }
}
