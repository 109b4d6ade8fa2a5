//! Attachment files: stored once per content under `<data_dir>/attachments/ab/<sha256>`,
//! with their names and types in the database. Placing a file and releasing one
//! (removing it when its last reference goes) take one lock ([`FileStore`]), so a
//! file being attached again while its last reference is removed is never lost. (Several instances sharing
//! one directory keep that guarantee only per instance; see the README.)

use std::path::{Path, PathBuf};

use super::model::Attachment;
use crate::db;
use crate::error::AppError;
use crate::store::{now_ms, Db};

/// The attachments directory and its lock, one per application state
/// (`AppState::files`): placing a file and releasing one hold the lock.
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl FileStore {
    pub fn new(dir: PathBuf) -> FileStore {
        FileStore {
            dir,
            lock: Default::default(),
        }
    }

    /// The directory (`<data_dir>/attachments`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lock.lock().await
    }
}

/// Where the file with this content hash lives.
pub fn path_for(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
}

/// Where the small preview of an image with this content hash lives (made once
/// when it is stored, by the server; removed with the file).
pub fn preview_path(dir: &Path, sha256: &str) -> PathBuf {
    path_for(dir, sha256).with_extension("preview")
}

/// An upload received in full into `temp` (hashed and measured while it arrived):
/// moves it into place under its hash, unless that content is stored already, and
/// records it as a pending attachment of `ticket_id` by `uploader` (no ticket: a file
/// for a portal request not sent yet).
#[allow(clippy::too_many_arguments)]
pub async fn store_upload(
    db: &Db,
    files: &FileStore,
    temp: &Path,
    sha256: &str,
    size: i64,
    ticket_id: Option<i64>,
    uploader: i64,
    name: &str,
    content_type: &str,
) -> Result<Attachment, AppError> {
    let now = now_ms();
    let _placing = files.lock().await;
    let target = path_for(files.dir(), sha256);
    if tokio::fs::try_exists(&target).await.unwrap_or(false) {
        let _ = tokio::fs::remove_file(temp).await;
    } else {
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(AppError::internal)?;
        }
        tokio::fs::rename(temp, &target)
            .await
            .map_err(AppError::internal)?;
    }
    let id = crate::write_tx!(db, tx => async {
        sqlx::query("INSERT INTO files (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
            .bind(sha256).bind(size).bind(now).execute(&mut *tx).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (ticket_id, message_id, uploader_id, sha256, name, content_type, size, created_at)
             VALUES ($1, NULL, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(ticket_id).bind(uploader).bind(sha256).bind(name).bind(content_type).bind(size).bind(now)
        .fetch_one(&mut *tx).await?;
        Ok::<_, AppError>(id)
    }.await)?;
    Ok(Attachment {
        id,
        name: name.to_string(),
        content_type: content_type.to_string(),
        size,
    })
}

/// Removes the stored content of each hash no attachment refers to any more.
pub async fn release(db: &Db, files: &FileStore, hashes: &[String]) -> Result<(), AppError> {
    if hashes.is_empty() {
        return Ok(());
    }
    let _releasing = files.lock().await;
    let dir = files.dir();
    for sha in hashes {
        let gone: Option<String> = crate::write_tx!(db, single conn => sqlx::query_scalar::<_, String>(
            "DELETE FROM files WHERE sha256 = $1
               AND NOT EXISTS (SELECT 1 FROM attachments WHERE sha256 = $1) RETURNING sha256"
        ).bind(sha).fetch_optional(&mut *conn).await.map_err(AppError::from))?;
        if gone.is_some() {
            for path in [path_for(dir, sha), preview_path(dir, sha)] {
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(sha, error = %e, "could not remove an attachment file");
                    }
                }
            }
        }
    }
    Ok(())
}

/// What a download needs to decide and to answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredAttachment {
    pub id: i64,
    /// None for an upload waiting for its portal request to be sent.
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
    /// The message's visibility (None while the upload is pending).
    pub internal: Option<bool>,
    pub deleted_at: Option<i64>,
    pub uploader_id: Option<i64>,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

