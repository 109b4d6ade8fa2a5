use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;

/// Sets the HTTP status of the page being rendered on the server (no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(code) {
            res.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · Grip"/>
        <main class="status-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a href="/">"Go to the start page"</a>
        </main>
    }
}

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    set_status(403);
    view! {
        <Title text="No access · Grip"/>
        <section class="status-page">
            <h1>"You do not have access to this page"</h1>
            <p>"Your account's role does not include this part of Grip. Ask an admin if you need it."</p>
            <a href="/">"Go to your start page"</a>
        </section>
    }
}

/// The one place unexpected errors are shown, with the request id that is also in the
/// server log.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    set_status(error.status());
    let heading = match &error {
        AppError::NotFound => "Not found",
        AppError::Forbidden => "You do not have access to this",
        AppError::Unauthorized => "Please sign in",
        _ => "Something went wrong",
    };
    view! {
        <section class="status-page" role="alert">
            <h1>{heading}</h1>
            <p>{error.to_string()}</p>
            <a href="/">"Go to your start page"</a>
        </section>
    }
}
