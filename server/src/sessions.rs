//! Sessions live in Grip's own database (so they survive restarts and are shared by
//! every instance): one tower-sessions store over whichever backend is configured.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use app::store::Db;

#[derive(Clone, Debug)]
pub enum GripSessionStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl GripSessionStore {
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Sqlite(pool, _) => GripSessionStore::Sqlite(SqliteStore::new(pool.clone())),
            Db::Postgres(pool) => GripSessionStore::Postgres(PostgresStore::new(pool.clone())),
        }
    }

    /// Creates the session table if it is missing.
    pub async fn migrate(&self) -> sqlx::Result<()> {
        match self {
            GripSessionStore::Sqlite(s) => s.migrate().await,
            GripSessionStore::Postgres(s) => s.migrate().await,
        }
    }

    pub async fn delete_expired_sessions(&self) -> session_store::Result<()> {
        match self {
            GripSessionStore::Sqlite(s) => s.delete_expired().await,
            GripSessionStore::Postgres(s) => s.delete_expired().await,
        }
    }
}

#[async_trait]
impl SessionStore for GripSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            GripSessionStore::Sqlite(s) => s.create(record).await,
            GripSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            GripSessionStore::Sqlite(s) => s.save(record).await,
            GripSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            GripSessionStore::Sqlite(s) => s.load(id).await,
            GripSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            GripSessionStore::Sqlite(s) => s.delete(id).await,
            GripSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}
