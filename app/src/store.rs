//! The database: one enum over the two concrete sqlx pools. Each query is written once
//! with `$1, $2` placeholders (sqlx's SQLite driver binds `$N` by its number) and run on
//! whichever backend is configured through [`db!`].

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone, Debug)]
pub enum Db {
    /// The pool, and the writer connection with its queue (see [`write_tx!`]).
    Sqlite(SqlitePool, WriterQueue),
    Postgres(PgPool),
}

/// SQLite takes one writer at a time. Writers of one database queue here, in order,
/// instead of meeting a locked database and sleeping in SQLite's busy handler (which
/// made moves wait tens of milliseconds under load, and failed transactions that read
/// before writing with SQLITE_BUSY_SNAPSHOT). One queue per opened database, so two
/// databases in one process (tests, a second instance) never wait for each other.
///
/// The queue also owns the connection the hot write paths run on ([`SqliteWrite`]):
/// always the same one, so its page cache stays warm (a pooled connection drops its
/// whole cache whenever another connection committed since its last use, which under
/// a write load is every time).
#[derive(Clone)]
pub struct WriterQueue(std::sync::Arc<tokio::sync::Mutex<SqliteWriter>>);

impl std::fmt::Debug for WriterQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterQueue")
    }
}

/// The writer connection, and whether a transaction may be open on it.
pub struct SqliteWriter {
    conn: sqlx::SqliteConnection,
    /// Set before a transaction's first statement is sent and cleared once it is seen
    /// to have ended. Still set when the next writer takes the queue (or a task spawned
    /// by a dropped [`SqliteWrite`] gets to it): the holder went away mid-transaction,
    /// and the transaction is rolled back before anything else runs.
    open: bool,
}

impl SqliteWriter {
    /// Rolls back a transaction an abandoned holder left open. "No transaction is
    /// active" (it had committed, or never began) is no failure.
    async fn end_abandoned(&mut self) {
        if self.open {
            if let Err(e) = sqlx::Executor::execute(&mut self.conn, "ROLLBACK").await {
                tracing::debug!(error = %e, "rolling back an abandoned write");
            }
            self.open = false;
        }
    }
}

/// A write transaction on SQLite's writer connection that costs no round trips of its
/// own: `BEGIN IMMEDIATE` rides on its first statement ([`SqliteWrite::opening`]) and
/// `COMMIT` on its last ([`SqliteWrite::closing`]). Each is otherwise a hand-off to the
/// connection's thread and back, and sqlx's own begin and commit wait for the caller to
/// acknowledge the answer (a third hand-off). With the writer connection this took
/// SQLite's benchmark (wrk, 16 clients) from 1,640 to 2,430 moves/s and from 1,390 to
/// 2,050 creations/s.
/// Used through [`write_tx!`], which ends it: rolled back on an error, and, if its
/// holder is dropped mid-way, by a task (or at the latest by the next writer).
pub struct SqliteWrite {
    writer: tokio::sync::OwnedMutexGuard<SqliteWriter>,
    queue: WriterQueue,
    /// The statement carrying `COMMIT` was built.
    commit_sent: bool,
}

impl SqliteWrite {
    /// `sql` preceded by `BEGIN IMMEDIATE`: the transaction's first statement (as it
    /// is if the transaction has begun already).
    pub fn opening(&mut self, sql: &str) -> String {
        if self.writer.open {
            return sql.to_string();
        }
        self.writer.open = true;
        format!("BEGIN IMMEDIATE; {sql}")
    }

    /// Begins the transaction now, for a body that does not fold it into its first
    /// statement.
    pub async fn begin_now(&mut self) -> Result<(), crate::error::AppError> {
        self.writer.open = true;
        sqlx::Executor::execute(&mut self.writer.conn, "BEGIN IMMEDIATE").await?;
        Ok(())
    }

