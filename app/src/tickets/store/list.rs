//! The ticket list: sorted, filtered and paged by cursor.

use super::*;
use crate::bind_all;

/// How the list is ordered. Each order pages by a key (keyset paging), never by
/// offset, so a page 40,000 rows deep costs what the first page costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSort {
    Newest,
    Oldest,
    Updated,
    Stale,
}

impl ListSort {
    pub fn parse(s: &str) -> ListSort {
        match s {
            "oldest" => ListSort::Oldest,
            "updated" => ListSort::Updated,
            "stale" => ListSort::Stale,
            _ => ListSort::Newest,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRowDb {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub customer: String,
    pub company: Option<String>,
    pub stage: String,
    pub stage_kind: String,
    pub priority: String,
    pub assignee: Option<String>,
    pub updated_at: i64,
    pub due_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// One page (`limit` rows) of a team's tickets that `filter` admits, in `sort` order,
/// after the row the cursor `after` names (from [`list_cursor`]).
#[allow(clippy::too_many_arguments)]
pub async fn list_tickets(
    db: &Db,
    team_id: i64,
    filter: &TicketFilter,
    me: i64,
    now: i64,
    sort: ListSort,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ListRowDb>, AppError> {
    list_tickets_walking(db, team_id, filter, me, now, sort, after, limit, TEXT_WALK).await
}

/// How many of a team's tickets, in the list's order, a text filter tests one by one
/// before it gathers its matches from the index (see `list_tickets_walking`).
const TEXT_WALK: i64 = 3_000;

/// [`list_tickets`] with a text filter's first step walking `walk` tickets (tests
/// compare a short walk with a long one: both steps must give the same page).
#[allow(clippy::too_many_arguments)]
pub async fn list_tickets_walking(
    db: &Db,
    team_id: i64,
    filter: &TicketFilter,
    me: i64,
    now: i64,
    sort: ListSort,
    after: Option<&str>,
    limit: i64,
    walk: i64,
) -> Result<Vec<ListRowDb>, AppError> {
    use crate::search::store::Matching;
    // `tickets` comes first with a CROSS JOIN: SQLite then walks the team's index in
    // the sort order and stops after one page (left to choose, it started from the
    // small stages table and sorted a million rows). The names of the company, stage
    // and assignee are looked up per row of the page rather than joined: Postgres
    // plans every execution of this statement afresh, and planning a five-table join
    // took longer than running it.
    let statement = |matching: Matching, walking: bool| {
        let pg = crate::search::store::is_postgres(db);
        let mut binds = vec![Bind::Int(team_id)];
        let conditions = filter_conditions(pg, filter, me, now, matching, &mut binds);
        let mut keyset = String::new();
        let mut cursor = after
            .into_iter()
            .flat_map(|a| a.split('.'))
            .map(str::parse::<i64>);
        let (first, second) = (cursor.next(), cursor.next());
        match (sort, first, second) {
            (ListSort::Newest | ListSort::Oldest, Some(Ok(n)), None) => {
                binds.push(Bind::Int(n));
                let op = if sort == ListSort::Newest { "<" } else { ">" };
                keyset = format!(" AND t.number {op} ${}", binds.len());
            }
            (ListSort::Updated | ListSort::Stale, Some(Ok(at)), Some(Ok(id))) => {
                binds.push(Bind::Int(at));
                binds.push(Bind::Int(id));
                let op = if sort == ListSort::Updated { "<" } else { ">" };
                keyset = format!(
                    " AND (t.updated_at, t.id) {op} (${}, ${})",
                    binds.len() - 1,
                    binds.len()
                );
            }
            _ => {}
        }
        let order = match sort {
            ListSort::Newest => "t.number DESC",
            ListSort::Oldest => "t.number ASC",
            ListSort::Updated => "t.updated_at DESC, t.id DESC",
            ListSort::Stale => "t.updated_at ASC, t.id ASC",
        };
        // Postgres's search of every match sorts them: with the order written so no
        // index serves it, it cannot walk the whole team testing each row instead.
        let sorted = match sort {
            ListSort::Newest => "t.number + 0 DESC",
            ListSort::Oldest => "t.number + 0 ASC",
            ListSort::Updated => "t.updated_at + 0 DESC, t.id DESC",
            ListSort::Stale => "t.updated_at + 0 ASC, t.id ASC",
        };
        // The walk: the team's first `walk` tickets from the cursor on, in the list's
        // order, each tested by the conditions outside.
        let (from, keyset, order) = match (walking, pg && matching == Matching::Set) {
            (true, _) => (
                format!(
                    "(SELECT * FROM tickets t WHERE t.team_id = $1{keyset}
                       ORDER BY {order} LIMIT {walk}) t"
                ),
                String::new(),
                order,
            ),
            (false, true) => ("tickets t".to_string(), keyset, sorted),
            (false, false) => ("tickets t".to_string(), keyset, order),
        };
        binds.push(Bind::Int(limit));
        let sql = format!(
            "SELECT t.id, t.number, t.title, c.name AS customer,
                    (SELECT co.name FROM companies co WHERE co.id = c.company_id) AS company,
                    (SELECT s.name FROM stages s WHERE s.id = t.stage_id) AS stage,
                    (SELECT s.kind FROM stages s WHERE s.id = t.stage_id) AS stage_kind,
                    t.priority, (SELECT u.name FROM users u WHERE u.id = t.assignee_id) AS assignee,
                    t.updated_at, t.due_at, t.completed_at
               FROM {from}
              CROSS JOIN customers c
              WHERE c.id = t.customer_id AND t.team_id = $1{conditions}{keyset}
              ORDER BY {order} LIMIT ${}",
            binds.len()
        );
        (sql, binds)
    };
    let run = |(sql, binds): (String, Vec<Bind>)| async move {
        Ok::<_, AppError>(
            db!(db, pool => bind_all!(sqlx::query_as::<_, ListRowDb>(&sql), &binds).fetch_all(pool).await)?,
        )
    };
    // Words in the filter: the walk fills the page when they are common; when it does
    // not, they are rare and their matches are gathered from the index instead (the
    // same two steps as the search page, see search::store::Walk).
    // Postgres only: on SQLite a per-row MATCH over the walk made a loaded server queue
    // for seconds; its index's set of matches is used as before.
    let pg = crate::search::store::is_postgres(db);
    if pg && !crate::search::SearchQuery::parse(&filter.text).is_empty() {
        let rows = run(statement(Matching::PerRow, true)).await?;
        if rows.len() as i64 >= limit {
            return Ok(rows);
        }
    }
    run(statement(Matching::Set, false)).await
}

/// The cursor that continues a list after `row`.
pub fn list_cursor(sort: ListSort, row: &ListRowDb) -> String {
    match sort {
        ListSort::Newest | ListSort::Oldest => row.number.to_string(),
        ListSort::Updated | ListSort::Stale => format!("{}.{}", row.updated_at, row.id),
    }
}
