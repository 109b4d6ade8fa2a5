//! Audit archives: audit rows older than the retention an admin sets (Admin → Audit;
//! default: kept forever) move, one calendar month (UTC) at a time, to a gzip file of
//! JSON lines in `<data_dir>/audit-archive` — `audit-2025-11.jsonl.gz`, one row per
//! line with every column, so a month can be put back exactly. The files are listed
//! in `audit_archives`, downloadable and restorable from Admin → Audit.
//!
//! Nothing is lost on the way: a month's file is written whole (to a temporary name,
//! synced, then renamed) before its rows leave the database in one transaction; a
//! crash in between leaves rows in both places, and the next run writes the file
//! again with what it already held. A restore inserts every row of the file in one
//! transaction (rows already there are skipped), so a damaged file changes nothing.
//! A restored month is left alone by the retention until an admin archives it again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use async_compression::tokio::bufread::GzipDecoder;
use async_compression::tokio::write::GzipEncoder;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};

use crate::admin::audit::{ArchiveOverview, AuditArchive};
use crate::db;
use crate::error::AppError;
use crate::store::{now_ms, Db};

/// The `app_settings` key of the retention, in months.
pub const RETENTION_KEY: &str = "audit_retention_months";

/// Rows per database read while writing an archive.
const CHUNK: i64 = 1_000;

/// One archive or restore at a time in this process: both read and write a month's
/// file and its rows.
static WORK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// And one across the instances sharing a database (and, as the README asks, the
/// data directory): a lease in `app_settings`, taken for [`LEASE_MS`] at most (an
/// instance that stopped mid-way does not keep it).
const LEASE_KEY: &str = "audit_archive_lease";
const LEASE_MS: i64 = 30 * 60_000;

/// This process, as the lease names its holder.
fn holder() -> &'static str {
    static HOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOLDER.get_or_init(|| format!("pid {} from {}", std::process::id(), now_ms()))
}

/// Takes the lease: false when another instance holds it. This process may always
/// take it again ([`WORK`] orders its own work), so work of its own that was
/// cancelled midway does not keep it out.
async fn take_lease(db: &Db) -> Result<bool, AppError> {
    let now = now_ms();
    let taken = crate::write_tx!(db, single conn => sqlx::query(
        "INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
         WHERE app_settings.updated_at < $4 OR app_settings.value = $2"
    ).bind(LEASE_KEY).bind(holder()).bind(now).bind(now - LEASE_MS).execute(&mut *conn).await
        .map(|done| done.rows_affected() == 1).map_err(AppError::from))?;
    Ok(taken)
}

async fn give_lease_back(db: &Db) {
    async fn give(db: &Db) -> Result<(), AppError> {
        crate::write_tx!(db, single conn => sqlx::query("DELETE FROM app_settings WHERE key = $1 AND value = $2")
            .bind(LEASE_KEY).bind(holder()).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
    }
    if let Err(e) = give(db).await {
        tracing::warn!(error = %e, "the audit archive lease was not given back (it lapses by itself)");
    }
}

/// Runs `work` holding this process's turn and the instances' lease; `busy` when
/// another instance holds the lease.
async fn exclusively<T>(
    db: &Db,
    busy: impl FnOnce() -> Result<T, AppError>,
    work: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let _turn = WORK.lock().await;
    if !take_lease(db).await? {
        return busy();
    }
    let result = work.await;
    give_lease_back(db).await;
    result
}

fn busy_elsewhere<T>() -> Result<T, AppError> {
    Err(AppError::conflict(
        "form",
        "Another Grip instance is archiving or restoring audit rows: try again in a minute.",
    ))
}

/// A calendar month in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u8,
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Month {
    /// `YYYY-MM`, nothing else (it becomes a file name).
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The month the instant `ms` (epoch milliseconds) falls in.
    pub fn of(ms: i64) -> Month {
        let at = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Month {
            year: at.year(),
            month: at.month() as u8,
        }
    }

    /// Its first instant, in epoch milliseconds.
    pub fn start_ms(self) -> i64 {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        time::Date::from_calendar_date(self.year, month, 1)
            .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
            .unwrap_or(0)
    }

    pub fn next(self) -> Month {
        self.plus(1)
    }

    /// The month `n` months after this one (before it, for a negative `n`).
    pub fn plus(self, n: i32) -> Month {
        let index = self.year * 12 + i32::from(self.month) - 1 + n;
        Month {
            year: index.div_euclid(12),
            month: (index.rem_euclid(12) + 1) as u8,
        }
    }

    /// The name of its archive file.
    pub fn file_name(self) -> String {
        format!("audit-{self}.jsonl.gz")
    }
}

/// One archived audit row: every column, and the actor's name when it was archived
/// (for whoever reads the file; a restore goes by `actor_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ArchivedRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    #[serde(default)]
    pub actor: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

fn io_fault(e: std::io::Error) -> AppError {
    AppError::internal(format!("audit archive: {e}"))
}

/// The retention in months, or None: rows are kept forever.
pub async fn retention(db: &Db) -> Result<Option<u32>, AppError> {
    let value: Option<String> = db!(db, pool => sqlx::query_scalar(
        "SELECT value FROM app_settings WHERE key = $1"
    ).bind(RETENTION_KEY).fetch_optional(pool).await)?;
    Ok(value.and_then(|v| v.parse().ok()))
}

/// The retention as typed in Admin → Audit: empty for forever, else whole months
/// from 1 to 1,200 (the current month is never archived).
pub fn parse_retention(typed: &str) -> Result<Option<u32>, AppError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    match typed.parse::<u32>() {
        Ok(n) if (1..=1200).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::validation(
            "months",
            "Enter a number of months from 1 to 1200, or leave it empty to keep every row.",
        )),
    }
}

