//! Helpers shared by every domain's server functions.

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use http::{header, HeaderValue, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::error::AppError;

    /// Starts a server function: the signed-in user, when `access` admits them
    /// (Unauthorized or Forbidden otherwise), and the application's state.
    pub async fn start(
        access: crate::auth::policy::Access,
    ) -> Result<(crate::auth::CurrentUser, crate::state::AppState), AppError> {
        let user = crate::auth::policy::require_user(access).await?;
        Ok((user, crate::state::app_state()?))
    }

    /// [`start`] for staff working on ticket `ticket_id`: NotFound unless the ticket
    /// is on a board they may open.
    pub async fn start_on_ticket(
        ticket_id: i64,
    ) -> Result<(crate::auth::CurrentUser, crate::state::AppState), AppError> {
        let (user, state) = start(crate::auth::policy::Access::Staff).await?;
        if !crate::auth::policy::ticket_visible(&state.db, &user, ticket_id).await? {
            return Err(AppError::NotFound);
        }
        Ok((user, state))
    }

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

    /// Answers a refused plain form post (no JavaScript) like Leptos does — back to
    /// the page it came from, the error in the address as `__path`/`__err` — and
    /// keeps what was typed (`typed`: field name and value; never a password) in the
    /// session, not the address, for the page to put back (see `KeptForm`). Returns
    /// where it sends the browser.
    pub async fn refuse_form(
        path: &'static str,
        error: AppError,
        typed: &[(&str, &str)],
    ) -> Result<String, AppError> {
        crate::auth::session::keep_form(path, typed).await?;
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
        let to = refusal_location(&page, path, &error);
        leptos_axum::redirect(&to);
        Ok(to)
    }

    /// A refused form's answer: a plain form post (no JavaScript) goes back to its page
    /// with the error and what was typed ([`refuse_form`]); a script caller, and any
    /// caller refused for who they are or a record that is not there, gets the error.
    pub async fn refuse_if_plain(
        path: &'static str,
        error: AppError,
        typed: &[(&str, &str)],
    ) -> Result<String, AppError> {
        let about_the_form = !matches!(
            error,
            AppError::Unauthorized | AppError::Forbidden | AppError::NotFound
        );
        if is_plain_form_post() && about_the_form {
            refuse_form(path, error, typed).await
        } else {
            Err(error)
        }
    }

    /// Where a refused plain form goes back to: `page`, with the error as Leptos puts
    /// it in the address (`__path` = the endpoint posted to, `__err`).
    pub fn refusal_location(page: &str, endpoint: &str, error: &AppError) -> String {
        use leptos::server_fn::error::ServerFnUrlError;
        let encoded = ServerFnUrlError::new(endpoint, error.clone())
            .to_url("http://grip.invalid/")
            .ok()
            .and_then(|u| u.query().map(str::to_string))
            .unwrap_or_default();
        format!("{page}?{encoded}")
    }

    /// Keeps what was typed (`typed`, never a password) when a plain form post (no
    /// JavaScript) is refused: Leptos sends the browser back with the error in the
    /// address, and the page puts the typed text back from the session.
    pub async fn keep_if_refused<T>(
        path: &str,
        result: &Result<T, AppError>,
        typed: &[(&str, &str)],
    ) {
        if result.is_err() && is_plain_form_post() {
            if let Err(e) = crate::auth::session::keep_form(path, typed).await {
                tracing::warn!(error = %e, "what was typed in a refused form was not kept");
            }
        }
    }

    /// Ends a successful form: a plain form post is redirected to `path` at once; a
    /// script caller gets `path` back and navigates there itself.
    pub fn finish_form(path: &str) -> String {
        // leptos_axum's redirect panics on a path that is no header value (control
        // characters): every caller builds its path, but none may bring the server
        // down with one.
        let path = if HeaderValue::from_str(path).is_ok() {
            path
        } else {
            "/"
        };
        if is_plain_form_post() {
            leptos_axum::redirect(path);
        }
        path.to_string()
    }
}