pub async fn find_attachment(db: &Db, id: i64) -> Result<Option<StoredAttachment>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, StoredAttachment>(
        "SELECT a.id, a.ticket_id, a.message_id, m.internal, m.deleted_at, a.uploader_id, a.sha256,
                a.name, a.content_type, a.size
         FROM attachments a LEFT JOIN messages m ON m.id = a.message_id WHERE a.id = $1"
    ).bind(id).fetch_optional(pool).await)?)
}

/// How many files may wait, uploaded by one person and not sent yet: past that,
/// uploads are refused until some are sent or removed (a day's sweep removes the
/// rest), so nobody fills the disk with files that never go anywhere.
pub const MAX_PENDING: i64 = 30;

/// The refusal of an upload past [`MAX_PENDING`], or nothing.
pub async fn pending_allowance(db: &Db, user: i64) -> Result<(), AppError> {
    let waiting: i64 = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM attachments WHERE uploader_id = $1 AND message_id IS NULL"
    ).bind(user).fetch_one(pool).await)?;
    if waiting >= MAX_PENDING {
        return Err(AppError::conflict(
            "attachments",
            format!("{waiting} of your files are waiting to be sent: send or remove some before attaching more."),
        ));
    }
    Ok(())
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const HOUR_MS: i64 = 60 * 60 * 1000;

/// How many bytes customer `user` may still upload: what is left of `bytes_per_day`
/// within the last 24 hours. Refused (429, with how long to wait) when that is used
/// up or when `per_hour` files were uploaded within the last hour. Every upload is in
/// `upload_log` ([`log_upload`]), also one removed again.
pub async fn customer_allowance(
    db: &Db,
    user: i64,
    bytes_per_day: u64,
    per_hour: i64,
) -> Result<u64, AppError> {
    let now = now_ms();
    let (used, oldest_today, files, oldest_this_hour): (i64, Option<i64>, i64, Option<i64>) = db!(db, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), MIN(at),
                    (SELECT COUNT(*) FROM upload_log WHERE user_id = $1 AND at > $3),
                    (SELECT MIN(at) FROM upload_log WHERE user_id = $1 AND at > $3)
               FROM upload_log WHERE user_id = $1 AND at > $2"
        ).bind(user).bind(now - DAY_MS).bind(now - HOUR_MS).fetch_one(pool).await)?;
    let wait = |oldest: Option<i64>, span: i64| AppError::RateLimited {
        retry_after_secs: (oldest.map_or(span, |t| t + span - now).max(1000) as u64).div_ceil(1000),
    };
    if files >= per_hour {
        return Err(wait(oldest_this_hour, HOUR_MS));
    }
    let left = bytes_per_day.saturating_sub(used.max(0) as u64);
    if left == 0 {
        return Err(wait(oldest_today, DAY_MS));
    }
    Ok(left)
}

