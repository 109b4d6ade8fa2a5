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
    let mut binds = vec![Bind::Int(team_id)];
    let conditions = filter_conditions(
        crate::search::store::is_postgres(db),
        filter,
        me,
        now,
        &mut binds,
    );
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
    // `tickets` comes first with a CROSS JOIN: SQLite then walks the team's index in
    // the sort order and stops after one page (left to choose, it started from the
    // small stages table and sorted a million rows). The names of the company, stage
    // and assignee are looked up per row of the page rather than joined: Postgres
    // plans every execution of this statement afresh, and planning a five-table join
    // took longer than running it.
    let order = match sort {
        ListSort::Newest => "t.number DESC",
        ListSort::Oldest => "t.number ASC",
        ListSort::Updated => "t.updated_at DESC, t.id DESC",
        ListSort::Stale => "t.updated_at ASC, t.id ASC",
    };
    binds.push(Bind::Int(limit));
    let sql = format!(
        "SELECT t.id, t.number, t.title, c.name AS customer,
                (SELECT co.name FROM companies co WHERE co.id = c.company_id) AS company,
                (SELECT s.name FROM stages s WHERE s.id = t.stage_id) AS stage,
                (SELECT s.kind FROM stages s WHERE s.id = t.stage_id) AS stage_kind,
                t.priority, (SELECT u.name FROM users u WHERE u.id = t.assignee_id) AS assignee,
                t.updated_at, t.due_at, t.completed_at
           FROM tickets t
          CROSS JOIN customers c
          WHERE c.id = t.customer_id AND t.team_id = $1{conditions}{keyset}
          ORDER BY {order} LIMIT ${}",
        binds.len()
    );
    Ok(
        db!(db, pool => bind_all!(sqlx::query_as::<_, ListRowDb>(&sql), &binds).fetch_all(pool).await)?,
    )
}

/// The cursor that continues a list after `row`.
pub fn list_cursor(sort: ListSort, row: &ListRowDb) -> String {
    match sort {
        ListSort::Newest | ListSort::Oldest => row.number.to_string(),
        ListSort::Updated | ListSort::Stale => format!("{}.{}", row.updated_at, row.id),
    }
}
