use leptos::prelude::*;

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
