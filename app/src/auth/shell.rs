//! The frame of every signed-in page (it knows who is signed in, so it lives with
//! the accounts, not with the plain building blocks of `ui`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use super::api::Logout;
use super::model::Role;
use super::policy::nav_for;
use super::CurrentUser;

/// The frame of every signed-in page: brand, navigation for the user's role, the user
/// menu with "Sign out", and the page itself.
#[component]
pub fn AppShell(user: CurrentUser, children: Children) -> impl IntoView {
    let nav = nav_for(user.role);
    let home = user.role.home();
    remember_browser_zone();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href=home aria-label="Grip home">
                <span class="brand-mark" aria-hidden="true">"G"</span>
                <span class="brand-name">"Grip"</span>
            </a>
            <nav class="mainnav" aria-label="Main">
                <ul>
                    {nav
                        .into_iter()
                        .map(|item| view! { <li><A href=item.href>{item.label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            {(user.role != Role::Customer).then(|| view! {
                // A plain GET form: the search page works with or without JavaScript.
                <form class="topbar-search" method="get" action="/search" role="search" aria-label="Site search">
                    <input type="search" name="q" aria-label="Search tickets, customers and companies"
                        placeholder="Search…"/>
                </form>
            })}
            <details class="usermenu">
                <summary aria-label=format!("Account menu for {}", user.name)>
                    <span class="avatar" aria-hidden="true">{user.initials()}</span>
                    <span class="usermenu-name">{user.name.clone()}</span>
                </summary>
                <div class="usermenu-panel">
                    <p class="usermenu-who">
                        <strong>{user.name.clone()}</strong>
                        <span class="muted">{user.email.clone()}</span>
                        <span class="badge">{user.role.label()}</span>
                    </p>
                    // A plain form: signing out loads the sign-in page afresh anyway.
                    // Its answer also clears the drafts this browser keeps (see `logout`).
                    <form method="post" action=Logout::PATH>
                        <button type="submit" class="button secondary wide">"Sign out"</button>
                    </form>
                </div>
            </details>
        </header>
        <main id="main" class="content">{children()}</main>
    }
}

/// Once a signed-in page is live: tells the server the browser's time zone when the
/// account has another (or none), so the pages it renders next show the browser's
/// times (`ui::time`). Once per page load.
fn remember_browser_zone() {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use std::sync::atomic::{AtomicBool, Ordering};
        static SENT: AtomicBool = AtomicBool::new(false);
        let Some(zone) = crate::ui::time::browser_zone() else {
            return;
        };
        if crate::ui::time::viewer_zone().as_deref() == Some(zone.as_str())
            || SENT.swap(true, Ordering::Relaxed)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            let _ = super::api::remember_time_zone(zone).await;
        });
    });
}
