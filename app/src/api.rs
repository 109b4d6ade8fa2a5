//! Helpers shared by every domain's server functions.

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use http::{header, HeaderValue, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::error::AppError;

    /// True when the request is a plain HTML form post (no JavaScript): the browser
    /// expects a redirect, not data.
    pub fn is_plain_form_post() -> bool {
        use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false)
    }

    /// Gives a failed server function its HTTP status (429, 403, 422, …). A plain form
    /// post keeps the redirect back to its page (which shows the error from the URL),
    /// since a browser does not follow a redirect with an error status.
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(e) = &result {
            if let Some(res) = use_context::<ResponseOptions>() {
                if let AppError::RateLimited { retry_after_secs } = e {
                    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                        res.insert_header(header::RETRY_AFTER, v);
                    }
                }
                if !is_plain_form_post() {
                    res.set_status(
                        StatusCode::from_u16(e.status())
                            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    );
                }
            }
        }
        result
    }

    /// Ends a successful form: a plain form post is redirected to `path` at once; a
    /// script caller gets `path` back and navigates there itself.
    pub fn finish_form(path: &str) -> String {
        if is_plain_form_post() {
            leptos_axum::redirect(path);
        }
        path.to_string()
    }
}
