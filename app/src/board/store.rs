//! SQL for the board.

use super::api::{BoardCard, BoardColumn, TeamSummary, DONE_COUNT_CAP};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::store::Db;
use crate::tickets::filter::TicketFilter;
use crate::tickets::model::{Priority, StageKind};
use crate::tickets::store::{filter_conditions, Bind};
use crate::{bind_all, db};

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: i64,
    name: String,
}

/// The teams whose boards `user` may open: every active team for admins, their own
/// teams for everyone else.
pub async fn visible_teams(db: &Db, user: &CurrentUser) -> Result<Vec<TeamSummary>, AppError> {
    let rows = if user.role == Role::Admin {
        db!(db, pool => sqlx::query_as::<_, TeamRow>(
            "SELECT id, name FROM teams WHERE archived = FALSE ORDER BY id"
        ).fetch_all(pool).await)?
    } else {
        db!(db, pool => sqlx::query_as::<_, TeamRow>(
            "SELECT t.id, t.name FROM teams t JOIN team_members m ON m.team_id = t.id
             WHERE m.user_id = $1 AND t.archived = FALSE ORDER BY t.id"
        ).bind(user.id).fetch_all(pool).await)?
    };
    Ok(rows
        .into_iter()
        .map(|r| TeamSummary {
            id: r.id,
            name: r.name,
        })
        .collect())
}

/// The team a page opens among `teams` (those the user may see): the `requested`
/// one, or when none is named the first. A team not among them is Forbidden; no team
/// at all is a message saying `none` (e.g. "You are not in any team yet…").
pub fn choose_team(
    teams: &[TeamSummary],
    requested: Option<i64>,
    none: &'static str,
) -> Result<TeamSummary, AppError> {
    match requested {
        Some(id) => teams
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or(AppError::Forbidden),
        None => teams
            .first()
            .cloned()
            .ok_or_else(|| AppError::validation("team", none)),
    }
}

/// Whether `ticket_id` exists on a board `user` may open (the same rule as
/// [`visible_teams`], in one query for the hot path of moves).
pub async fn ticket_visible(db: &Db, user: &CurrentUser, ticket_id: i64) -> Result<bool, AppError> {
    let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT t.id FROM tickets t WHERE t.id = $1 AND EXISTS (
            SELECT 1 FROM teams tm WHERE tm.id = t.team_id AND tm.archived = FALSE
               AND ($2 OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = tm.id AND m.user_id = $3)))"
    ).bind(ticket_id).bind(user.role == Role::Admin).bind(user.id).fetch_optional(pool).await)?;
    Ok(found.is_some())
}

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    number: i64,
    title: String,
    customer: String,
    company: Option<String>,
    priority: String,
    assignee: Option<String>,
    created_at: i64,
    due_at: Option<i64>,
    stage_id: i64,
    source: String,
}

const CARD_SELECT: &str =
    "SELECT t.id, t.number, t.title, c.name AS customer, co.name AS company, t.priority,
        u.name AS assignee, t.created_at, t.due_at, t.stage_id, t.source
   FROM tickets t
  CROSS JOIN customers c
   LEFT JOIN companies co ON co.id = c.company_id
   LEFT JOIN users u ON u.id = t.assignee_id
  WHERE t.stage_id = $1 AND c.id = t.customer_id";

/// Every column of a team's board, with only the cards `filter` admits: the first
/// `open_shown` cards of open and waiting columns in rank order, the `done_shown` most
/// recently completed of done columns. A column with more counts them, up to
/// [`DONE_COUNT_CAP`].
pub async fn board_columns(
    db: &Db,
    team_id: i64,
    filter: &TicketFilter,
    me: i64,
    now: i64,
    open_shown: i64,
    done_shown: i64,
) -> Result<Vec<BoardColumn>, AppError> {
    let stages = crate::tickets::store::team_stages(db, team_id).await?;
    let mut binds = vec![Bind::Int(0)];
    let conditions = filter_conditions(filter, me, now, &mut binds);
    let limit_param = binds.len() + 1;
    let mut columns = Vec::with_capacity(stages.len());
    for stage in stages {
        binds[0] = Bind::Int(stage.id);
        let done = stage.kind == StageKind::Done;
        let sql = if done {
            format!("{CARD_SELECT}{conditions} ORDER BY t.completed_at DESC, t.id DESC LIMIT ${limit_param}")
        } else {
            format!("{CARD_SELECT}{conditions} ORDER BY t.rank, t.id LIMIT ${limit_param}")
        };
        let limit = if done { done_shown } else { open_shown };
        let rows = db!(db, pool => bind_all!(sqlx::query_as::<_, CardRow>(&sql), &binds).bind(limit).fetch_all(pool).await)?;
        let cards: Vec<BoardCard> = rows
            .into_iter()
            .map(|r| BoardCard {
                id: r.id,
                number: r.number,
                title: r.title,
                customer: r.customer,
                company: r.company,
                priority: Priority::parse(&r.priority).unwrap_or(Priority::Normal),
                assignee: r.assignee,
                created_at: r.created_at,
                due_at: r.due_at,
                stage_id: r.stage_id,
                from_portal: r.source == "portal",
            })
            .collect();
        let total = if cards.len() as i64 >= limit {
            // Every ticket has a customer: join customers only when the filter asks
            // about them (joined, Postgres merge-joined a whole index for a small stage).
            let sql = if filter.customer.is_empty() {
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t
                      WHERE t.stage_id = $1{conditions} LIMIT ${limit_param}) AS capped"
                )
            } else {
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t
                      CROSS JOIN customers c
                       LEFT JOIN companies co ON co.id = c.company_id
                      WHERE t.stage_id = $1 AND c.id = t.customer_id{conditions} LIMIT ${limit_param}) AS capped"
                )
            };
            db!(db, pool => bind_all!(sqlx::query_scalar::<_, i64>(&sql), &binds).bind(DONE_COUNT_CAP + 1).fetch_one(pool).await)?
        } else {
            cards.len() as i64
        };
        columns.push(BoardColumn {
            stage,
            cards,
            total,
        });
    }
    Ok(columns)
}
