//! Layers every response passes through: request ids and logs, security headers with
//! a per-request CSP nonce, and the same-origin check for mutating requests.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::{header, HeaderValue, Method, StatusCode};
use tracing::Instrument;

use app::state::{ClientIp, RequestId};

/// The nonce the page's inline hydration script carries; named in the CSP.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// How many proxies in front of Grip add to `X-Forwarded-For`: 0 (the default)
    /// trusts none and takes the connection's address.
    pub proxy_hops: usize,
    /// The public origin (scheme://host[:port]) when configured; requests from it are
    /// accepted even when a proxy rewrites the Host header.
    pub public_origin: Option<String>,
    pub dev: bool,
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::Rng::fill(&mut rand::thread_rng(), &mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The client's address from the `X-Forwarded-For` values (every header line, in
/// order) when `hops` proxies in front of Grip each add the address they saw: the
/// entry the outermost trusted proxy added, `hops` from the right. Entries left of
/// it are whatever the client sent and are never believed (a client that puts an
/// address there cannot choose its throttling key). None with `hops` 0, without the
/// header, or when that entry is not an address (then the connection's address is
/// used). With fewer entries than hops, the left-most is the one the outermost
/// proxy that was passed added.
pub fn forwarded_client(values: &[&str], hops: usize) -> Option<std::net::IpAddr> {
    if hops == 0 {
        return None;
    }
    let entries: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let chosen = entries.get(entries.len().saturating_sub(hops))?;
    chosen.parse().ok()
}

/// Gives each request an id (logged with every line of the request and returned as
/// `x-request-id`), records the client address, and logs the outcome.
pub async fn request_context(
    State(http): State<HttpSettings>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = random_token(9);
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = forwarded_client(&forwarded, http.proxy_hops)
        .map(|ip| ip.to_string())
        .or(peer)
        .unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(RequestId(id.clone()));
    let origin = app::audit::Origin::new(
        Some(ip.clone()),
        req.headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    );
    req.extensions_mut().insert(ClientIp(ip));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let started = Instant::now();
    async move {
        let mut res = origin.scope(next.run(req)).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let status = res.status().as_u16();
        if status >= 500 {
            tracing::error!(status, ms, "request failed");
        } else {
            tracing::info!(status, ms, "request");
        }
        if let Ok(v) = HeaderValue::from_str(&id) {
            res.headers_mut().insert("x-request-id", v);
        }
        res
    }
    .instrument(span)
    .await
}

/// Answers a server function's refusal with the status of its error, also where
/// the function never ran: Leptos answers arguments that do not even parse (a
/// missing field, text for a number) with 500, whatever the error says, and a flood
/// of those from bad input would hide real failures from anyone watching the logs.
/// The error is recognised by its variant (`AppError::status`), never its text; an
/// internal error stays 500.
pub async fn client_errors(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Error answers are a few hundred bytes of JSON.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// While the database does not answer, a request that failed for it is told so: a
/// 500 becomes 503 (the message of `AppError::Unavailable`: JSON under /api, text
/// elsewhere), and every 503 carries `Retry-After`, so browsers' users, clients and
/// proxies retry instead of reporting a bug. Outside the session layer, whose store
/// fails first when the database is gone.
pub async fn database_down(State(db): State<app::store::Db>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if res.status() == StatusCode::INTERNAL_SERVER_ERROR {
        // A database that answers at all answers `SELECT 1` in milliseconds.
        let answers = tokio::time::timeout(std::time::Duration::from_millis(500), db.ping())
            .await
            .unwrap_or(false);
        if answers {
            return res;
        }
        let error = app::error::AppError::Unavailable;
        res = if api {
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(error)).into_response()
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response()
        };
    }
    if res.status() == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    res
}

/// Security headers on every response. The CSP allows the app's own scripts and WASM
/// and only the one inline script that carries this request's nonce.
pub async fn security_headers(
    State(http): State<HttpSettings>,
    mut req: Request,
    next: Next,
) -> Response {
    // The build's static files (JS, WASM chunks, CSS) are not documents: a policy for
    // documents means nothing on them, and a page fetches some forty of them, so
    // they carry only `nosniff` (half a kilobyte less each on a first visit).
    if req.uri().path().starts_with("/pkg/") {
        let mut res = next.run(req).await;
        res.headers_mut().insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return res;
    }
    let nonce = random_token(16);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let connect = if http.dev {
        "'self' ws://127.0.0.1:* ws://localhost:*"
    } else {
        "'self'"
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; font-src 'self'; connect-src {connect}; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    let h = res.headers_mut();
    // A route that set its own (stricter) policy keeps it: attachment downloads.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Served over https (public_url): browsers are told to come back only that way,
    // so a network attacker cannot strip the next visit down to http.
    if http
        .public_origin
        .as_deref()
        .is_some_and(|o| o.starts_with("https://"))
    {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    res
}

/// Refuses (403) a mutating request whose `Origin` is not this site: the browser
/// sends `Origin` on every cross-site POST, so a forged form from another site fails
/// here whatever cookies it carries. Requests without `Origin` come from non-browser
/// clients, which hold no victim's cookies.
pub async fn same_origin(State(http): State<HttpSettings>, req: Request, next: Next) -> Response {
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if mutating {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("null");
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            let same_host = !host.is_empty() && origin_host == host;
            let public = http
                .public_origin
                .as_deref()
                .is_some_and(|p| p.trim_end_matches('/') == origin);
            if !(same_host || public) {
                tracing::warn!(%origin, %host, "cross-origin request refused");
                return (
                    StatusCode::FORBIDDEN,
                    "Cross-origin requests are not allowed.",
                )
                    .into_response();
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::{forwarded_client, security_headers, HttpSettings};

    #[tokio::test]
    async fn an_https_site_tells_browsers_to_stay_on_https() {
        use tower::ServiceExt;
        let page = |origin: &str| {
            let http = HttpSettings {
                proxy_hops: 0,
                public_origin: Some(origin.to_string()),
                dev: false,
            };
            axum::Router::new()
                .route("/", axum::routing::get(|| async { "ok" }))
                .layer(axum::middleware::from_fn_with_state(http, security_headers))
                .oneshot(
                    axum::http::Request::get("/")
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
        };
        let https = page("https://help.example.com").await.unwrap();
        assert_eq!(
            https.headers()["strict-transport-security"],
            "max-age=31536000"
        );
        let http = page("http://127.0.0.1:3000").await.unwrap();
        assert!(http.headers().get("strict-transport-security").is_none());
    }

    #[test]
    fn the_address_the_trusted_proxy_added_is_the_client() {
        // The client wrote the first entry itself; the proxy appended the second.
        let spoofed = ["203.0.113.9, 198.51.100.7"];
        assert_eq!(
            forwarded_client(&spoofed, 1),
            Some("198.51.100.7".parse().unwrap())
        );
        // Two proxies: the outer one's entry is second from the right.
        let two = ["203.0.113.9, 198.51.100.7, 10.0.0.2"];
        assert_eq!(
            forwarded_client(&two, 2),
            Some("198.51.100.7".parse().unwrap())
        );
        // Several header lines count as one list, in order.
        let lines = ["203.0.113.9", "198.51.100.7"];
        assert_eq!(
            forwarded_client(&lines, 1),
            Some("198.51.100.7".parse().unwrap())
        );
    }

    #[test]
    fn nothing_is_believed_without_trusted_proxies_or_a_real_address() {
        assert_eq!(forwarded_client(&["198.51.100.7"], 0), None);
        assert_eq!(forwarded_client(&[], 1), None);
        assert_eq!(forwarded_client(&["not an address"], 1), None);
        assert_eq!(
            forwarded_client(&["198.51.100.7"], 3),
            Some("198.51.100.7".parse().unwrap())
        );
    }
}
