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

    /// Answers a refused plain form post (a server-rendered panel's form) like Leptos
    /// does — back to the page, the error in the address as `__path`/`__err` — and
    /// also carries what was typed (`typed`: field name and value), so the panel
    /// shows the form filled in again beside the message. Returns where it sends
    /// the browser.
    pub fn refuse_form(path: &'static str, error: AppError, typed: &[(&str, &str)]) -> String {
        let page = use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(header::REFERER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            })
            .map(|r| {
                // Same site only: keep the path, drop any origin and old query.
                let after_scheme = r.split_once("://").map(|(_, rest)| rest).unwrap_or(&r);
                let path = after_scheme
                    .find('/')
                    .map(|i| &after_scheme[i..])
                    .unwrap_or("/");
                path.split(['?', '#']).next().unwrap_or("/").to_string()
            })
            .unwrap_or_else(|| "/".to_string());
        let to = refusal_location(&page, path, &error, typed);
        leptos_axum::redirect(&to);
        to
    }

    /// Where a refused plain form goes back to: `page`, with the error as Leptos puts
    /// it in the address (`__path` = the endpoint posted to, `__err`) and each typed
    /// value as `typed_<name>`.
    pub fn refusal_location(
        page: &str,
        endpoint: &str,
        error: &AppError,
        typed: &[(&str, &str)],
    ) -> String {
        use leptos::server_fn::error::ServerFnUrlError;
        let encoded = ServerFnUrlError::new(endpoint, error.clone())
            .to_url("http://grip.invalid/")
            .ok()
            .and_then(|u| u.query().map(str::to_string))
            .unwrap_or_default();
        let mut to = format!("{page}?{encoded}");
        for (name, value) in typed {
            to.push_str(&format!(
                "&typed_{name}={}",
                crate::ui::encode_query_value(value)
            ));
        }
        to
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
