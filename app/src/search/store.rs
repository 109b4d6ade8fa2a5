//! The SQL of search: conditions over the full-text indexes that the board, the list,
//! the portal and the customer lists add to their own queries, and the search page's
//! query across tickets, customers and companies.

use super::{highlight, CompanyResult, CustomerResult, SearchQuery, SearchResults, TicketResult};
use crate::auth::model::{CurrentUser, Role};
use crate::auth::policy::staff_team;
use crate::db;
use crate::error::AppError;
use crate::store::{like_pattern, Db};

/// Whether `db` is Postgres (the full-text syntax differs).
pub fn is_postgres(db: &Db) -> bool {
    matches!(db, Db::Postgres(_))
}

/// The columns of `ticket_search` a customer's search may match (not `notes`).
const PUBLIC_COLUMNS: &str = "{title description public}";

/// `id IN` the rows of FTS5 table `table` that `query` finds over `columns` (or, for
/// a query of exclusions only, `id NOT IN` the rows holding any of them); empty for
/// an empty query.
fn fts5_condition(
    id: &str,
    table: &str,
    columns: &str,
    query: &SearchQuery,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    match query.fts5(columns) {
        None => String::new(),
        Some((expr, leave_out)) => {
            let not = if leave_out { "NOT " } else { "" };
            let p = bind(expr);
            format!("{id} {not}IN (SELECT rowid FROM {table} WHERE {table} MATCH {p})")
        }
    }
}

/// The condition, over tickets `t`, that `query` makes (empty for an empty query):
/// every included term somewhere in the ticket (title, description, messages; the
/// words may come from different messages), no excluded one anywhere. `notes`:
/// internal notes count too (staff searches only). `bind` takes a value to bind and
/// gives back its placeholder. Each ticket is one document of the index (migration
/// 0017), so this is one lookup in it.
pub fn ticket_condition(
    pg: bool,
    query: &SearchQuery,
    notes: bool,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    if !pg {
        let columns = if notes { "" } else { PUBLIC_COLUMNS };
        return fts5_condition("t.id", "ticket_search", columns, query, bind);
    }
    if query.is_empty() {
        return String::new();
    }
    let column = if notes { "staff" } else { "public" };
    let p = bind(query.tsquery());
    format!(
        "t.id IN (SELECT ticket_id FROM ticket_search WHERE {column} @@ to_tsquery('simple', {p}))"
    )
}

/// The condition, over customers `c`, that `query` makes (empty for an empty query):
/// the customer's name, addresses, phone, company and notes together hold every
/// included term and no excluded one.
pub fn customer_condition(
    pg: bool,
    query: &SearchQuery,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    if !pg {
        return fts5_condition("c.id", "customers_fts", "", query, bind);
    }
    if query.is_empty() {
        return String::new();
    }
    let p = bind(query.tsquery());
    format!("c.search @@ to_tsquery('simple', {p})")
}

/// How many matching tickets are ranked per search: the most recently active ones.
/// Ranking reads their text, so it is bounded; a search that matches more says so
/// and asks for more words.
const CANDIDATES: i64 = 200;
/// How many tickets the search page shows.
pub const TICKETS_SHOWN: usize = 25;
const CUSTOMERS_SHOWN: usize = 10;
const COMPANIES_SHOWN: i64 = 10;
/// How long a snippet is, in characters.
const SNIPPET: usize = 180;

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    number: i64,
    title: String,
    description: String,
    updated_at: i64,
    completed_at: Option<i64>,
    team: String,
    stage: String,
    customer: String,
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    name: String,
    email: String,
    phone: String,
    notes: String,
    company: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CompanyRow {
    id: i64,
    name: String,
    customers: i64,
}

/// Binds text values in order to a query.
macro_rules! bind_texts {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = q.bind(b.clone());
        }
        q
    }};
}

