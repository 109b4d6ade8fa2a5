//! The audit trail's downloads (admins): `GET /admin/audit/archives/{month}`, an
//! archived month's file, and `GET /admin/audit.csv`: the audit trail as Admin → Audit filters it (the
//! same query string), newest first, as CSV. Streamed 1,000 rows per database read,
//! so a trail of millions of rows is never held in memory; a bad filter is refused
//! (422, naming the field) before anything is sent.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tower_sessions::Session;

use app::admin::audit::{AuditFilter, AuditLine};
use app::auth::Role;
use app::error::AppError;
use app::state::AppState;
use app::store::Db;

/// Rows per database read.
const CHUNK: i64 = 1_000;

const HEADER: [&str; 12] = [
    "id",
    "at",
    "actor",
    "record",
    "record_id",
    "ticket_number",
    "action",
    "field",
    "old_value",
    "new_value",
    "client_ip",
    "user_agent",
];

fn refuse(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.to_string()).into_response()
}

/// A cell as a spreadsheet will not run it: text that starts like a formula gets a
/// leading apostrophe (OWASP's advice on CSV injection), since names and values in the
/// trail are typed by customers and staff.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Rows as CSV (with the header line first when `header`).
fn encode(rows: &[AuditLine], header: bool) -> Result<Vec<u8>, std::io::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(HEADER)?;
    }
    for r in rows {
        let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or(""));
        w.write_record([
            r.id.to_string(),
            app::ui::time::iso(r.at),
            opt(&r.actor),
            cell(&r.entity),
            r.entity_id.to_string(),
            r.ticket_number.map(|n| n.to_string()).unwrap_or_default(),
            cell(&r.action),
            opt(&r.field),
            opt(&r.old_value),
            opt(&r.new_value),
            opt(&r.client_ip),
            opt(&r.user_agent),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

struct Cursor {
    db: Db,
    filter: AuditFilter,
    /// The first page, read before the answer started (to refuse a bad filter).
    first: Option<Vec<AuditLine>>,
    before: Option<i64>,
    header: bool,
    done: bool,
}

/// The signed-in admin's refusal, if the session is not an admin's.
async fn admin_only(session: &Session, state: &AppState) -> Result<(), Response> {
    match app::auth::session::user_of(session, &state.db, state.settings.session_idle_minutes).await
    {
        Ok(Some(u)) if u.role == Role::Admin => Ok(()),
        Ok(Some(_)) => Err(refuse(AppError::Forbidden)),
        Ok(None) => Err(refuse(AppError::Unauthorized)),
        Err(e) => Err(refuse(e)),
    }
}

/// `GET /admin/audit/archives/{month}` (admins): an archived month's file as it is
/// stored (gzip of JSON lines, one audit row each).
pub async fn archive_file(
    State(state): State<AppState>,
    session: Session,
    Path(month): Path<String>,
) -> Response {
    if let Err(refused) = admin_only(&session, &state).await {
        return refused;
    }
    let Some(month) = app::audit::archive::Month::parse(&month) else {
        return refuse(AppError::NotFound);
    };
    let path = app::audit::archive::archive_path(&state.settings.audit_archive_dir, month);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return refuse(AppError::NotFound),
        Err(e) => return refuse(AppError::internal(format!("audit archive {month}: {e}"))),
    };
    let mut res = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"grip-{}\"",
        month.file_name()
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn export(
    State(state): State<AppState>,
    session: Session,
    Query(filter): Query<AuditFilter>,
) -> Response {
    if let Err(refused) = admin_only(&session, &state).await {
        return refused;
    }
    let first = match app::audit::audit_page(&state.db, &filter, None, CHUNK).await {
        Ok(rows) => rows,
        Err(e) => return refuse(e),
    };
    let cursor = Cursor {
        db: state.db.clone(),
        filter,
        first: Some(first),
        before: None,
        header: true,
        done: false,
    };
    let chunks = futures_util::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let rows = match c.first.take() {
            Some(rows) => rows,
            None => match app::audit::audit_page(&c.db, &c.filter, c.before, CHUNK).await {
                Ok(rows) => rows,
                Err(e) => {
                    // The answer has begun: all that is left is to cut it short.
                    c.done = true;
                    return Some((Err(std::io::Error::other(e.to_string())), c));
                }
            },
        };
        c.done = (rows.len() as i64) < CHUNK;
        c.before = rows.last().map(|r| r.id);
        let bytes = encode(&rows, c.header);
        c.header = false;
        Some((bytes, c))
    });
    // Fused: the compression layer polls the body once more after its end, which an
    // unfused `unfold` answers with a panic.
    let mut res = Body::from_stream(chunks.fuse()).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"grip-audit.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_value_that_starts_like_a_formula_is_kept_as_text() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("-1"), "'-1");
        assert_eq!(super::cell("Ada"), "Ada");
    }
}