/// Sets the retention (None: forever), audited as a setting.
pub async fn set_retention(db: &Db, actor: i64, months: Option<u32>) -> Result<(), AppError> {
    let now = now_ms();
    let new = months.map(|m| m.to_string());
    crate::write_tx!(db, tx => async {
        let old: Option<String> = sqlx::query_scalar("SELECT value FROM app_settings WHERE key = $1")
            .bind(RETENTION_KEY).fetch_optional(&mut *tx).await?;
        if old == new {
            return Ok(());
        }
        match &new {
            Some(v) => sqlx::query(
                "INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            ).bind(RETENTION_KEY).bind(v).bind(now).execute(&mut *tx).await?,
            None => sqlx::query("DELETE FROM app_settings WHERE key = $1")
                .bind(RETENTION_KEY).execute(&mut *tx).await?,
        };
        crate::insert_audit!(&mut *tx, actor, "setting", 0_i64, "changed", Some(RETENTION_KEY),
            old.as_deref(), new.as_deref(), now).await?;
        Ok::<_, AppError>(())
    }.await)
}

/// The retention and every archive, newest month first.
pub async fn overview(db: &Db) -> Result<ArchiveOverview, AppError> {
    let archives = db!(db, pool => sqlx::query_as::<_, AuditArchive>(
        "SELECT month, row_count, bytes, archived_at, restored_at FROM audit_archives ORDER BY month DESC"
    ).fetch_all(pool).await)?;
    Ok(ArchiveOverview {
        retention_months: retention(db).await?,
        archives,
    })
}

/// Where month `month`'s archive is (or would be) in `dir`.
pub fn archive_path(dir: &Path, month: Month) -> PathBuf {
    dir.join(month.file_name())
}

/// The lines of an archive file, or None when there is no such file.
async fn open_archive(
    path: &Path,
) -> Result<Option<tokio::io::Lines<impl tokio::io::AsyncBufRead + Unpin>>, AppError> {
    match tokio::fs::File::open(path).await {
        Ok(file) => Ok(Some(
            BufReader::new(GzipDecoder::new(BufReader::new(file))).lines(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_fault(e)),
    }
}

/// Archives every whole month older than the retention (none when rows are kept
/// forever), oldest first, skipping months an admin restored. `now` in epoch ms.
/// Returns each month archived with its number of rows.
pub async fn archive_due(db: &Db, dir: &Path, now: i64) -> Result<Vec<(Month, i64)>, AppError> {
    let Some(months) = retention(db).await? else {
        return Ok(Vec::new());
    };
    let cutoff = Month::of(now).plus(-(months as i32)).start_ms();
    exclusively(db, || Ok(Vec::new()), archive_months(db, dir, cutoff)).await
}

/// [`archive_due`]'s work: every month before `cutoff` but the restored ones (read
/// with the lease held, so a restore that just finished is seen).
async fn archive_months(db: &Db, dir: &Path, cutoff: i64) -> Result<Vec<(Month, i64)>, AppError> {
    let restored: HashSet<String> = db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT month FROM audit_archives WHERE restored_at IS NOT NULL"
    ).fetch_all(pool).await)?
    .into_iter()
    .collect();
    let mut done = Vec::new();
    let mut from = i64::MIN;
    loop {
        let oldest: Option<i64> = db!(db, pool => sqlx::query_scalar(
            "SELECT MIN(at) FROM audit_log WHERE at >= $1 AND at < $2"
        ).bind(from).bind(cutoff).fetch_one(pool).await)?;
        let Some(oldest) = oldest else { break };
        let month = Month::of(oldest);
        if !restored.contains(&month.to_string()) {
            let rows = move_month(db, dir, month, None).await?;
            done.push((month, rows));
        }
        from = month.next().start_ms();
    }
    Ok(done)
}

/// Moves month `month`'s audit rows into its archive file (adding to what the file
/// already holds) and lists it; `actor` is the admin who asked, None for the
/// retention. Returns how many rows the file holds. A month with no rows and no
/// file is left as it is.
pub async fn archive_month(
    db: &Db,
    dir: &Path,
    month: Month,
    actor: Option<i64>,
) -> Result<i64, AppError> {
    exclusively(db, busy_elsewhere, move_month(db, dir, month, actor)).await
}

/// [`archive_month`]'s work, with the lease held.
async fn move_month(
    db: &Db,
    dir: &Path,
    month: Month,
    actor: Option<i64>,
) -> Result<i64, AppError> {
    let (start, end) = (month.start_ms(), month.next().start_ms());
    tokio::fs::create_dir_all(dir).await.map_err(io_fault)?;
    let path = archive_path(dir, month);
    let partial = dir.join(format!(
        ".{}.{}.partial",
        month.file_name(),
        std::process::id()
    ));
    let file = tokio::fs::File::create(&partial).await.map_err(io_fault)?;
    let written = write_month(db, &path, file, start, end).await;
    let (rows, last_id) = match written {
        Ok(Some(w)) => w,
        other => {
            let _ = tokio::fs::remove_file(&partial).await;
            return other.map(|_| 0_i64);
        }
    };
    tokio::fs::rename(&partial, &path).await.map_err(io_fault)?;
    // The rename itself made durable before the rows go (on Linux a directory syncs
    // like a file; where it cannot be opened so, the rename stands as it is).
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
    let bytes = tokio::fs::metadata(&path).await.map_err(io_fault)?.len() as i64;
    let now = now_ms();
    let name = month.to_string();
    let file_name = month.file_name();
    crate::write_tx!(db, tx => async {
        sqlx::query("DELETE FROM audit_log WHERE at >= $1 AND at < $2 AND id <= $3")
            .bind(start).bind(end).bind(last_id).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO audit_archives (month, file, row_count, bytes, archived_at, restored_at)
             VALUES ($1, $2, $3, $4, $5, NULL)
             ON CONFLICT (month) DO UPDATE SET file = excluded.file, row_count = excluded.row_count,
                 bytes = excluded.bytes, archived_at = excluded.archived_at, restored_at = NULL",
        ).bind(&name).bind(&file_name).bind(rows).bind(bytes).bind(now).execute(&mut *tx).await?;
        let what = format!("{name} ({rows} rows)");
        crate::insert_audit!(&mut *tx, actor, "audit", 0_i64, "archived", Some("month"),
            None::<&str>, Some(what.as_str()), now).await?;
        Ok::<_, AppError>(())
    }.await)?;
    tracing::info!(month = %name, rows, bytes, "audit month archived");
    Ok(rows)
}

