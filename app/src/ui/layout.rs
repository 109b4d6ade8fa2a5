use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use crate::auth::api::Logout;
use crate::auth::policy::nav_for;
use crate::auth::CurrentUser;

/// The frame of every signed-in page: brand, navigation for the user's role, the user
/// menu with "Sign out", and the page itself.
#[component]
pub fn AppShell(user: CurrentUser, children: Children) -> impl IntoView {
    let nav = nav_for(user.role);
    let home = user.role.home();
    crate::ui::time::remember_browser_zone();
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

/// The centred card used by the sign-in and setup pages.
#[component]
pub fn AuthCard(
    title: &'static str,
    #[prop(optional)] lead: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand auth-brand">
                    <span class="brand-mark" aria-hidden="true">"G"</span>
                    <span class="brand-name">"Grip"</span>
                </div>
                <h1>{title}</h1>
                {lead.map(|l| view! { <p class="muted">{l}</p> })}
                {children()}
            </div>
        </main>
    }
}
