//! The audit trail: who changed what, when, with old and new values. Rows are
//! written by [`insert_audit!`] inside the same transaction as the change.

pub mod archive;

use crate::db;
use crate::error::AppError;
use crate::store::Db;

/// Writes one audit row on the executor given (a transaction):
/// `insert_audit!(&mut *tx, actor, "ticket", id, "moved", Some("stage"), old, new, now)`.
/// The row also gets where the request came from ([`Origin`]). A macro rather than a
/// function so one line serves both backends' executors.
#[macro_export]
macro_rules! insert_audit {
    ($exec:expr, $actor:expr, $entity:expr, $entity_id:expr, $action:expr, $field:expr, $old:expr, $new:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at, client_ip, user_agent)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($actor)
        .bind($entity)
        .bind($entity_id)
        .bind($action)
        .bind($field)
        .bind($old)
        .bind($new)
        .bind($at)
        .bind($crate::audit::Origin::current().ip)
        .bind($crate::audit::Origin::current().agent)
        .execute($exec)
    };
}

/// Where the request being served came from: the client's address (after the
/// configured proxies) and its user agent. The server's outermost layer sets it for
/// the whole request (a task-local, so the store functions that write audit rows need
/// no extra argument); work Grip does by itself has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<String>,
    pub agent: Option<String>,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

impl Origin {
    /// The longest user agent kept (longer ones are cut at a character boundary).
    pub const AGENT_MAX: usize = 300;

    pub fn new(ip: Option<String>, agent: Option<&str>) -> Self {
        let agent = agent
            .map(|a| {
                a.chars()
                    .filter(|c| !c.is_control())
                    .take(Self::AGENT_MAX)
                    .collect::<String>()
            })
            .filter(|a| !a.is_empty());
        Origin { ip, agent }
    }

    /// The origin of the request this task serves, or none outside a request.
    pub fn current() -> Origin {
        ORIGIN.try_with(Origin::clone).unwrap_or_default()
    }

    /// Runs `work` (a request's handling) with this origin.
    pub async fn scope<F: std::future::Future>(self, work: F) -> F::Output {
        ORIGIN.scope(self, work).await
    }
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

/// One row of Admin → Audit, with who made the change and the ticket's number when
/// the record is a ticket.
pub type AuditLine = crate::admin::audit::AuditLine;

/// Admin → Audit: audit rows matching `filter`, newest first, `limit` of them before
/// the row with id `before`.
pub async fn audit_page(
    db: &Db,
    filter: &crate::admin::audit::AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditLine>, AppError> {
    use crate::store::Bind;
    let mut binds: Vec<Bind> = Vec::new();
    let push = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut sql = String::new();
    let who = filter.who.trim();
    if !who.is_empty() {
        let p = push(&mut binds, Bind::Text(crate::store::like_pattern(who)));
        sql.push_str(&format!(
            " AND a.actor_id IN (SELECT x.id FROM users x WHERE lower(x.name) LIKE {p} ESCAPE '\\' OR x.email LIKE {p} ESCAPE '\\')"
        ));
    }
    if !filter.entity.trim().is_empty() {
        let p = push(&mut binds, Bind::Text(filter.entity.trim().to_lowercase()));
        sql.push_str(&format!(" AND a.entity = {p}"));
    }
    if !filter.field.trim().is_empty() {
        let p = push(
            &mut binds,
            Bind::Text(filter.field.trim().to_lowercase().replace(' ', "_")),
        );
        sql.push_str(&format!(" AND a.field = {p}"));
    }
    if let Some(start) = crate::store::day_bound(&filter.from, "from", false)? {
        let p = push(&mut binds, Bind::Int(start));
        sql.push_str(&format!(" AND a.at >= {p}"));
    }
    if let Some(end) = crate::store::day_bound(&filter.to, "to", true)? {
        let p = push(&mut binds, Bind::Int(end));
        sql.push_str(&format!(" AND a.at <= {p}"));
    }
    if let Some(before) = before {
        let p = push(&mut binds, Bind::Int(before));
        sql.push_str(&format!(" AND a.id < {p}"));
    }
    let p = push(&mut binds, Bind::Int(limit));
    let sql = format!(
        "SELECT a.id, a.at, u.name AS actor, a.entity, a.entity_id, a.action, a.field,
                a.old_value, a.new_value, a.client_ip, a.user_agent,
                CASE WHEN a.entity = 'ticket'
                     THEN (SELECT t.number FROM tickets t WHERE t.id = a.entity_id) END AS ticket_number
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
          WHERE TRUE{sql}
          ORDER BY a.id DESC LIMIT {p}"
    );
    Ok(
        db!(db, pool => crate::bind_all!(sqlx::query_as::<_, AuditLine>(&sql), &binds).fetch_all(pool).await)?,
    )
}