/// Writes month `[start, end)` to `file`: the rows of the archive at `path` when
/// there is one, then the month's rows in the database it does not hold yet. Synced
/// to disk. Returns the number of rows and the highest id read from the database,
/// or None when there was nothing to write.
async fn write_month(
    db: &Db,
    path: &Path,
    file: tokio::fs::File,
    start: i64,
    end: i64,
) -> Result<Option<(i64, i64)>, AppError> {
    let mut out = GzipEncoder::new(BufWriter::new(file));
    let mut seen = HashSet::new();
    let mut line = Vec::new();
    let mut put = |row: &ArchivedRow, line: &mut Vec<u8>| -> Result<bool, AppError> {
        if !seen.insert(row.id) {
            return Ok(false);
        }
        line.clear();
        serde_json::to_writer(&mut *line, row).map_err(AppError::internal)?;
        line.push(b'\n');
        Ok(true)
    };
    let mut rows = 0_i64;
    if let Some(mut lines) = open_archive(path).await? {
        let mut n = 0;
        while let Some(text) = lines.next_line().await.map_err(io_fault)? {
            n += 1;
            if text.trim().is_empty() {
                continue;
            }
            let row: ArchivedRow = serde_json::from_str(&text).map_err(|e| {
                AppError::conflict(
                    "form",
                    format!(
                        "Line {n} of {} cannot be read ({e}); the archive was left as it is.",
                        path.display()
                    ),
                )
            })?;
            if put(&row, &mut line)? {
                out.write_all(&line).await.map_err(io_fault)?;
                rows += 1;
            }
        }
    }
    let (mut after_at, mut after_id, mut last_id) = (start - 1, 0_i64, 0_i64);
    loop {
        let chunk = db!(db, pool => sqlx::query_as::<_, ArchivedRow>(
            "SELECT a.id, a.at, a.actor_id, u.name AS actor, a.entity, a.entity_id, a.action, a.field,
                    a.old_value, a.new_value, a.client_ip, a.user_agent
               FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
              WHERE a.at >= $1 AND a.at < $2 AND (a.at > $3 OR (a.at = $3 AND a.id > $4))
              ORDER BY a.at, a.id LIMIT $5"
        ).bind(start).bind(end).bind(after_at).bind(after_id).bind(CHUNK).fetch_all(pool).await)?;
        for row in &chunk {
            last_id = last_id.max(row.id);
            if put(row, &mut line)? {
                out.write_all(&line).await.map_err(io_fault)?;
                rows += 1;
            }
        }
        match chunk.last() {
            Some(r) if chunk.len() as i64 == CHUNK => (after_at, after_id) = (r.at, r.id),
            _ => break,
        }
    }
    if rows == 0 {
        return Ok(None);
    }
    out.shutdown().await.map_err(io_fault)?;
    out.into_inner()
        .into_inner()
        .sync_all()
        .await
        .map_err(io_fault)?;
    Ok(Some((rows, last_id)))
}