/// Counts an upload of `size` bytes by customer `user` against their quota.
pub async fn log_upload(db: &Db, user: i64, size: i64) -> Result<(), AppError> {
    crate::write_tx!(db, single conn => sqlx::query(
        "INSERT INTO upload_log (user_id, size, at) VALUES ($1, $2, $3)"
    ).bind(user).bind(size).bind(now_ms()).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
}

/// Forgets uploads older than a day (housekeeping).
pub async fn prune_upload_log(db: &Db) -> Result<(), AppError> {
    let before = now_ms() - DAY_MS;
    crate::write_tx!(db, single conn => sqlx::query("DELETE FROM upload_log WHERE at <= $1")
        .bind(before).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
}

/// The names of `user`'s uploads `ids`, still waiting to be sent with no ticket (for
/// a portal request), in the order given; refused when one of them is not.
pub async fn waiting_names(db: &Db, user: i64, ids: &[i64]) -> Result<Vec<String>, AppError> {
    let mut names = Vec::with_capacity(ids.len());
    for id in ids {
        let name: Option<String> = db!(db, pool => sqlx::query_scalar::<_, String>(
            "SELECT name FROM attachments
             WHERE id = $1 AND uploader_id = $2 AND message_id IS NULL AND ticket_id IS NULL"
        ).bind(id).bind(user).fetch_optional(pool).await)?;
        names.push(name.ok_or_else(|| {
            AppError::conflict(
                "attachments",
                "One of the attached files is no longer available: remove it and attach it again.",
            )
        })?);
    }
    Ok(names)
}

/// Removes `user`'s own upload that was never sent.
pub async fn discard_pending(
    db: &Db,
    files: &FileStore,
    id: i64,
    user: i64,
) -> Result<(), AppError> {
    let sha: Option<String> = crate::write_tx!(db, single conn => sqlx::query_scalar::<_, String>(
        "DELETE FROM attachments WHERE id = $1 AND uploader_id = $2 AND message_id IS NULL RETURNING sha256"
    ).bind(id).bind(user).fetch_optional(&mut *conn).await.map_err(AppError::from))?;
    let sha = sha.ok_or(AppError::NotFound)?;
    release(db, files, &[sha]).await
}

/// How long a file on disk may lack its row before [`sweep_orphans`] removes it: an
/// upload places its file a moment before it commits the row, on any instance.
pub const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes what a crash (or a write the database refused) can leave on disk: stored
/// content and previews no `files` row names, and spooled uploads in `incoming`, each
/// last changed more than `grace` ago. Housekeeping runs it with [`ORPHAN_GRACE`];
/// returns how many files went.
pub async fn sweep_orphans(
    db: &Db,
    files: &FileStore,
    grace: std::time::Duration,
) -> Result<usize, AppError> {
    let cutoff = std::time::SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(std::time::UNIX_EPOCH);
    let old = |meta: &std::fs::Metadata| meta.modified().is_ok_and(|m| m <= cutoff);
    let _placing = files.lock().await;
    let mut removed = 0;
    let Ok(mut shards) = tokio::fs::read_dir(files.dir()).await else {
        return Ok(0);
    };
    while let Some(shard) = shards.next_entry().await.map_err(AppError::internal)? {
        let name = shard.file_name().to_string_lossy().into_owned();
        if !shard.file_type().await.is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let mut entries = tokio::fs::read_dir(shard.path())
            .await
            .map_err(AppError::internal)?;
        if name == "incoming" {
            while let Some(f) = entries.next_entry().await.map_err(AppError::internal)? {
                if f.metadata().await.is_ok_and(|m| m.is_file() && old(&m))
                    && tokio::fs::remove_file(f.path()).await.is_ok()
                {
                    removed += 1;
                }
            }
            continue;
        }
        // The shard's known hashes in one range query over the key (hex sorts below 'g').
        let known: std::collections::HashSet<String> =
            db!(db, pool => sqlx::query_scalar::<_, String>(
            "SELECT sha256 FROM files WHERE sha256 >= $1 AND sha256 < $2"
        ).bind(&name).bind(format!("{name}g")).fetch_all(pool).await)?
            .into_iter()
            .collect();
        while let Some(f) = entries.next_entry().await.map_err(AppError::internal)? {
            let file = f.file_name().to_string_lossy().into_owned();
            let sha = file.strip_suffix(".preview").unwrap_or(&file);
            if known.contains(sha) || !f.metadata().await.is_ok_and(|m| old(&m)) {
                continue;
            }
            if tokio::fs::remove_file(f.path()).await.is_ok() {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Removes uploads never sent within a day (housekeeping); returns how many.
pub async fn sweep_pending(db: &Db, files: &FileStore) -> Result<usize, AppError> {
    let cutoff = now_ms() - 24 * 60 * 60 * 1000;
    let hashes: Vec<String> = crate::write_tx!(db, single conn => sqlx::query_scalar::<_, String>(
        "DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1 RETURNING sha256"
    ).bind(cutoff).fetch_all(&mut *conn).await.map_err(AppError::from))?;
    let n = hashes.len();
    let mut unique = hashes;
    unique.sort();
    unique.dedup();
    release(db, files, &unique).await?;
    Ok(n)
}
