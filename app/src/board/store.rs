//! SQL for the board.

use super::api::{BoardCard, BoardColumn, TeamSummary};
use crate::auth::{CurrentUser, Role};
use crate::db;
use crate::error::AppError;
use crate::store::Db;
use crate::tickets::model::{Priority, StageKind};

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
}

const CARD_SELECT: &str =
    "SELECT t.id, t.number, t.title, c.name AS customer, co.name AS company, t.priority,
        u.name AS assignee, t.created_at, t.due_at, t.stage_id
   FROM tickets t
   JOIN customers c ON c.id = t.customer_id
   LEFT JOIN companies co ON co.id = c.company_id
   LEFT JOIN users u ON u.id = t.assignee_id
  WHERE t.stage_id = $1";

/// Every column of a team's board. Open and waiting columns list their cards in
/// rank order; done columns only their `done_shown` most recently completed.
pub async fn board_columns(
    db: &Db,
    team_id: i64,
    done_shown: i64,
) -> Result<Vec<BoardColumn>, AppError> {
    let stages = crate::tickets::store::team_stages(db, team_id).await?;
    let counts: Vec<(i64, i64)> = db!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT stage_id, COUNT(*) FROM tickets WHERE team_id = $1 GROUP BY stage_id"
    ).bind(team_id).fetch_all(pool).await)?;
    let mut columns = Vec::with_capacity(stages.len());
    for stage in stages {
        let done = stage.kind == StageKind::Done;
        let sql = if done {
            format!("{CARD_SELECT} ORDER BY t.completed_at DESC, t.id DESC LIMIT $2")
        } else {
            format!("{CARD_SELECT} ORDER BY t.rank, t.id LIMIT $2")
        };
        let limit = if done { done_shown } else { i64::MAX };
        let rows = db!(db, pool => sqlx::query_as::<_, CardRow>(&sql).bind(stage.id).bind(limit).fetch_all(pool).await)?;
        let cards = rows
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
            })
            .collect();
        let total = counts
            .iter()
            .find(|(s, _)| *s == stage.id)
            .map_or(0, |(_, n)| *n);
        columns.push(BoardColumn {
            stage,
            cards,
            total,
        });
    }
    Ok(columns)
}
