//! The SQL of search: conditions over the full-text indexes that the board, the list,
//! the portal and the customer lists add to their own queries, and the search page's
//! query across tickets, customers and companies.

use super::{highlight, CompanyResult, CustomerResult, SearchQuery, SearchResults, TicketResult};
use crate::auth::model::{CurrentUser, Role};
use crate::auth::policy::staff_team;
use crate::bind_all;
use crate::db;
use crate::error::AppError;
use crate::store::{Bind, Db};

/// Whether `db` is Postgres (the full-text syntax differs).
pub fn is_postgres(db: &Db) -> bool {
    matches!(db, Db::Postgres(_))
}

/// The columns of `ticket_search` a customer's search may match (not `notes`).
const PUBLIC_COLUMNS: &str = "{title description public}";

/// How a words condition is tested over the rows of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Against the set of every match, which the engine may gather first: right when
    /// the matches are few.
    Set,
    /// Row by row, a lookup in the index per row: right when the query reads a
    /// bounded number of rows (a walk), however common the words are.
    PerRow,
}

/// `id IN` the rows of FTS5 table `table` that `query` finds over `columns` (or, for
/// a query of exclusions only, `id NOT IN` the rows holding any of them), tested as
/// `matching` says; empty for an empty query. `or_id`: a query whose ids also count.
fn fts5_condition(
    id: &str,
    table: &str,
    columns: &str,
    query: &SearchQuery,
    matching: Matching,
    or_id: Option<&str>,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    let Some((expr, leave_out)) = query.fts5(columns) else {
        return String::new();
    };
    let not = if leave_out { "NOT " } else { "" };
    let p = bind(expr);
    let found = format!("SELECT rowid FROM {table} WHERE {table} MATCH {p}");
    match (matching, or_id) {
        (Matching::Set, None) => format!("{id} {not}IN ({found})"),
        // One IN over both, so each is looked up by its index (an OR of the two
        // reads every row to test it).
        (Matching::Set, Some(or_id)) if !leave_out => {
            format!("{id} IN ({found} UNION ALL {or_id})")
        }
        (Matching::Set, Some(or_id)) => format!("({id} IN ({or_id}) OR {id} NOT IN ({found}))"),
        // FTS5 seeks each term's list of documents to the one rowid.
        (Matching::PerRow, or_id) => {
            let row = format!("{not}EXISTS ({found} AND {table}.rowid = {id})");
            match or_id {
                None => row,
                Some(or_id) => format!("({id} IN ({or_id}) OR {row})"),
            }
        }
    }
}

/// The condition, over tickets `t`, that `query` makes (empty for an empty query):
/// every included term somewhere in the ticket (title, description, messages; the
/// words may come from different messages), no excluded one anywhere. `notes`:
/// internal notes count too (staff searches only). `number`: the placeholder of a
/// ticket number that is found too. `bind` takes a value to bind and gives back its
/// placeholder. Each ticket is one document of the index (migration 0017), so this
/// is one lookup in it.
pub fn ticket_condition(
    pg: bool,
    query: &SearchQuery,
    notes: bool,
    matching: Matching,
    number: Option<&str>,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    let numbered = number.map(|n| format!("SELECT n.id FROM tickets n WHERE n.number = {n}"));
    if !pg {
        let columns = if notes { "" } else { PUBLIC_COLUMNS };
        let or_id = numbered.as_deref();
        return fts5_condition(
            "t.id",
            "ticket_search",
            columns,
            query,
            matching,
            or_id,
            bind,
        );
    }
    if query.is_empty() {
        return String::new();
    }
    let column = if notes { "staff" } else { "public" };
    let p = bind(query.tsquery());
    let found =
        format!("SELECT ticket_id FROM ticket_search WHERE {column} @@ to_tsquery('simple', {p})");
    match (matching, numbered) {
        (Matching::Set, None) => format!("t.id IN ({found})"),
        (Matching::Set, Some(numbered)) => format!("t.id IN ({found} UNION ALL {numbered})"),
        // A scalar subquery stays a lookup per row (an IN or EXISTS may become a join
        // that gathers every match).
        (Matching::PerRow, numbered) => {
            let row = format!(
                "(SELECT f.{column} FROM ticket_search f WHERE f.ticket_id = t.id) @@ to_tsquery('simple', {p})"
            );
            match numbered {
                None => row,
                Some(numbered) => format!("(t.id IN ({numbered}) OR {row})"),
            }
        }
    }
}

