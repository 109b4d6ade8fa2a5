//! Attachment routes (plain axum, outside the server functions, because files are
//! streamed rather than form-encoded):
//!
//! - `POST /attachments?ticket=ID`: the raw file as the body, its name in
//!   `X-File-Name` (percent-encoded) and its type in `Content-Type`. Streams to a
//!   temporary file while hashing and counting, refuses anything over the configured
//!   limit (413, naming the limit), and answers the pending attachment as JSON.
//!   Staff upload to a ticket they see; a customer to a ticket the portal shows
//!   them, or with no `ticket` for a request they are writing. Nobody has more than
//!   `files::MAX_PENDING` files waiting.
//! - `GET /attachments/{id}/{name}`: the file, to people allowed to see its message
//!   only (anyone else gets 404, whatever id they try). Always
//!   `Content-Disposition: attachment` unless `?inline=1` asks for a raster image;
//!   `?preview=1` answers a raster image's small preview (`previews`) instead.

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::Deserialize;
use tower_sessions::Session;

use app::auth::model::CurrentUser;
use app::error::AppError;
use app::state::AppState;
use app::tickets::conversation::files::{self, StoredAttachment};
use app::tickets::conversation::model::{clean_file_name, is_inline_image, too_large_message};

use crate::spool::{Spool, SpoolError, Spooled};

/// An error as the browser's uploader reads it: a status and `{"error": "…"}`.
fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn app_error(e: AppError) -> Response {
    // The one limit an upload meets: the customer's quota.
    if let AppError::RateLimited { retry_after_secs } = e {
        let mut res = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            app::tickets::conversation::model::quota_used_message(retry_after_secs),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        return res;
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    refuse(status, e.to_string())
}

async fn signed_in(state: &AppState, session: &Session) -> Result<CurrentUser, Response> {
    match app::auth::session::user_of(session, &state.db, state.settings.session_idle_minutes).await
    {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(app_error(AppError::Unauthorized)),
        Err(e) => Err(app_error(e)),
    }
}

#[derive(Deserialize)]
pub struct UploadQuery {
    ticket: Option<i64>,
}

/// Percent-decodes the `X-File-Name` header (browsers send header values as Latin-1,
/// so the uploader encodes the UTF-8 name).
fn decoded_name(headers: &HeaderMap) -> String {
    let raw = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    clean_file_name(&app::ui::percent_decode(raw, false))
}

/// The declared type, if it is a plausible MIME type; else a generic binary type.
fn content_type_of(headers: &HeaderMap) -> String {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let plausible = declared.len() <= 100
        && declared.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && declared
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/+-.".contains(c))
        });
    if plausible {
        declared
    } else {
        "application/octet-stream".into()
    }
}

pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Response {
    let user = match signed_in(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match may_upload(&state, &user, q.ticket).await {
        Ok(true) => {}
        Ok(false) => return app_error(AppError::NotFound),
        Err(e) => return app_error(e),
    }
    if let Err(e) = files::pending_allowance(&state.db, user.id).await {
        return refuse(StatusCode::TOO_MANY_REQUESTS, e.to_string());
    }
    let name = decoded_name(req.headers());
    let (limit, quota) = match upload_limit(&state, &user).await {
        Ok(limits) => limits,
        Err(e) => return app_error(e),
    };
    let too_large = |limit: u64| {
        if quota {
            app::tickets::conversation::model::over_quota_message(&name, limit)
        } else {
            too_large_message(&name, limit)
        }
    };
    let content_type = content_type_of(req.headers());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, too_large(limit));
    }

    let dir = state.files.dir().to_path_buf();
    let spooled = match receive(req.into_body(), &dir, limit).await {
        Ok(done) => done,
        // The spool deleted its partial file as it went.
        Err(Received::TooLarge) => return refuse(StatusCode::PAYLOAD_TOO_LARGE, too_large(limit)),
        Err(Received::Broken(e)) => {
            tracing::warn!(error = %e, "upload interrupted");
            return refuse(
                StatusCode::BAD_REQUEST,
                "The upload was interrupted: try again.",
            );
        }
        Err(Received::Disk(e)) => return app_error(AppError::internal(e)),
    };
    // Whatever happens now, the spooled file goes when `spooled` is dropped (after
    // it was moved into place, that is nothing).
    match files::store_upload(
        &state.db,
        &state.files,
        &spooled.path,
        &spooled.sha256,
        spooled.size as i64,
        q.ticket,
        user.id,
        &name,
        &content_type,
    )
    .await
    {
        Ok(a) => {
            if !user.role.is_staff() {
                if let Err(e) = files::log_upload(&state.db, user.id, a.size).await {
                    return app_error(e);
                }
            }
            crate::previews::make(&dir, &spooled.sha256, &content_type).await;
            (StatusCode::OK, Json(a)).into_response()
        }
        Err(e) => app_error(e),
    }
}

