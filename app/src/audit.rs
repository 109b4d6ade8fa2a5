//! The audit trail: who changed what, when, with old and new values. Rows are
//! written by [`insert_audit!`] inside the same transaction as the change.

use crate::db;
use crate::error::AppError;
use crate::store::Db;

/// Writes one audit row on the executor given (a transaction):
/// `insert_audit!(&mut *tx, actor, "ticket", id, "moved", Some("stage"), old, new, now)`.
/// A macro rather than a function so one line serves both backends' executors.
#[macro_export]
macro_rules! insert_audit {
    ($exec:expr, $actor:expr, $entity:expr, $entity_id:expr, $action:expr, $field:expr, $old:expr, $new:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($actor)
        .bind($entity)
        .bind($entity_id)
        .bind($action)
        .bind($field)
        .bind($old)
        .bind($new)
        .bind($at)
        .execute($exec)
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub actor_id: Option<i64>,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: i64,
}

/// The trail of one record, oldest first.
pub async fn audit_for(db: &Db, entity: &str, entity_id: i64) -> Result<Vec<AuditRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, AuditRow>(
        "SELECT actor_id, action, field, old_value, new_value, at FROM audit_log
         WHERE entity = $1 AND entity_id = $2 ORDER BY at, id"
    ).bind(entity).bind(entity_id).fetch_all(pool).await)?)
}

/// Writes one audit row on its own (for a change that is a single statement already
/// committed, such as creating a record): `record(db, actor, "team", id, "created", name)`.
pub async fn record(
    db: &Db,
    actor: i64,
    entity: &str,
    entity_id: i64,
    action: &str,
    value: &str,
) -> Result<(), AppError> {
    let now = crate::store::now_ms();
    db!(db, pool => insert_audit!(pool, actor, entity, entity_id, action, None::<&str>, None::<&str>, Some(value), now).await.map(|_| ()))?;
    Ok(())
}
