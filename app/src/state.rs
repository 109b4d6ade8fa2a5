//! Server-side state handed to every server function and route through context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;

use crate::error::AppError;
use crate::store::Db;

/// Runtime settings the app itself needs (the server's full configuration lives in
/// the `server` crate and fills this in).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Sessions expire after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// Largest accepted upload, in bytes.
    pub upload_limit_bytes: u64,
    /// How much one customer account may upload within 24 hours, in bytes.
    pub customer_upload_bytes_per_day: u64,
    /// How many files one customer account may upload within an hour.
    pub customer_uploads_per_hour: i64,
    /// Where attachment files are stored (`<data_dir>/attachments`).
    pub attachments_dir: std::path::PathBuf,
    /// Where audit months past the retention are archived (`<data_dir>/audit-archive`).
    pub audit_archive_dir: std::path::PathBuf,
    /// Set the `Secure` flag on cookies (the site is served over https).
    pub secure_cookies: bool,
    /// Failed sign-ins allowed per email and per client address within the window.
    pub login_max_failures: i64,
    /// The throttling window, in seconds.
    pub login_window_secs: i64,
    /// Where people reach Grip (`https://help.example.com`), for links in emails.
    pub site_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_minutes: 60 * 24 * 7,
            upload_limit_bytes: 25 * 1024 * 1024,
            customer_upload_bytes_per_day: 250 * 1024 * 1024,
            customer_uploads_per_hour: 60,
            attachments_dir: std::path::PathBuf::from("data/attachments"),
            audit_archive_dir: std::path::PathBuf::from("data/audit-archive"),
            secure_cookies: false,
            login_max_failures: 10,
            login_window_secs: 15 * 60,
            site_url: "http://127.0.0.1:3000".to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    /// Rung by every write that queues mail; the delivery task waits on it.
    pub outbox: crate::mail::Outbox,
    /// The attachments directory and its lock (`settings.attachments_dir`).
    pub files: crate::tickets::conversation::files::FileStore,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The id the server gave the current request; it appears in every log line of the
/// request and on the error page, so a user's report can be matched to the log.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The client's address as the server saw it (or as a trusted proxy reported it).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

/// The state, from context. Missing while a request is being served, that is a
/// wiring bug, reported as Internal. Missing with no request at all, it is a page's
/// data fetch that outlived its request (the browser navigated away), which is
/// harmless: answered with Unreachable and logged at debug level only.
pub fn app_state() -> Result<AppState, AppError> {
    if let Some(state) = use_context::<AppState>() {
        return Ok(state);
    }
    if use_context::<http::request::Parts>().is_none() {
        tracing::debug!("data fetch after its request ended: skipped");
        return Err(AppError::Unreachable);
    }
    Err(AppError::internal("AppState missing from context"))
}

pub fn current_request_id() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<RequestId>().map(|r| r.0.clone()))
        .unwrap_or_else(|| "-".into())
}

pub fn client_ip() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|r| r.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}
