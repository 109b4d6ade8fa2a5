//! SQL for the board.

use super::api::{BoardCard, BoardColumn, DONE_COUNT_CAP};
use crate::error::AppError;
use crate::store::Bind;
use crate::store::Db;
use crate::tickets::filter::TicketFilter;
use crate::tickets::model::{Priority, StageKind};
use crate::tickets::store::filter_conditions;
use crate::{bind_all, db};

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
    let stages = crate::teams::store::team_stages(db, team_id).await?;
    let mut binds = vec![Bind::Int(0)];
    let conditions = filter_conditions(
        crate::search::store::is_postgres(db),
        filter,
        me,
        now,
        crate::search::store::Matching::Set,
        &mut binds,
    );
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