/// The most `user` may upload now, and whether that is their quota (a customer's
/// daily allowance, when it is below the size limit) rather than the size limit. A
/// customer who used up their quota or their files for the hour is refused (429).
pub(crate) async fn upload_limit(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(u64, bool), AppError> {
    let s = &state.settings;
    if user.role.is_staff() {
        return Ok((s.upload_limit_bytes, false));
    }
    let left = files::customer_allowance(
        &state.db,
        user.id,
        s.customer_upload_bytes_per_day,
        s.customer_uploads_per_hour,
    )
    .await?;
    Ok((s.upload_limit_bytes.min(left), left < s.upload_limit_bytes))
}

/// Whether `user` may upload for `ticket`: staff to a ticket of their teams; a
/// customer (verified, with a customer record) to a ticket the portal shows them, or
/// to no ticket yet (a new request). Anything else looks like a missing ticket.
async fn may_upload(
    state: &AppState,
    user: &CurrentUser,
    ticket: Option<i64>,
) -> Result<bool, AppError> {
    if user.role.is_staff() {
        return match ticket {
            Some(id) => app::auth::policy::ticket_visible(&state.db, user, id).await,
            None => Ok(false),
        };
    }
    let viewer = app::portal::store::viewer(&state.db, user).await?;
    if viewer.active_customer().is_none() {
        return Ok(false);
    }
    match ticket {
        Some(id) => app::portal::store::visible_ticket(&state.db, &viewer, id).await,
        None => Ok(true),
    }
}

enum Received {
    TooLarge,
    Broken(String),
    Disk(std::io::Error),
}

/// Streams the body into the spool (see `spool`); stops at `limit` bytes.
async fn receive(
    body: Body,
    attachments_dir: &std::path::Path,
    limit: u64,
) -> Result<Spooled, Received> {
    let disk = |e: SpoolError| match e {
        SpoolError::TooLarge => Received::TooLarge,
        SpoolError::Disk(e) => Received::Disk(e),
    };
    let mut spool = Spool::create(attachments_dir, limit).await.map_err(disk)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Received::Broken(e.to_string()))?;
        spool.write(&chunk).await.map_err(disk)?;
    }
    spool.finish().await.map_err(disk)
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    inline: Option<String>,
    preview: Option<String>,
}

/// Whether `user` may see this attachment: staff of the ticket's team see the files
/// of messages that are not deleted, and their own uploads not yet sent. A customer
/// gets only the files of public messages on tickets the portal shows them (their
/// own, or their company's for a manager): never a file of an internal note.
async fn may_download(
    state: &AppState,
    user: &CurrentUser,
    a: &StoredAttachment,
) -> Result<bool, AppError> {
    if a.deleted_at.is_some() {
        return Ok(false);
    }
    if !user.role.is_staff() {
        let Some(message) = a.message_id else {
            return Ok(false);
        };
        let viewer = app::portal::store::viewer(&state.db, user).await?;
        let Some(ticket) = a.ticket_id else {
            return Ok(false);
        };
        return Ok(
            app::portal::store::public_message(&state.db, message).await?
                && app::portal::store::visible_ticket(&state.db, &viewer, ticket).await?,
        );
    }
    let Some(ticket) = a.ticket_id else {
        return Ok(false);
    };
    if !app::auth::policy::ticket_visible(&state.db, user, ticket).await? {
        return Ok(false);
    }
    Ok(a.message_id.is_some() || a.uploader_id == Some(user.id))
}

pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path((id, _name)): Path<(i64, String)>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    let user = match signed_in(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let found = match files::find_attachment(&state.db, id).await {
        Ok(f) => f,
        Err(e) => return app_error(e),
    };
    let Some(a) = found else {
        return app_error(AppError::NotFound);
    };
    match may_download(&state, &user, &a).await {
        Ok(true) => {}
        Ok(false) => return app_error(AppError::NotFound),
        Err(e) => return app_error(e),
    }
    if q.preview.is_some() && is_inline_image(&a.content_type) {
        let path = files::preview_path(state.files.dir(), &a.sha256);
        // An image stored before previews existed, or one too large to decode, has
        // none: the image itself is shown then.
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return preview_response(bytes);
        }
    }
    let path = files::path_for(state.files.dir(), &a.sha256);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            return app_error(AppError::internal(format!(
                "attachment {} file {} missing: {e}",
                a.id,
                path.display()
            )))
        }
    };
    let inline = (q.inline.is_some() || q.preview.is_some()) && is_inline_image(&a.content_type);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut res = Response::new(body);
    let h = res.headers_mut();
    let ctype = HeaderValue::from_str(&a.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, ctype);
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(a.size.max(0) as u64),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(inline, &a.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    protect(h);
    (StatusCode::OK, res).into_response()
}

/// What every answer with a file's bytes carries: no type sniffing, a private cache,
/// and a policy under which, whatever the file holds, it runs nothing if opened in
/// the browser (the security-headers layer keeps it instead of the page one).
fn protect(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
}

/// A preview's bytes, shown inline, with the same protections as the files.
fn preview_response(bytes: Vec<u8>) -> Response {
    let ctype = crate::previews::content_type(&bytes);
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    protect(h);
    res
}

/// `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf` (the plain form
/// for old clients with anything unusual replaced, the encoded form exact).
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 5987's attr-char: letters, digits and -._~ stay, every other byte is escaped.
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR_CHAR);
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_decoded_and_cleaned() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-file-name",
            HeaderValue::from_static("..%2F..%2Fr%C3%A9sum%C3%A9.pdf"),
        );
        assert_eq!(decoded_name(&h), "résumé.pdf");
    }

    #[test]
    fn odd_content_types_become_binary() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert_eq!(content_type_of(&h), "text/html");
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("<script>"));
        assert_eq!(content_type_of(&h), "application/octet-stream");
    }

    #[test]
    fn dispositions_carry_both_name_forms() {
        assert_eq!(
            disposition(false, "résumé \"v2\".pdf"),
            "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf"
        );
    }
}
