//! The `grip` server: configuration, the axum router and its layers, and the
//! non-server-function routes. `main.rs` only wires these together.

pub mod attachments;
pub mod audit_csv;
pub mod cli;
pub mod config;
pub mod mail;
pub mod middleware;
pub mod portal;
pub mod previews;
pub mod seed;
pub mod sessions;
pub mod spool;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::{time, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

use app::state::AppState;
use app::store::{ConnectError, Db};
use app::{shell, App};

use middleware::{CspNonce, HttpSettings};
use sessions::GripSessionStore;

/// Opens the database and applies every migration (Grip's and the session table).
pub async fn open_database(url: &str, max_connections: u32) -> Result<Db, ConnectError> {
    open_database_limited(url, max_connections, None).await
}

/// [`open_database`] with the SQLite file's largest size (`sqlite_max_mb`).
pub async fn open_database_limited(
    url: &str,
    max_connections: u32,
    sqlite_max_mb: Option<u64>,
) -> Result<Db, ConnectError> {
    let db = Db::connect_limited(url, max_connections, sqlite_max_mb).await?;
    db.migrate().await?;
    GripSessionStore::new(&db)
        .migrate()
        .await
        .map_err(ConnectError::Sessions)?;
    Ok(db)
}

pub fn app_state(db: Db, config: &config::Config) -> AppState {
    let settings = config.settings();
    AppState {
        db,
        leptos_options: config.leptos_options(),
        files: app::tickets::conversation::files::FileStore::new(settings.attachments_dir.clone()),
        outbox: app::mail::Outbox::default(),
        settings: Arc::new(settings),
    }
}

pub fn http_settings(config: &config::Config) -> HttpSettings {
    HttpSettings {
        proxy_hops: if config.trust_proxy {
            config.proxy_hops
        } else {
            0
        },
        public_origin: config.public_url.as_ref().map(|u| {
            // scheme://host[:port] only
            let (scheme, rest) = u.split_once("://").unwrap_or(("http", u));
            format!("{scheme}://{}", rest.split('/').next().unwrap_or(""))
        }),
        dev: config.leptos_options().env == leptos::config::Env::DEV,
    }
}

/// Everything a page render or server function gets in its reactive context besides
/// the state: the request's CSP nonce, so Leptos stamps it on the hydration script.
fn request_context() {
    use leptos::prelude::use_context;
    let nonce =
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(n)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(n));
    }
}

/// The app's routes (also read by the permission matrix), generated once per process. Leptos generates them by running the
/// app with data loading switched off by a process-wide flag: a page whose data starts
/// loading in another thread at that moment waits forever (leptos issue #4773). A
/// server builds its router once before serving, but the tests build one per test, in
/// parallel with other tests' pages, and hung now and then; once per process, no page
/// can be rendering while the list is made. (A static for that reason only: the list
/// is the same for every router.)
pub fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP application. Tests call this directly and drive it with
/// `tower::ServiceExt::oneshot`.
pub fn router(state: AppState, http: HttpSettings) -> Router {
    let store = GripSessionStore::new(&state.db);
    let sessions = SessionManagerLayer::new(store)
        .with_name("grip_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            state.settings.session_idle_minutes,
        )));
    let routes = route_list();
    Router::new()
        .route("/healthz", get(healthz))
        .merge(static_files(&state.leptos_options))
        .route("/attachments", axum::routing::post(attachments::upload))
        .route("/attachments/{id}/{name}", get(attachments::download))
        .route("/admin/audit.csv", get(audit_csv::export))
        .route(
            "/admin/audit/archives/{month}",
            get(audit_csv::archive_file),
        )
        // Files are limited one by one (upload_limit_mb) while they stream in.
        .route(
            "/portal/new",
            axum::routing::post(portal::new_ticket)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/portal/tickets/{number}/reply",
            axum::routing::post(portal::reply).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .leptos_routes_with_context(&state, routes, request_context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        // Pages rendered by the fallback (404s) need the state too: the app asks who
        // is signed in on every page.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    request_context();
                }
            },
            shell,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(middleware::client_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.db.clone(),
            middleware::database_down,
        ))
        .layer(axum::middleware::from_fn_with_state(
            http.clone(),
            middleware::same_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            http.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            http,
            middleware::request_context,
        ))
        // Pages and server-function answers compressed as they go out. Already
        // encoded files (the precompressed pkg/), images and event streams are left
        // as they are (tower-http's default predicate).
        .layer(
            tower_http::compression::CompressionLayer::new()
                .br(true)
                .gzip(true),
        )
        .with_state(state)
}

/// The built site's `pkg/` (JS, WASM chunks, CSS): the brotli or gzip copy the build
/// wrote beside each file is served when the browser accepts it. With hashed names a
/// file never changes, so the browser keeps it for a year without asking again; a
/// build without hashes (development) asks every time.
fn static_files(options: &leptos::config::LeptosOptions) -> Router<AppState> {
    use tower_http::services::ServeDir;
    use tower_http::set_header::SetResponseHeaderLayer;
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let policy = http::HeaderValue::from_static(if options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            http::header::CACHE_CONTROL,
            move |res: &axum::response::Response<_>| {
                res.status().is_success().then(|| policy.clone())
            },
        ))
        .service(files);
    Router::new().nest_service("/pkg", files)
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Periodic housekeeping (at start, then every ten minutes): expired sessions, stale
/// uploads, files a crash left without their rows, old sign-in failures, audit months
/// past the retention.
pub fn spawn_housekeeping(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let store = GripSessionStore::new(&state.db);
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired_sessions().await {
                tracing::warn!(error = %e, "expired session cleanup failed");
            }
            if let Err(e) =
                app::tickets::conversation::files::sweep_pending(&state.db, &state.files).await
            {
                tracing::warn!(error = %e, "stale upload cleanup failed");
            }
            match app::tickets::conversation::files::sweep_orphans(
                &state.db,
                &state.files,
                app::tickets::conversation::files::ORPHAN_GRACE,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(files = n, "removed files a crash left behind"),
                Err(e) => tracing::warn!(error = %e, "orphan file cleanup failed"),
            }
            if let Err(e) = app::tickets::conversation::files::prune_upload_log(&state.db).await {
                tracing::warn!(error = %e, "upload log cleanup failed");
            }
            if let Err(e) =
                app::auth::store::prune_failures(&state.db, state.settings.login_window_secs).await
            {
                tracing::warn!(error = %e, "sign-in failure cleanup failed");
            }
            if let Err(e) = app::audit::archive::archive_due(
                &state.db,
                &state.settings.audit_archive_dir,
                app::store::now_ms(),
            )
            .await
            {
                tracing::warn!(error = %e, "audit archiving failed");
            }
        }
    })
}