/// The condition that `query` makes (empty for an empty query) over records `alias`
/// of a table indexed whole per record, as customers and companies are: their own
/// FTS5 table `fts` on SQLite, a `search` vector on Postgres.
fn record_condition(
    pg: bool,
    alias: &str,
    fts: &str,
    query: &SearchQuery,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    if !pg {
        let id = format!("{alias}.id");
        return fts5_condition(&id, fts, "", query, Matching::Set, None, bind);
    }
    if query.is_empty() {
        return String::new();
    }
    let p = bind(query.tsquery());
    format!("{alias}.search @@ to_tsquery('simple', {p})")
}

/// The condition, over customers `c`, that `query` makes (empty for an empty query):
/// the customer's name, addresses, phone, company and notes together hold every
/// included term and no excluded one.
pub fn customer_condition(
    pg: bool,
    query: &SearchQuery,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    record_condition(pg, "c", "customers_fts", query, bind)
}

/// A query over customers `c` that may find them by words ([`customer_condition`]),
/// run by [`customers_by_words`].
pub struct CustomerQuery<'a> {
    /// The select list, over `c`.
    pub columns: &'a str,
    /// Every condition (the words too), each as ` AND …`.
    pub conditions: &'a str,
    /// Where the page starts in `order` (` AND …`, or empty).
    pub keyset: &'a str,
    /// The order, one an index of `customers` serves.
    pub order: &'a str,
    /// The same order written so that no index serves it (`c.id + 0 DESC`).
    pub sort: &'a str,
    /// The page's size: a placeholder or a number.
    pub limit: &'a str,
    /// How many rows a page has (`limit`'s value).
    pub rows: usize,
    /// Whether `conditions` hold a words condition.
    pub words: bool,
}

/// How many customers in the list's order a Postgres search tests before it asks the
/// GIN index instead (see [`customers_by_words`]).
const CUSTOMER_WALK: i64 = 5_000;

/// The customers `q` selects, `binds` bound in order. On Postgres a search by words
/// takes the same two steps as the ticket search ([`Walk`]), for the same reason (a
/// rare name read a whole 300,000-row name index, 2.4 s): the first [`CUSTOMER_WALK`]
/// customers in the list's order are tested, which fills a page when the words are
/// common; when they fill less, every match comes from the GIN index and is sorted.
/// SQLite's FTS5 lookup is one statement either way.
pub async fn customers_by_words<R>(
    db: &Db,
    q: CustomerQuery<'_>,
    binds: &[Bind],
) -> Result<Vec<R>, AppError>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let CustomerQuery {
        columns,
        conditions,
        keyset,
        order,
        sort,
        limit,
        rows,
        words,
    } = q;
    let whole = |order: &str| {
        format!(
            "SELECT {columns} FROM customers c WHERE c.deleted_at IS NULL{keyset}{conditions}
              ORDER BY {order} LIMIT {limit}"
        )
    };
    match db {
        Db::Postgres(pool) if words => {
            let walked = format!(
                "SELECT {columns} FROM (SELECT * FROM customers c WHERE c.deleted_at IS NULL{keyset}
                                        ORDER BY {order} LIMIT {CUSTOMER_WALK}) c
                  WHERE TRUE{conditions} ORDER BY {order} LIMIT {limit}"
            );
            let found: Vec<R> = bind_all!(sqlx::query_as::<_, R>(&walked), binds)
                .fetch_all(pool)
                .await?;
            if found.len() >= rows {
                return Ok(found);
            }
            let sql = whole(sort);
            Ok(bind_all!(sqlx::query_as::<_, R>(&sql), binds)
                .fetch_all(pool)
                .await?)
        }
        _ => {
            let sql = whole(order);
            Ok(
                db!(db, pool => bind_all!(sqlx::query_as::<_, R>(&sql), binds).fetch_all(pool).await)?,
            )
        }
    }
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