/// Everything `user` (staff) may see that `text` finds: tickets on their boards (a
/// ticket number finds that ticket), customers and companies. Tickets are ranked by
/// where the words are (title, then description, then messages), then by how recently
/// they changed.
pub async fn search_all(
    db: &Db,
    user: &CurrentUser,
    text: &str,
) -> Result<SearchResults, AppError> {
    let query = SearchQuery::parse(text);
    let trimmed = text.trim();
    let number = trimmed
        .strip_prefix('#')
        .unwrap_or(trimmed)
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0);
    if query.include.is_empty() && number.is_none() {
        return Ok(SearchResults::default());
    }
    let pg = is_postgres(db);
    let rows = search_tickets(db, user, &query, number, pg).await?;
    let (tickets, more_tickets) = rank_tickets(db, &query, number, rows).await?;
    let customers = search_customers(db, &query, pg).await?;
    let companies = search_companies(db, &query).await?;
    Ok(SearchResults {
        tickets,
        more_tickets,
        customers,
        companies,
    })
}

/// How long one search statement may run on Postgres before it is cancelled: a plan
/// gone wrong costs the one search, not the server.
const POSTGRES_SEARCH_TIMEOUT_MS: u32 = 5_000;

async fn search_tickets(
    db: &Db,
    user: &CurrentUser,
    query: &SearchQuery,
    number: Option<i64>,
    pg: bool,
) -> Result<Vec<TicketRow>, AppError> {
    let select = "SELECT t.id, t.number, t.title, t.description, t.updated_at, t.completed_at,
                         tm.name AS team, s.name AS stage, c.name AS customer";
    let joins = "JOIN teams tm ON tm.id = t.team_id
                 JOIN stages s ON s.id = t.stage_id
                 JOIN customers c ON c.id = t.customer_id";
    let visible = format!("{} AND t.merged_into IS NULL", staff_team("$1", "$2"));
    let admin = user.role == Role::Admin;
    let mut rows: Vec<TicketRow> = Vec::new();
    if let Some(n) = number {
        let sql = format!("{select} FROM tickets t {joins} WHERE {visible} AND t.number = $3");
        rows = db!(db, pool => sqlx::query_as::<_, TicketRow>(&sql)
            .bind(admin).bind(user.id).bind(n).fetch_all(pool).await)?;
    }
    // The newest matching tickets the user may see, walked in the index's own order
    // (rowid = ticket id) so the engine stops at CANDIDATES. On SQLite every join is a
    // CROSS JOIN, which keeps the tables in the order written and so the index the
    // outer loop: otherwise the planner starts from the few teams and sorts every
    // match (1.7 s for a common word at 1,000,000 tickets).
    let sql = if pg {
        format!(
            "{select} FROM ticket_search f JOIN tickets t ON t.id = f.ticket_id {joins}
              WHERE f.staff @@ to_tsquery('simple', $3) AND {visible}
              ORDER BY f.ticket_id DESC LIMIT {CANDIDATES}"
        )
    } else {
        format!(
            "{select} FROM ticket_search CROSS JOIN tickets t ON t.id = ticket_search.rowid {}
              WHERE ticket_search MATCH $3 AND {visible}
              ORDER BY ticket_search.rowid DESC LIMIT {CANDIDATES}",
            joins.replace("JOIN", "CROSS JOIN")
        )
    };
    if query.include.is_empty() {
        return Ok(rows);
    }
    let found: Vec<TicketRow> = match db {
        Db::Sqlite(pool, _) => {
            // A last word longer than the index's prefixes is looked up as a whole word
            // first, which FTS5 walks lazily; only when that finds too few tickets is it
            // matched as a prefix (see SQLITE_PREFIXES).
            let mut found = Vec::new();
            for attempt in sqlite_attempts(query) {
                let expr = attempt.fts5("").map(|(expr, _)| expr).unwrap_or_default();
                found = sqlx::query_as(&sql)
                    .bind(admin)
                    .bind(user.id)
                    .bind(expr)
                    .fetch_all(pool)
                    .await?;
                if found.len() as i64 >= CANDIDATES {
                    break;
                }
            }
            found
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query(&format!(
                "SET LOCAL statement_timeout = {POSTGRES_SEARCH_TIMEOUT_MS}"
            ))
            .execute(&mut *tx)
            .await?;
            let found = sqlx::query_as(&sql)
                .bind(admin)
                .bind(user.id)
                .bind(query.tsquery())
                .fetch_all(&mut *tx)
                .await
                .map_err(too_broad)?;
            tx.commit().await?;
            found
        }
    };
    rows.extend(found.into_iter().filter(|r| Some(r.number) != number));
    Ok(rows)
}

