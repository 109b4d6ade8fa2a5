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
    /// A walk's matches before the page was cut (see `board_columns_walking`).
    #[sqlx(default)]
    matched: i64,
}

/// The cards of stage `$1` among `from` (`tickets t`, or a walk of them), with
/// `extra` columns (`, …`).
fn card_select(from: &str, extra: &str) -> String {
    format!(
        "SELECT t.id, t.number, t.title, c.name AS customer, co.name AS company, t.priority,
            u.name AS assignee, t.created_at, t.due_at, t.stage_id, t.source{extra}
       FROM {from}
      CROSS JOIN customers c
       LEFT JOIN companies co ON co.id = c.company_id
       LEFT JOIN users u ON u.id = t.assignee_id
      WHERE t.stage_id = $1 AND c.id = t.customer_id"
    )
}

/// How many of a column's tickets, in its order, a text filter tests one by one before
/// it gathers the matches from the index instead (the two steps of
/// `search::store::Walk`); a filtered column's count is of the matches among these.
const TEXT_WALK: i64 = 2_000;

/// Every column of a team's board, with only the cards `filter` admits: the first
/// `open_shown` cards of open and waiting columns in rank order, the `done_shown` most
/// recently completed of done columns. A column with more counts them, up to
/// [`DONE_COUNT_CAP`]; with words in the filter, among its first [`TEXT_WALK`]
/// tickets (`at_least` when it has more).
pub async fn board_columns(
    db: &Db,
    team_id: i64,
    filter: &TicketFilter,
    me: i64,
    now: i64,
    open_shown: i64,
    done_shown: i64,
) -> Result<Vec<BoardColumn>, AppError> {
    let shown = (open_shown, done_shown);
    board_columns_walking(db, team_id, filter, me, now, shown, TEXT_WALK).await
}

/// [`board_columns`] with a text filter walking `walk` tickets of each column (tests
/// compare a walk too short to fill a column with one that reads every ticket).
pub async fn board_columns_walking(
    db: &Db,
    team_id: i64,
    filter: &TicketFilter,
    me: i64,
    now: i64,
    (open_shown, done_shown): (i64, i64),
    walk: i64,
) -> Result<Vec<BoardColumn>, AppError> {
    use crate::search::store::{is_postgres, Matching};
    let stages = crate::teams::store::team_stages(db, team_id).await?;
    let pg = is_postgres(db);
    // The walk is Postgres's: on SQLite a per-row MATCH made a loaded server queue for
    // seconds, and the index's own set of matches is used as before.
    let words = pg && !crate::search::SearchQuery::parse(&filter.text).is_empty();
    // The same conditions twice: the words tested row by row (for walks), and as the
    // set of their matches. `$1` is the stage, set per column.
    let mut binds = vec![Bind::Int(0)];
    let conditions = filter_conditions(pg, filter, me, now, Matching::Set, &mut binds);
    let mut walk_binds = vec![Bind::Int(0)];
    let walk_conditions = filter_conditions(pg, filter, me, now, Matching::PerRow, &mut walk_binds);
    let limit_param = binds.len() + 1;
    let walk_limit = walk_binds.len() + 1;
    let mut columns = Vec::with_capacity(stages.len());
    for stage in stages {
        binds[0] = Bind::Int(stage.id);
        walk_binds[0] = Bind::Int(stage.id);
        let done = stage.kind == StageKind::Done;
        let limit = if done { done_shown } else { open_shown };
        let order = if done {
            "t.completed_at DESC, t.id DESC"
        } else {
            "t.rank, t.id"
        };
        let walked = format!(
            "(SELECT * FROM tickets t WHERE t.stage_id = $1 ORDER BY {order} LIMIT {walk}) t"
        );
        let mut rows: Vec<CardRow> = Vec::new();
        // With words: the walk, its matches counted before the page is cut, and
        // whether the stage holds more tickets than the walk read. A walk that read
        // the whole stage (an open column, usually) is the answer whatever it found.
        let mut walk_count: Option<(i64, bool)> = None;
        if words {
            // The stage's id is written in (a number from the database): bound, Postgres
            // plans the statement once for any stage and scans the whole table for a
            // small one (130 ms at 1,000,000 tickets).
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t WHERE t.stage_id = {} LIMIT {}) AS capped",
                stage.id,
                walk + 1
            );
            let read: i64 =
                db!(db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await)?;
            let sql = format!(
                "{}{walk_conditions} ORDER BY {order} LIMIT ${walk_limit}",
                card_select(&walked, ", COUNT(*) OVER () AS matched")
            );
            rows = db!(db, pool => bind_all!(sqlx::query_as::<_, CardRow>(&sql), &walk_binds).bind(limit).fetch_all(pool).await)?;
            let matched = rows.first().map_or(0, |r| r.matched);
            walk_count = Some((matched, read > walk));
        }
        let walk_answers = walk_count.is_some_and(|(_, more)| !more) || rows.len() as i64 >= limit;
        if !walk_answers {
            // Postgres sorts a rare word's matches (the order written so no index
            // serves it: walking the whole stage testing each row is what the walk
            // above gave up on).
            let sorted = match (pg && words, done) {
                (false, _) => order,
                (true, true) => "t.completed_at + 0 DESC, t.id DESC",
                (true, false) => "t.rank || '', t.id",
            };
            let sql = format!(
                "{}{conditions} ORDER BY {sorted} LIMIT ${limit_param}",
                card_select("tickets t", "")
            );
            rows = db!(db, pool => bind_all!(sqlx::query_as::<_, CardRow>(&sql), &binds).bind(limit).fetch_all(pool).await)?;
        }
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
        let mut at_least = false;
        let total = if let (Some((matched, more)), true) = (walk_count, walk_answers) {
            // The matches among the walk: all of them, unless the stage goes on.
            at_least = more;
            matched
        } else if (cards.len() as i64) < limit {
            cards.len() as i64
        } else if words {
            // The index gave a full page that the walk did not: more than shown.
            at_least = true;
            cards.len() as i64
        } else {
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
        };
        columns.push(BoardColumn {
            stage,
            cards,
            total,
            at_least,
        });
    }
    Ok(columns)
}