/// How a Postgres search reads its index (see [`search_tickets`]): first the newest
/// `walk` tickets the user may see, tested one by one, which is enough when at least
/// `enough` of them match; then at most `probe` matches from the GIN index in no
/// order, which are all of them for a rare term; then, for a term common only among
/// older tickets, a walk of the newest `long_walk`; and last every match, sorted.
#[derive(Debug, Clone, Copy)]
pub struct Walk {
    pub walk: i64,
    pub enough: usize,
    pub probe: usize,
    pub long_walk: i64,
}

/// The steps searches use. At 1,000,000 tickets: 2,000 tickets take 3 ms to test; a
/// probe of 2,000 matches 1 ms for a rare term and up to 150 ms for one in half the
/// tickets (the index gathers them all before the first is read); 50,000 tickets
/// 75 ms. A term that fills none of them (rare among the newest 50,000, yet in more
/// than 2,000 older tickets) is sorted whole, under the statement timeout.
pub const WALK: Walk = Walk {
    walk: 2_000,
    enough: TICKETS_SHOWN,
    probe: 2_000,
    long_walk: 50_000,
};

/// Everything `user` (staff) may see that `text` finds: tickets on their boards (a
/// ticket number finds that ticket), customers and companies. Tickets are ranked by
/// where the words are (title, then description, then messages), then by how recently
/// they changed.
pub async fn search_all(
    db: &Db,
    user: &CurrentUser,
    text: &str,
) -> Result<SearchResults, AppError> {
    search_all_walking(db, user, text, WALK).await
}