/// The longest prefix SQLite's ticket index holds (migration 0017: `prefix = '2 3 4
/// 5'`). A longer prefix makes FTS5 gather every matching word's whole list of
/// tickets before it returns one (a third of a second for a common word at 1,000,000
/// tickets), where a whole word or an indexed prefix is walked newest first and
/// stops at CANDIDATES.
const SQLITE_PREFIXES: usize = 5;

/// The queries SQLite's search tries in turn: `query` itself, preceded, when its last
/// word is a prefix longer than SQLITE_PREFIXES, by the same query with that word
/// whole (enough when the word typed is complete and common).
fn sqlite_attempts(query: &SearchQuery) -> Vec<SearchQuery> {
    let long_prefix = query.include.last().is_some_and(|t| {
        t.prefix
            && t.words
                .last()
                .is_some_and(|w| w.chars().count() > SQLITE_PREFIXES)
    });
    let mut attempts = Vec::new();
    if long_prefix {
        let mut whole = query.clone();
        if let Some(t) = whole.include.last_mut() {
            t.prefix = false;
        }
        attempts.push(whole);
    }
    attempts.push(query.clone());
    attempts
}

/// A search Postgres cancelled at [`POSTGRES_SEARCH_TIMEOUT_MS`] (SQLSTATE 57014) is
/// the searcher's to narrow, said next to the search box; anything else is an error.
fn too_broad(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("57014") => AppError::Validation {
            field: "q".into(),
            message: "That search took too long to finish. Add a word or two to narrow it.".into(),
        },
        _ => e.into(),
    }
}

/// Ranks the candidates and builds the results: the ticket named by number, then
/// words in the title, then in the description; the rest matched in messages.
async fn rank_tickets(
    db: &Db,
    query: &SearchQuery,
    number: Option<i64>,
    rows: Vec<TicketRow>,
) -> Result<(Vec<TicketResult>, bool), AppError> {
    let more = rows.len() > TICKETS_SHOWN;
    // Rank: the ticket named by number, then words in the title, then in the
    // description; the rest matched in messages. The sort is stable, so equal scores
    // stay newest first.
    let mut scored: Vec<(usize, TicketRow)> = rows
        .into_iter()
        .map(|r| {
            let score = if Some(r.number) == number {
                1000
            } else {
                3 * query.hits(&r.title) + query.hits(&r.description)
            };
            (score, r)
        })
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    scored.truncate(TICKETS_SHOWN);
    // Snippets: the latest message holding a word, for tickets whose own text does
    // not hold them all.
    let from_messages: Vec<i64> = scored
        .iter()
        .filter(|(_, r)| {
            !query.include.is_empty()
                && !query.matches_all(&format!("{} {}", r.title, r.description))
        })
        .map(|(_, r)| r.id)
        .collect();
    let bodies = latest_matching_messages(db, query, &from_messages).await?;
    let tickets = scored
        .into_iter()
        .map(|(_, r)| {
            let snippet = match bodies.iter().find(|(id, _)| *id == r.id) {
                Some((_, body)) => highlight(body, query, SNIPPET),
                None if query.hits(&r.description) > 0 => highlight(&r.description, query, SNIPPET),
                None => Vec::new(),
            };
            TicketResult {
                number: r.number,
                title: highlight(&r.title, query, 300),
                snippet,
                team: r.team,
                stage: r.stage,
                done: r.completed_at.is_some(),
                customer: r.customer,
                updated_at: r.updated_at,
            }
        })
        .collect();
    Ok((tickets, more))
}

/// How many of a ticket's latest messages are read for its snippet.
const SNIPPET_MESSAGES: i64 = 50;

/// The latest message (notes too: staff only) of each ticket in `ids` that holds any
/// included word, among its last [`SNIPPET_MESSAGES`], as (ticket id, body). The
/// messages are read by the tickets' index and matched here: asking the full-text
/// index about each message costs a whole term's matches per message.
async fn latest_matching_messages(
    db: &Db,
    query: &SearchQuery,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are numbers from the database, written into the statement as numbers.
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT ticket_id, body FROM (
            SELECT m.ticket_id, m.body,
                   ROW_NUMBER() OVER (PARTITION BY m.ticket_id ORDER BY m.created_at DESC, m.id DESC) AS n
              FROM messages m
             WHERE m.ticket_id IN ({}) AND m.deleted_at IS NULL) x
          WHERE n <= {SNIPPET_MESSAGES}
          ORDER BY ticket_id, n",
        list.join(", ")
    );
    let rows: Vec<(i64, String)> =
        db!(db, pool => sqlx::query_as::<_, (i64, String)>(&sql).fetch_all(pool).await)?;
    let mut latest: Vec<(i64, String)> = Vec::new();
    for (ticket, body) in rows {
        if latest.iter().all(|(t, _)| *t != ticket) && query.hits(&body) > 0 {
            latest.push((ticket, body));
        }
    }
    Ok(latest)
}