/// Puts month `month`'s archived rows back into the database (rows that are there
/// already are skipped) and marks the month restored, in one transaction: a file
/// that cannot be read changes nothing. Returns how many rows came back.
pub async fn restore_month(db: &Db, dir: &Path, month: Month, actor: i64) -> Result<i64, AppError> {
    exclusively(db, busy_elsewhere, put_back(db, dir, month, actor)).await
}

/// [`restore_month`]'s work, with the lease held.
async fn put_back(db: &Db, dir: &Path, month: Month, actor: i64) -> Result<i64, AppError> {
    let name = month.to_string();
    let file: Option<String> = db!(db, pool => sqlx::query_scalar(
        "SELECT file FROM audit_archives WHERE month = $1"
    ).bind(&name).fetch_optional(pool).await)?;
    let file = file.ok_or(AppError::NotFound)?;
    let path = archive_path(dir, month);
    let Some(mut lines) = open_archive(&path).await? else {
        return Err(AppError::conflict(
            "form",
            format!("{file} is no longer in the data directory's audit-archive folder: put it back, then restore."),
        ));
    };
    let (start, end) = (month.start_ms(), month.next().start_ms());
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let (mut n, mut restored) = (0_u64, 0_i64);
        while let Some(text) = lines.next_line().await.map_err(|e| AppError::conflict(
            "form", format!("{file} cannot be read ({e}); nothing was restored."),
        ))? {
            n += 1;
            if text.trim().is_empty() {
                continue;
            }
            let row: ArchivedRow = serde_json::from_str(&text)
                .ok()
                .filter(|r: &ArchivedRow| (start..end).contains(&r.at))
                .ok_or_else(|| AppError::conflict(
                    "form",
                    format!("Line {n} of {file} is not an audit row of {name}; nothing was restored."),
                ))?;
            let done = sqlx::query(
                "INSERT INTO audit_log (id, actor_id, entity, entity_id, action, field, old_value, new_value, at, client_ip, user_agent)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
            )
            .bind(row.id).bind(row.actor_id).bind(&row.entity).bind(row.entity_id).bind(&row.action)
            .bind(&row.field).bind(&row.old_value).bind(&row.new_value).bind(row.at)
            .bind(&row.client_ip).bind(&row.user_agent)
            .execute(&mut *tx).await?;
            restored += done.rows_affected() as i64;
        }
        sqlx::query("UPDATE audit_archives SET restored_at = $1 WHERE month = $2")
            .bind(now).bind(&name).execute(&mut *tx).await?;
        let what = format!("{name} ({restored} rows)");
        crate::insert_audit!(&mut *tx, actor, "audit", 0_i64, "restored", Some("month"),
            None::<&str>, Some(what.as_str()), now).await?;
        Ok::<_, AppError>(restored)
    }.await)
}

#[cfg(test)]
mod tests {
    use super::Month;

    #[test]
    fn months_parse_strictly_and_count_across_years() {
        let m = Month::parse("2025-11").unwrap();
        assert_eq!(m.to_string(), "2025-11");
        assert_eq!(m.plus(2).to_string(), "2026-01");
        assert_eq!(m.plus(-11).to_string(), "2024-12");
        for bad in [
            "2025-13",
            "2025-1",
            "25-11",
            "2025-11/..",
            "../../etc",
            "2025-00",
            "",
        ] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(m.start_ms(), 1_761_955_200_000);
        assert_eq!(Month::of(1_761_955_200_000), m);
        assert_eq!(Month::of(1_761_955_199_999).to_string(), "2025-10");
        assert_eq!(m.file_name(), "audit-2025-11.jsonl.gz");
    }
}
