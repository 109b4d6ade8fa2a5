//! The app's areas as lazily loaded routes: each area's code is its own WASM chunk
//! (`cargo leptos build --release --split`), fetched by the browser only where the
//! area is used. The main chunk keeps the shell, the router, the session and the
//! layout; code two areas share is split out into chunks of its own by the tool.
//!
//! A direct load fetches the route's chunks before hydrating (the server names them
//! in `<link rel=preload>` tags), so `frontend` hydrates with `hydrate_from_async`.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::auth::policy::Access;
use crate::pages::ServerPage;

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
    /// `/admin/teams`: Admin → Teams.
    AdminTeamsRoute => view! { <crate::teams::pages::TeamsPage/> }
);
lazy_area!(
    /// `/setup`: the first admin account.
    SetupRoute => view! { <crate::auth::pages::SetupPage/> }
);
lazy_area!(
    /// `/login`: sign-in.
    LoginRoute => view! { <crate::auth::pages::LoginPage/> }
);
lazy_area!(
    /// `/portal/register`: a customer's new account.
    RegisterRoute => view! { <crate::auth::pages::RegisterPage/> }
);
lazy_area!(
    /// `/command`: the Command Center (a later issue).
    CommandRoute => view! {
        <crate::pages::ComingSoonPage title="Command Center"
            what="One live view of every ticket and customer, with quick actions."/>
    }
);
lazy_area!(
    /// `/customers`: customers and companies (a later issue).
    CustomersRoute => view! {
        <crate::pages::ComingSoonPage title="Customers"
            what="Customers and their companies, with their tickets."/>
    }
);
lazy_area!(
    /// Admin pages rendered on the server (People, Customers, Outbox).
    AdminServerRoute => view! { <ServerPage access=Access::Admin/> }
);
lazy_area!(
    /// The customer portal's pages.
    PortalRoute => view! { <ServerPage access=Access::Portal/> }
);
lazy_area!(
    /// Account pages anyone may open (verify, forgot, reset).
    PublicServerRoute => view! { <ServerPage access=Access::Public/> }
);