async fn search_customers(
    db: &Db,
    query: &SearchQuery,
    pg: bool,
) -> Result<Vec<CustomerResult>, AppError> {
    if query.include.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let condition = customer_condition(pg, query, &mut bind);
    let sql = format!(
        "SELECT c.id, c.name, c.email, c.phone, c.notes, co.name AS company
           FROM customers c LEFT JOIN companies co ON co.id = c.company_id
          WHERE c.deleted_at IS NULL AND {condition}
          ORDER BY c.updated_at DESC, c.id DESC LIMIT 50"
    );
    let rows: Vec<CustomerRow> = db!(db, pool => bind_texts!(sqlx::query_as::<_, CustomerRow>(&sql), &binds)
        .fetch_all(pool).await)?;
    let mut scored: Vec<(usize, CustomerRow)> = rows
        .into_iter()
        .map(|r| {
            (
                3 * query.hits(&r.name) + query.hits(&format!("{} {}", r.email, r.phone)),
                r,
            )
        })
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    Ok(scored
        .into_iter()
        .take(CUSTOMERS_SHOWN)
        .map(|(_, r)| CustomerResult {
            id: r.id,
            name: highlight(&r.name, query, 200),
            email: r.email,
            company: r.company,
            snippet: if query.hits(&r.notes) > 0 {
                highlight(&r.notes, query, SNIPPET)
            } else {
                Vec::new()
            },
        })
        .collect())
}

/// The condition that a company `co` has every included term of `query` (and none
/// of the excluded) in its name, a domain or its notes, placeholders from `bind`.
/// Companies are far fewer than tickets or customers (one per many people), so this
/// is a LIKE over the companies table rather than a full-text index.
pub fn company_condition(query: &SearchQuery, bind: &mut dyn FnMut(String) -> String) -> String {
    let mut conditions: Vec<String> = Vec::new();
    for (term, negate) in query
        .include
        .iter()
        .map(|t| (t, ""))
        .chain(query.exclude.iter().map(|t| (t, "NOT ")))
    {
        // A term's words in order, anything between them ("south-bay" finds the
        // domain south-bay.example and the name "South Bay"); words hold letters and
        // digits only, so the spaces joined here are the only ones in the pattern.
        let p = bind(like_pattern(&term.words.join(" ")).replace(' ', "%"));
        conditions.push(format!(
            "{negate}(lower(co.name) LIKE {p} ESCAPE '\\' OR lower(co.notes) LIKE {p} ESCAPE '\\'
               OR EXISTS (SELECT 1 FROM company_domains d WHERE d.company_id = co.id AND d.domain LIKE {p} ESCAPE '\\'))"
        ));
    }
    conditions.join(" AND ")
}

/// Companies that have every included term (`company_condition`), by name.
async fn search_companies(db: &Db, query: &SearchQuery) -> Result<Vec<CompanyResult>, AppError> {
    if query.include.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds: Vec<String> = Vec::new();
    let condition = company_condition(query, &mut |v| {
        binds.push(v);
        format!("${}", binds.len())
    });
    let sql = format!(
        "SELECT co.id, co.name, (SELECT COUNT(*) FROM company_members m WHERE m.company_id = co.id) AS customers
           FROM companies co WHERE co.deleted_at IS NULL AND {condition} ORDER BY lower(co.name) LIMIT {COMPANIES_SHOWN}"
    );
    let rows: Vec<CompanyRow> = db!(db, pool => bind_texts!(sqlx::query_as::<_, CompanyRow>(&sql), &binds)
        .fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|r| CompanyResult {
            marked: highlight(&r.name, query, 200),
            id: r.id,
            name: r.name,
            customers: r.customers,
        })
        .collect())
}