/// [`search_all`] with the Postgres index read by `walk` (tests use a short one to
/// take the second step on a small database).
pub async fn search_all_walking(
    db: &Db,
    user: &CurrentUser,
    text: &str,
    walk: Walk,
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
    let rows = search_tickets(db, user, &query, number, walk).await?;
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
    walk: Walk,
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
    let sqlite = format!(
        "{select} FROM ticket_search CROSS JOIN tickets t ON t.id = ticket_search.rowid {}
          WHERE ticket_search MATCH $3 AND {visible}
          ORDER BY ticket_search.rowid DESC LIMIT {CANDIDATES}",
        joins.replace("JOIN", "CROSS JOIN")
    );
    // Postgres cannot tell a rare term from a common one (a prefix is always guessed
    // at 0.5 % of rows), and no single plan suits both: walking the key newest first
    // stops early for a common word but reads all 1,000,000 tickets for a rare one
    // (11 s), and the GIN index fetches a rare term's few tickets at once but sorts a
    // common word's half million (1.3 s). So the search walks first, bounded: the
    // newest `n` tickets the user may see (a number, written in), their vectors
    // carried out of the LIMITed subquery so the match is tested on those rows only.
    let walked = |n: i64| {
        format!(
            "{select} FROM (SELECT f.ticket_id, f.staff FROM ticket_search f
                              JOIN tickets t ON t.id = f.ticket_id
                              JOIN teams tm ON tm.id = t.team_id
                             WHERE {visible} ORDER BY f.ticket_id DESC LIMIT {n}) f
              JOIN tickets t ON t.id = f.ticket_id {joins}
             WHERE f.staff @@ to_tsquery('simple', $3)
             ORDER BY f.ticket_id DESC LIMIT {CANDIDATES}"
        )
    };
    // The probe: matches from the GIN index in no order, at most `walk.probe` + 1 (the
    // planner is kept off a scan of the table, which would look cheaper for a LIMIT).
    let probe = format!(
        "SELECT ticket_id FROM ticket_search WHERE staff @@ to_tsquery('simple', $1) LIMIT {}",
        walk.probe + 1
    );
    // The tickets of the probe's ids, newest first.
    let probed = format!(
        "{select} FROM tickets t {joins}
          WHERE t.id = ANY($3) AND {visible} ORDER BY t.id DESC LIMIT {CANDIDATES}"
    );
    // Every match from the GIN index, sorted (`+ 0` keeps the key's order from being
    // used).
    let indexed = format!(
        "{select} FROM ticket_search f JOIN tickets t ON t.id = f.ticket_id {joins}
          WHERE f.staff @@ to_tsquery('simple', $3) AND {visible}
          ORDER BY f.ticket_id + 0 DESC LIMIT {CANDIDATES}"
    );
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
                found = sqlx::query_as(&sqlite)
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
            // No parallel workers: on a busy server they take the cores the other
            // searches need, for a few milliseconds saved on one.
            sqlx::query(&format!(
                "SELECT set_config('statement_timeout', '{POSTGRES_SEARCH_TIMEOUT_MS}', TRUE),
                        set_config('max_parallel_workers_per_gather', '0', TRUE)"
            ))
            .execute(&mut *tx)
            .await?;
            let tsquery = query.tsquery();
            let mut found: Vec<TicketRow> = sqlx::query_as(&walked(walk.walk))
                .bind(admin)
                .bind(user.id)
                .bind(&tsquery)
                .fetch_all(&mut *tx)
                .await
                .map_err(too_broad)?;
            if found.len() < walk.enough {
                sqlx::query("SELECT set_config('enable_seqscan', 'off', TRUE)")
                    .execute(&mut *tx)
                    .await?;
                let ids: Vec<i64> = sqlx::query_scalar(&probe)
                    .bind(&tsquery)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(too_broad)?;
                sqlx::query("SELECT set_config('enable_seqscan', 'on', TRUE)")
                    .execute(&mut *tx)
                    .await?;
                let (sql, ids) = if ids.len() <= walk.probe {
                    (probed.clone(), Some(ids))
                } else {
                    found = sqlx::query_as(&walked(walk.long_walk))
                        .bind(admin)
                        .bind(user.id)
                        .bind(&tsquery)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(too_broad)?;
                    (indexed.clone(), None)
                };
                if ids.is_some() || found.len() < walk.enough {
                    let q = sqlx::query_as(&sql).bind(admin).bind(user.id);
                    let q = match ids {
                        Some(ids) => q.bind(ids),
                        None => q.bind(tsquery),
                    };
                    found = q.fetch_all(&mut *tx).await.map_err(too_broad)?;
                }
            }
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
    let conditions = format!(" AND {condition}");
    let binds: Vec<Bind> = binds.into_iter().map(Bind::Text).collect();
    // The newest customers that match, ranked here by where the words are.
    let rows: Vec<CustomerRow> = customers_by_words(
        db,
        CustomerQuery {
            columns: "c.id, c.name, c.email, c.phone, c.notes,
                      (SELECT co.name FROM companies co WHERE co.id = c.company_id) AS company",
            conditions: &conditions,
            keyset: "",
            order: "c.id DESC",
            sort: "c.id + 0 DESC",
            limit: "50",
            rows: 50,
            words: true,
        },
        &binds,
    )
    .await?;
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

/// The condition, over companies `co`, that `query` makes (empty for an empty
/// query): the company's name, domains and notes together hold every included term and
/// no excluded one (migration 0022).
pub fn company_condition(
    pg: bool,
    query: &SearchQuery,
    bind: &mut dyn FnMut(String) -> String,
) -> String {
    record_condition(pg, "co", "companies_fts", query, bind)
}

/// Companies that have every included term (`company_condition`), by name.
async fn search_companies(db: &Db, query: &SearchQuery) -> Result<Vec<CompanyResult>, AppError> {
    if query.include.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds: Vec<String> = Vec::new();
    let condition = company_condition(is_postgres(db), query, &mut |v| {
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