    /// `sql` followed by `COMMIT`: the transaction's last statement, which must be its
    /// last fallible step (an error after it would roll back nothing), run with
    /// `fetch_all` or `execute` (`fetch_one` and `fetch_optional` stop at the first row,
    /// before the `COMMIT`, and the transaction would stay open).
    pub fn closing(&mut self, sql: &str) -> String {
        self.commit_sent = true;
        format!("{sql}; COMMIT;")
    }

    /// Commits `Ok` (unless [`SqliteWrite::closing`] did) and rolls back `Err`.
    pub async fn end<T>(
        mut self,
        result: Result<T, crate::error::AppError>,
    ) -> Result<T, crate::error::AppError> {
        match result {
            Ok(value) => {
                if !self.commit_sent {
                    if !self.writer.open {
                        // Nothing was written: there is nothing to commit.
                        return Ok(value);
                    }
                    sqlx::Executor::execute(&mut self.writer.conn, "COMMIT").await?;
                }
                self.writer.open = false;
                Ok(value)
            }
            Err(e) => {
                self.writer.end_abandoned().await;
                Err(e)
            }
        }
    }
}

impl std::ops::Deref for SqliteWrite {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.writer.conn
    }
}

impl std::ops::DerefMut for SqliteWrite {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.writer.conn
    }
}

impl Drop for SqliteWrite {
    fn drop(&mut self) {
        // Dropped mid-transaction (the request was cancelled): roll back at once rather
        // than hold SQLite's write lock until the next writer comes. The task queues
        // behind this guard, which is released right after this runs.
        if self.writer.open {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let queue = self.queue.clone();
                runtime.spawn(async move {
                    queue.0.lock().await.end_abandoned().await;
                });
            }
        }
    }
}

/// On Postgres the same calls leave the SQL as it is: a transaction begun with
/// [`BeginWrite::begin_write`] and committed by [`write_tx!`].
pub trait FoldedSql {
    fn opening(&mut self, sql: &str) -> String;
    fn closing(&mut self, sql: &str) -> String;
}

impl FoldedSql for sqlx::Transaction<'static, sqlx::Postgres> {
    fn opening(&mut self, sql: &str) -> String {
        sql.to_string()
    }
    fn closing(&mut self, sql: &str) -> String {
        sql.to_string()
    }
}

/// A value for one placeholder of a built query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// Binds `binds` in order to a query built by a store function.
#[macro_export]
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b {
                $crate::store::Bind::Int(i) => q.bind(*i),
                $crate::store::Bind::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}

