//! SQL for tickets: creation, moves, edits, the list and bulk changes. Every write
//! that changes a ticket writes its audit rows in the same transaction. (Teams and
//! stages are `teams::store`'s, customers and companies `customers::store`'s.)

use super::filter::{AssigneeFilter, TicketFilter};
use super::model::{Priority, TicketTitle};
use crate::auth::model::{Email, PersonName};
use crate::error::AppError;
use crate::rank;
pub use crate::store::like_pattern;
use crate::store::{is_unique_violation, now_ms, Bind, Db};
use crate::teams::store::{completed_at_in, StageRow, STAGE_COLUMNS};
use crate::tickets::links::store::children_open;
use crate::{db, insert_audit, open_children, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub customer_id: i64,
    pub team_id: i64,
    pub stage_id: i64,
    pub rank: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

const TICKET_COLUMNS: &str =
    "id, number, title, description, customer_id, team_id, stage_id, rank, priority, \
     assignee_id, due_at, created_at, updated_at, completed_at";

mod bulk;
mod create;
mod edits;
mod filters;
mod list;
mod moves;

pub use bulk::*;
pub use create::*;
pub use edits::*;
pub use filters::*;
pub use list::*;
pub use moves::*;

/// The team's active staff (`teams::store::team_members`) as the assignee choices
/// pages offer.
pub async fn members_of(db: &Db, team_id: i64) -> Result<Vec<super::api::Member>, AppError> {
    Ok(crate::teams::store::team_members(db, team_id)
        .await?
        .into_iter()
        .map(|(id, name)| super::api::Member { id, name, team_id })
        .collect())
}

pub async fn find_ticket(db: &Db, id: i64) -> Result<Option<TicketRow>, AppError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1");
    Ok(db!(db, pool => sqlx::query_as::<_, TicketRow>(&sql).bind(id).fetch_optional(pool).await)?)
}

pub async fn ticket_tags(db: &Db, ticket_id: i64) -> Result<Vec<String>, AppError> {
    Ok(db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag"
    ).bind(ticket_id).fetch_all(pool).await)?)
}

/// The tickets of one stage in board order.
pub async fn stage_tickets(db: &Db, stage_id: i64) -> Result<Vec<TicketRow>, AppError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE stage_id = $1 ORDER BY rank, id");
    Ok(db!(db, pool => sqlx::query_as::<_, TicketRow>(&sql).bind(stage_id).fetch_all(pool).await)?)
}

pub async fn find_ticket_by_number(db: &Db, number: i64) -> Result<Option<TicketRow>, AppError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE number = $1");
    Ok(
        db!(db, pool => sqlx::query_as::<_, TicketRow>(&sql).bind(number).fetch_optional(pool).await)?,
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub actor: Option<String>,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: i64,
}

/// A ticket's audit trail with the names of who did what, newest first.
pub async fn ticket_history(db: &Db, ticket_id: i64) -> Result<Vec<HistoryRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, HistoryRow>(
        "SELECT u.name AS actor, a.action, a.field, a.old_value, a.new_value, a.at
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
          WHERE a.entity = 'ticket' AND a.entity_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT 500"
    ).bind(ticket_id).fetch_all(pool).await)?)
}

/// A customer's name, email and company name.
/// Who ticket `ticket_id` is for, as its page shows them: the ticket's company (the
/// customer's primary one for a ticket made before tickets had one) and the account
/// owner — the customer's owner, else the company's.
pub async fn account_of(
    db: &Db,
    ticket_id: i64,
) -> Result<(Option<String>, Option<String>), AppError> {
    Ok(
        db!(db, pool => sqlx::query_as::<_, (Option<String>, Option<String>)>(
        "SELECT co.name, COALESCE(cu.name, ou.name)
           FROM tickets t JOIN customers c ON c.id = t.customer_id
           LEFT JOIN companies co ON co.id = COALESCE(t.company_id, c.company_id)
           LEFT JOIN users cu ON cu.id = c.owner_id
           LEFT JOIN users ou ON ou.id = co.owner_id
          WHERE t.id = $1"
    ).bind(ticket_id).fetch_one(pool).await)?,
    )
}

pub async fn customer_of(
    db: &Db,
    customer_id: i64,
) -> Result<(String, String, Option<String>), AppError> {
    Ok(
        db!(db, pool => sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT c.name, c.email, co.name FROM customers c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = $1"
    ).bind(customer_id).fetch_one(pool).await)?,
    )
}