/// Runs the same expression against whichever pool `Db` holds:
/// `db!(&state.db, pool => sqlx::query("…").execute(pool).await)`.
#[macro_export]
macro_rules! db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool, _) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` (`async { … }.await`, giving a `Result<_, AppError>`) as one write
/// transaction `$tx` on either backend, committed when it is `Ok`, rolled back when not;
/// every write transaction in Grip goes through here. `&mut *$tx` is the connection.
/// On SQLite writers queue for the one writer connection (its page cache stays warm),
/// on Postgres row locks order them.
///
/// `write_tx!(db, tx => …)` has begun the transaction before `$body` runs. The hot
/// paths write `write_tx!(db, folded tx => …)` instead: nothing is sent until the
/// first statement, whose SQL must go through `$tx.opening(sql)` (on SQLite it
/// carries the `BEGIN IMMEDIATE`), and the last may go through `$tx.closing(sql)` (it
/// then carries the `COMMIT`): two round trips fewer to SQLite's thread.
///
/// `write_tx!(db, single conn => …)` is for a write that is one statement: it waits in
/// the same queue and runs on the same connection, without a transaction of its own.
#[macro_export]
macro_rules! write_tx {
    ($db:expr, single $conn:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(_, queue) => {
                #[allow(unused_mut)]
                let mut $conn = queue.begin().await;
                let result = $body;
                $conn.end(result).await
            }
            $crate::store::Db::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $conn = pool.acquire().await?;
                $body
            }
        }
    };
    ($db:expr, folded $tx:ident => $body:expr) => {
        $crate::write_tx!(@run $db, $tx, false, $body)
    };
    ($db:expr, $tx:ident => $body:expr) => {
        $crate::write_tx!(@run $db, $tx, true, $body)
    };
    (@run $db:expr, $tx:ident, $begin_now:expr, $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(_, queue) => {
                #[allow(unused_mut)]
                let mut $tx = queue.begin().await;
                match if $begin_now { $tx.begin_now().await } else { Ok(()) } {
                    Ok(()) => {
                        let result = $body;
                        $tx.end(result).await
                    }
                    Err(e) => $tx.end(Err(e)).await,
                }
            }
            $crate::store::Db::Postgres(pool) => {
                #[allow(unused_imports)]
                use $crate::store::FoldedSql as _;
                let mut $tx = $crate::store::BeginWrite::begin_write(pool).await?;
                match $body {
                    Ok(value) => {
                        $tx.commit().await?;
                        Ok(value)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    };
}

impl WriterQueue {
    async fn open(opts: &SqliteConnectOptions) -> Result<WriterQueue, sqlx::Error> {
        let conn = sqlx::ConnectOptions::connect(opts).await?;
        Ok(WriterQueue(std::sync::Arc::new(tokio::sync::Mutex::new(
            SqliteWriter { conn, open: false },
        ))))
    }

    /// Waits for this process's turn to write, then cleans up after a holder that
    /// went away mid-transaction.
    async fn lock(&self) -> tokio::sync::OwnedMutexGuard<SqliteWriter> {
        let mut writer = self.0.clone().lock_owned().await;
        writer.end_abandoned().await;
        writer
    }

    /// A [`SqliteWrite`] once it is this writer's turn.
    pub async fn begin(&self) -> SqliteWrite {
        SqliteWrite {
            writer: self.lock().await,
            queue: self.clone(),
            commit_sent: false,
        }
    }
}

/// Why the database could not be opened, in words fit for a start-up error line.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("database_url {url:?} is not a sqlite:// or postgres:// URL")]
    Scheme { url: String },
    #[error("database_url {url:?} cannot be parsed: {source}")]
    Parse { url: String, source: sqlx::Error },
    #[error("database at {url} cannot be reached: {source}")]
    Unreachable { url: String, source: sqlx::Error },
    #[error("database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("session table setup failed: {0}")]
    Sessions(sqlx::Error),
}

/// Hides any password in a database URL before it is printed.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at))
            if at > scheme_end && url[scheme_end + 3..at].contains(':') =>
        {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// How a Postgres write transaction begins ([`write_tx!`]; SQLite's begin on the
/// writer connection, [`SqliteWrite`]).
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        // On Postgres a request dropped while its `BEGIN` is on the wire leaves the
        // server inside a transaction that sqlx does not count, which no release check
        // can see; so the begin runs in a task of its own that finishes (and, if nobody
        // waits for it any more, drops and so rolls back its transaction) regardless.
        let pool = self.clone();
        tokio::spawn(async move { pool.begin().await })
            .await
            .map_err(|e| {
                sqlx::Error::Io(std::io::Error::other(format!(
                    "beginning a transaction failed: {e}"
                )))
            })?
    }
}

/// Run by the SQLite pool on every connection it takes back. Beginning a transaction
/// is not cancel-safe in sqlx 0.8: `begin_with` awaits a check of the connection after
/// its `BEGIN` ran, and a request dropped right then (a client that went away, a
/// timeout) returned the connection to the pool inside a transaction with no
/// `Transaction` to end it — holding the write lock, so every later write failed
/// ("database is locked", "begin_with at non-zero transaction depth"). A connection
/// that comes back still counting a transaction is rolled back here. (A dropped
/// `Transaction` has queued its rollback before this runs; rolling back again is then a
/// no-op.) Costs one atomic read per release otherwise.
fn end_abandoned_transaction(
    conn: &mut sqlx::SqliteConnection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    use sqlx::TransactionManager;
    Box::pin(async move {
        if sqlx::sqlite::SqliteTransactionManager::get_transaction_depth(conn) > 0 {
            sqlx::sqlite::SqliteTransactionManager::rollback(conn).await?;
        }
        Ok(true)
    })
}

/// Run by the Postgres pool before it hands out a connection: one idle for more than
/// [`IDLE_CHECK_AFTER`] (which a restart of the database server or a firewall may
/// have cut meanwhile) is pinged first and replaced if it does not answer; a
/// connection in steady use is handed out as it is.
fn check_if_idle_long(
    conn: &mut sqlx::PgConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if meta.idle_for < IDLE_CHECK_AFTER {
            return Ok(true);
        }
        Ok(sqlx::Connection::ping(conn).await.is_ok())
    })
}

const IDLE_CHECK_AFTER: Duration = Duration::from_secs(30);

impl Db {
    /// Opens the database named by `url` (`sqlite://path` or `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, ConnectError> {
        Db::connect_limited(url, max_connections, None).await
    }

    /// [`Db::connect`], with SQLite's file allowed to grow to `sqlite_max_mb` at most
    /// (SQLite's `max_page_count`): a write past it fails whole with SQLITE_FULL,
    /// which the app answers as `AppError::StorageFull`.
    pub async fn connect_limited(
        url: &str,
        max_connections: u32,
        sqlite_max_mb: Option<u64>,
    ) -> Result<Db, ConnectError> {
        let shown = redact_url(url);
        if url.starts_with("sqlite:") {
            let mut opts = SqliteConnectOptions::from_str(url)
                .map_err(|source| ConnectError::Parse {
                    url: shown.clone(),
                    source,
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL is durable across application crashes and much faster.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if let Some(mb) = sqlite_max_mb {
                // Pages of 4 KiB, SQLite's default for a new file.
                opts = opts.pragma("max_page_count", (mb.saturating_mul(256)).to_string());
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                // sqlx pings every connection it hands out by default: on SQLite that
                // is a round trip to the connection's thread before every statement
                // (a third of a ticket creation's thread hand-offs), and a file in this
                // process cannot have hung up.
                .test_before_acquire(false)
                .after_release(end_abandoned_transaction)
                .connect_with(opts.clone())
                .await
                .map_err(|source| ConnectError::Unreachable {
                    url: shown.clone(),
                    source,
                })?;
            let writer = WriterQueue::open(&opts)
                .await
                .map_err(|source| ConnectError::Unreachable { url: shown, source })?;
            Ok(Db::Sqlite(pool, writer))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(|source| ConnectError::Parse {
                url: shown.clone(),
                source,
            })?;
            // One direct connection first: its error says what is wrong (refused,
            // authentication, no such database), where the pool would only time out.
            let probe = sqlx::ConnectOptions::connect(&opts)
                .await
                .map_err(|source| ConnectError::Unreachable {
                    url: shown.clone(),
                    source,
                })?;
            let _ = sqlx::Connection::close(probe).await;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                // While the server is down or restarting, a request waits this long
                // for a connection, then answers 503 (AppError::Unavailable).
                .acquire_timeout(Duration::from_secs(3))
                // Instead of a ping (a network round trip) before every statement, only
                // a connection that sat idle for a while is checked before use.
                .test_before_acquire(false)
                .before_acquire(check_if_idle_long)
                .connect_with(opts)
                .await
                .map_err(|source| ConnectError::Unreachable { url: shown, source })?;
            Ok(Db::Postgres(pool))
        } else {
            Err(ConnectError::Scheme { url: shown })
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Applies every migration not yet applied. Safe to run from several instances at
    /// once: sqlx takes an advisory lock on Postgres, and SQLite serialises writers.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        match self {
            Db::Sqlite(pool, _) => migrator(SQLITE_MIGRATIONS).run(pool).await?,
            Db::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers a trivial query (for `/healthz`).
    pub async fn ping(&self) -> bool {
        db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    pub async fn close(&self) {
        db!(self, pool => pool.close().await)
    }
}

type MigrationFiles = &'static [(i64, &'static str, &'static str)];

// The migrations are compiled into the binary so `grip` runs from any directory.
// Both lists carry the same numbers; a released file is never edited (append only).
const SQLITE_MIGRATIONS: MigrationFiles = &[
    (
        1,
        "accounts",
        include_str!("../../migrations/sqlite/0001_accounts.sql"),
    ),
    (
        2,
        "tickets",
        include_str!("../../migrations/sqlite/0002_tickets.sql"),
    ),
    (
        3,
        "lists",
        include_str!("../../migrations/sqlite/0003_lists.sql"),
    ),
    (
        4,
        "ticket_numbers",
        include_str!("../../migrations/sqlite/0004_ticket_numbers.sql"),
    ),
    (
        5,
        "messages",
        include_str!("../../migrations/sqlite/0005_messages.sql"),
    ),
    (
        6,
        "attachments",
        include_str!("../../migrations/sqlite/0006_attachments.sql"),
    ),
    (
        7,
        "drafts",
        include_str!("../../migrations/sqlite/0007_drafts.sql"),
    ),
    (
        8,
        "canned_replies",
        include_str!("../../migrations/sqlite/0008_canned_replies.sql"),
    ),
    (
        9,
        "links_and_time",
        include_str!("../../migrations/sqlite/0009_links_and_time.sql"),
    ),
    (
        10,
        "portal",
        include_str!("../../migrations/sqlite/0010_portal.sql"),
    ),
    (
        11,
        "request_uploads",
        include_str!("../../migrations/sqlite/0011_request_uploads.sql"),
    ),
    (
        12,
        "time_zones",
        include_str!("../../migrations/sqlite/0012_time_zones.sql"),
    ),
    (
        13,
        "registrations",
        include_str!("../../migrations/sqlite/0013_registrations.sql"),
    ),
    (
        14,
        "upload_log",
        include_str!("../../migrations/sqlite/0014_upload_log.sql"),
    ),
    (
        15,
        "customer_records",
        include_str!("../../migrations/sqlite/0015_customer_records.sql"),
    ),
    (
        16,
        "search",
        include_str!("../../migrations/sqlite/0016_search.sql"),
    ),
    (
        17,
        "ticket_search",
        include_str!("../../migrations/sqlite/0017_ticket_search.sql"),
    ),
    (
        18,
        "companies",
        include_str!("../../migrations/sqlite/0018_companies.sql"),
    ),
    (
        19,
        "customer_merges",
        include_str!("../../migrations/sqlite/0019_customer_merges.sql"),
    ),
    (
        20,
        "audit_archives",
        include_str!("../../migrations/sqlite/0020_audit_archives.sql"),
    ),
    (
        21,
        "customer_search_companies",
        include_str!("../../migrations/sqlite/0021_customer_search_companies.sql"),
    ),
    (
        22,
        "company_search",
        include_str!("../../migrations/sqlite/0022_company_search.sql"),
    ),
];
const POSTGRES_MIGRATIONS: MigrationFiles = &[
    (
        1,
        "accounts",
        include_str!("../../migrations/postgres/0001_accounts.sql"),
    ),
    (
        2,
        "tickets",
        include_str!("../../migrations/postgres/0002_tickets.sql"),
    ),
    (
        3,
        "lists",
        include_str!("../../migrations/postgres/0003_lists.sql"),
    ),
    (
        4,
        "ticket_numbers",
        include_str!("../../migrations/postgres/0004_ticket_numbers.sql"),
    ),
    (
        5,
        "messages",
        include_str!("../../migrations/postgres/0005_messages.sql"),
    ),
    (
        6,
        "attachments",
        include_str!("../../migrations/postgres/0006_attachments.sql"),
    ),
    (
        7,
        "drafts",
        include_str!("../../migrations/postgres/0007_drafts.sql"),
    ),
    (
        8,
        "canned_replies",
        include_str!("../../migrations/postgres/0008_canned_replies.sql"),
    ),
    (
        9,
        "links_and_time",
        include_str!("../../migrations/postgres/0009_links_and_time.sql"),
    ),
    (
        10,
        "portal",
        include_str!("../../migrations/postgres/0010_portal.sql"),
    ),
    (
        11,
        "request_uploads",
        include_str!("../../migrations/postgres/0011_request_uploads.sql"),
    ),
    (
        12,
        "time_zones",
        include_str!("../../migrations/postgres/0012_time_zones.sql"),
    ),
    (
        13,
        "registrations",
        include_str!("../../migrations/postgres/0013_registrations.sql"),
    ),
    (
        14,
        "upload_log",
        include_str!("../../migrations/postgres/0014_upload_log.sql"),
    ),
    (
        15,
        "customer_records",
        include_str!("../../migrations/postgres/0015_customer_records.sql"),
    ),
    (
        16,
        "search",
        include_str!("../../migrations/postgres/0016_search.sql"),
    ),
    (
        17,
        "ticket_search",
        include_str!("../../migrations/postgres/0017_ticket_search.sql"),
    ),
    (
        18,
        "companies",
        include_str!("../../migrations/postgres/0018_companies.sql"),
    ),
    (
        19,
        "customer_merges",
        include_str!("../../migrations/postgres/0019_customer_merges.sql"),
    ),
    (
        20,
        "audit_archives",
        include_str!("../../migrations/postgres/0020_audit_archives.sql"),
    ),
    (
        21,
        "customer_search_companies",
        include_str!("../../migrations/postgres/0021_customer_search_companies.sql"),
    ),
    (
        22,
        "company_search",
        include_str!("../../migrations/postgres/0022_company_search.sql"),
    ),
];

fn migrator(files: MigrationFiles) -> Migrator {
    let migrations = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    // sqlx's own `migrate!` macro builds this struct the same way; building it here
    // avoids compiling sqlx's proc-macro crate (and both drivers a second time).
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// `%text%` for LIKE, with LIKE's own wildcards in `text` escaped (use `ESCAPE '\\'`).
pub fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A filter's day typed as YYYY-MM-DD (UTC): its first millisecond, or its last when
/// `end`; None when blank; a field error on `field` when it is not a date. The
/// "from"/"to" of the customer list and the audit trail.
pub fn day_bound(raw: &str, field: &str, end: bool) -> Result<Option<i64>, crate::error::AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let last = crate::ui::time::end_of_day(raw).ok_or_else(|| {
        crate::error::AppError::validation(field, "Enter the date as YYYY-MM-DD.")
    })?;
    Ok(Some(if end { last } else { last - 86_400_000 + 1 }))
}

/// Milliseconds since the Unix epoch, UTC: how Grip stores every time, identically on
/// both backends.
pub fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// True when `e` is a unique-constraint violation of the index named `constraint`.
/// Matched by the constraint's name, never by the error text.
pub fn is_unique_violation(e: &sqlx::Error, constraint: &str) -> bool {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => match db.constraint() {
            Some(name) => name == constraint,
            // SQLite does not report the index name; its message names the columns,
            // so callers pass the index name and we accept any unique violation of
            // the only unique index on that table.
            None => true,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_database_url_is_never_printed() {
        assert_eq!(
            redact_url("postgres://grip:s3cret@db:5432/grip"),
            "postgres://grip:***@db:5432/grip"
        );
        assert_eq!(redact_url("sqlite://data/grip.db"), "sqlite://data/grip.db");
        assert_eq!(
            redact_url("postgres://grip@db/grip"),
            "postgres://grip@db/grip"
        );
    }

    #[test]
    fn both_backends_have_the_same_migration_numbers() {
        let a: Vec<_> = SQLITE_MIGRATIONS.iter().map(|m| m.0).collect();
        let b: Vec<_> = POSTGRES_MIGRATIONS.iter().map(|m| m.0).collect();
        assert_eq!(a, b);
    }
}
