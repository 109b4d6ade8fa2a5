//! SQL for customers and companies: the records tickets are for, the search of New
//! ticket, and the portal accounts Admin → Customers puts in companies.

use super::model::{AccountRow, CustomerHit};
use crate::auth::model::{Email, PersonName};
use crate::db;
use crate::error::AppError;
use crate::store::{is_unique_violation, like_pattern, now_ms, Db};

/// The id of the company called `$name` (found whatever its case, or added) inside
/// the write transaction `$tx`, as `Result<i64, sqlx::Error>`: a unique violation of
/// `companies_name_key` means another request added it at the same moment. Used by
/// every write that names a company by what was typed.
#[macro_export]
macro_rules! company_in_tx {
    ($tx:expr, $name:expr, $now:expr) => {
        async {
            let name: &str = $name;
            let found: Option<i64> =
                sqlx::query_scalar(
                    "SELECT id FROM companies WHERE lower(name) = lower($1) AND deleted_at IS NULL",
                )
                    .bind(name)
                    .fetch_optional(&mut *$tx)
                    .await?;
            match found {
                Some(id) => Ok::<i64, sqlx::Error>(id),
                None => {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO companies (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
                    )
                    .bind(name)
                    .bind($now)
                    .fetch_one(&mut *$tx)
                    .await
                }
            }
        }
    };
}

/// A company name as typed, trimmed, or a field error on `company`.
pub fn company_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::validation(
            "company",
            "A company name has 1 to 120 characters.",
        ));
    }
    Ok(name)
}

pub async fn create_company(db: &Db, name: &str) -> Result<i64, AppError> {
    let name = company_name(name)?;
    crate::write_tx!(db, single conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO companies (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id"
    ).bind(name).bind(now_ms()).fetch_one(&mut *conn).await.map_err(|e| {
        if is_unique_violation(&e, "companies_name_key") {
            AppError::conflict("company", "A company with this name already exists.")
        } else {
            e.into()
        }
    }))
}

pub async fn create_customer(
    db: &Db,
    name: &PersonName,
    email: &Email,
    company_id: Option<i64>,
) -> Result<i64, AppError> {
    let now = now_ms();
    let taken = || AppError::conflict("email", "A customer with this email already exists.");
    crate::write_tx!(db, tx => async {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO customers (name, email, company_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id"
        ).bind(name.as_str()).bind(email.as_str()).bind(company_id).bind(now).fetch_one(&mut *tx).await.map_err(address_race)?;
        crate::add_customer_email!(tx, email.as_str(), id, now).await.map_err(address_race)?;
        Ok::<_, AppError>(id)
    }.await.map_err(|e| match e {
        AppError::Conflict { .. } => taken(),
        e => e,
    }))
}

pub async fn find_customer_by_email(db: &Db, email: &Email) -> Result<Option<i64>, AppError> {
    Ok(
        db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT customer_id FROM customer_emails WHERE email = $1")
        .bind(email.as_str()).fetch_optional(pool).await)?,
    )
}

pub async fn find_or_create_company(db: &Db, name: &str) -> Result<i64, AppError> {
    let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM companies WHERE lower(name) = lower($1) AND deleted_at IS NULL"
    ).bind(name.trim()).fetch_optional(pool).await)?;
    match found {
        Some(id) => Ok(id),
        None => create_company(db, name).await,
    }
}

#[derive(sqlx::FromRow)]
struct CustomerHitRow {
    email: String,
    name: String,
    company: Option<String>,
}

/// Customers found by what was typed so far (each word a prefix of a word of their
/// name, addresses, phone, company or notes), at most `limit`, by name.
pub async fn search_customers(
    db: &Db,
    prefix: &str,
    limit: i64,
) -> Result<Vec<CustomerHit>, AppError> {
    // What was typed so far, as a prefix search over the full-text index (an address
    // is split into words there: "ann@exa" finds ann@example.com).
    let query = crate::search::SearchQuery::parse(prefix);
    if query.include.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds: Vec<Bind> = vec![Bind::Int(limit)];
    let mut bind = |v: String| {
        binds.push(Bind::Text(v));
        format!("${}", binds.len())
    };
    let condition = crate::search::store::customer_condition(
        crate::search::store::is_postgres(db),
        &query,
        &mut bind,
    );
    let conditions = format!(" AND {condition}");
    let query = crate::search::store::CustomerQuery {
        columns: "c.email, c.name, (SELECT co.name FROM companies co WHERE co.id = c.company_id) AS company",
        conditions: &conditions,
        keyset: "",
        order: "lower(c.name), c.id",
        sort: "lower(c.name) || '', c.id",
        limit: "$1",
        rows: usize::try_from(limit).unwrap_or(0),
        words: true,
    };
    let rows: Vec<CustomerHitRow> =
        crate::search::store::customers_by_words(db, query, &binds).await?;
    Ok(rows
        .into_iter()
        .map(|r| CustomerHit {
            email: r.email,
            name: r.name,
            company: r.company,
        })
        .collect())
}

// ---- Admin → Customers: portal accounts, their company and manager flag -------------

/// Customer accounts by id (newest first), matching `text` in name or email; paged by
/// the last id of the previous page.
pub async fn customer_accounts(
    db: &Db,
    text: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AccountRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, AccountRow>(
        "SELECT u.id AS user_id, u.name, u.email, u.verified_at, c.id AS customer_id,
                co.name AS company, m.role = 'manager' AS company_manager
           FROM users u
           LEFT JOIN customer_emails ce ON ce.email = u.email
           LEFT JOIN customers c ON c.id = ce.customer_id
           LEFT JOIN companies co ON co.id = c.company_id
           LEFT JOIN company_members m ON m.customer_id = c.id AND m.company_id = c.company_id
          WHERE u.role = 'customer' AND u.id < $1
            AND ($2 = '%%' OR lower(u.name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\')
          ORDER BY u.id DESC LIMIT $3"
    ).bind(before.unwrap_or(i64::MAX)).bind(like_pattern(text.trim())).bind(limit).fetch_all(pool).await)?)
}

/// Puts a customer in a company (created when new; none when `company` is blank) and
/// sets whether they manage it, with audit rows for what changed.
pub async fn set_company(
    db: &Db,
    actor: i64,
    customer_id: i64,
    company: &str,
    manager: bool,
) -> Result<(), AppError> {
    let company = company.trim();
    if company.chars().count() > 200 {
        return Err(AppError::validation(
            "company",
            "Use at most 200 characters.",
        ));
    }
    if manager && company.is_empty() {
        return Err(AppError::validation(
            "company",
            "A company manager needs a company: enter its name.",
        ));
    }
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let old: Option<(Option<String>, bool)> = sqlx::query_as(
            "SELECT co.name, COALESCE(m.role = 'manager', FALSE)
               FROM customers c
               LEFT JOIN companies co ON co.id = c.company_id
               LEFT JOIN company_members m ON m.customer_id = c.id AND m.company_id = c.company_id
              WHERE c.id = $1 AND c.deleted_at IS NULL",
        )
        .bind(customer_id).fetch_optional(&mut *tx).await?;
        let Some((old_company, old_manager)) = old else {
            return Err(AppError::NotFound);
        };
        let company_id: Option<i64> = if company.is_empty() {
            None
        } else {
            Some(crate::company_in_tx!(tx, company, now).await?)
        };
        // The membership follows the primary company (a trigger); the role is then
        // the one chosen here.
        sqlx::query("UPDATE customers SET company_id = $1 WHERE id = $2")
            .bind(company_id).bind(customer_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE company_members SET role = $1 WHERE customer_id = $2 AND company_id = $3")
            .bind(if manager { "manager" } else { "member" }).bind(customer_id).bind(company_id)
            .execute(&mut *tx).await?;
        let new_company = (!company.is_empty()).then_some(company);
        if old_company.as_deref() != new_company {
            crate::insert_audit!(&mut *tx, actor, "customer", customer_id, "updated", Some("company"), old_company.as_deref(), new_company, now).await?;
        }
        if old_manager != manager {
            let (o, n) = (old_manager.to_string(), manager.to_string());
            crate::insert_audit!(&mut *tx, actor, "customer", customer_id, "updated", Some("company_manager"), Some(o.as_str()), Some(n.as_str()), now).await?;
        }
        Ok::<_, AppError>(())
    }.await)
}

// ---- Customer records: the list, the page, create, edit, delete --------------------

use super::model::{
    CustomerFields, CustomerFilter, CustomerRecord, CustomerRow, CustomerSort, CustomerTicket,
    HistoryEntry, Owner, TimelineEntry,
};
use crate::store::Bind;

/// Inside transaction `$tx`: gives record `$id` exactly the tags `$tags` in `$table`
/// (keyed by column `$key`), removing and adding only what changed; answers the tags
/// it had, sorted (for the audit trail), as `Result<Vec<String>, sqlx::Error>`.
#[macro_export]
macro_rules! set_tags_in_tx {
    ($tx:expr, $table:literal, $key:literal, $id:expr, $tags:expr) => {
        async {
            let tags: &[String] = &$tags;
            let old: Vec<String> = sqlx::query_scalar(concat!(
                "SELECT tag FROM ",
                $table,
                " WHERE ",
                $key,
                " = $1 ORDER BY tag"
            ))
            .bind($id)
            .fetch_all(&mut *$tx)
            .await?;
            for gone in old.iter().filter(|t| !tags.contains(t)) {
                sqlx::query(concat!(
                    "DELETE FROM ",
                    $table,
                    " WHERE ",
                    $key,
                    " = $1 AND tag = $2"
                ))
                .bind($id)
                .bind(gone)
                .execute(&mut *$tx)
                .await?;
            }
            for added in tags.iter().filter(|t| !old.contains(t)) {
                sqlx::query(concat!(
                    "INSERT INTO ",
                    $table,
                    " (",
                    $key,
                    ", tag) VALUES ($1, $2)"
                ))
                .bind($id)
                .bind(added)
                .execute(&mut *$tx)
                .await?;
            }
            Ok::<Vec<String>, sqlx::Error>(old)
        }
    };
}

/// Adds `email` to the addresses of customer `$id` inside transaction `$tx`; a unique
/// violation of `customer_emails_key` means another customer has it.
#[macro_export]
macro_rules! add_customer_email {
    ($tx:expr, $email:expr, $id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO customer_emails (email, customer_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind($email)
        .bind($id)
        .bind($now)
        .execute(&mut *$tx)
    };
}

/// The agents, leads and admins who may own customers, by name.
pub async fn owners(db: &Db) -> Result<Vec<Owner>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, Owner>(
        "SELECT id, name FROM users WHERE role <> 'customer' AND active = TRUE ORDER BY lower(name), id"
    ).fetch_all(pool).await)?)
}

/// One page of `/customers`: customers matching `filter`, after the customer with id
/// `after` in the list's order. `viewer` is the signed-in user ("my customers").
pub async fn list_customers(
    db: &Db,
    filter: &CustomerFilter,
    viewer: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CustomerRow>, AppError> {
    let mut binds: Vec<Bind> = Vec::new();
    let push = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut sql = String::new();
    // Words, phrases and -exclusions over the full-text index of name, addresses,
    // phone, company and notes (crate::search).
    let query = crate::search::SearchQuery::parse(&filter.q);
    let mut bind = |v: String| push(&mut binds, Bind::Text(v));
    let words = crate::search::store::customer_condition(
        crate::search::store::is_postgres(db),
        &query,
        &mut bind,
    );
    if !words.is_empty() {
        sql.push_str(" AND ");
        sql.push_str(&words);
    }
    if !filter.company.trim().is_empty() {
        let p = push(&mut binds, Bind::Text(like_pattern(filter.company.trim())));
        sql.push_str(&format!(
            " AND c.id IN (SELECT m.customer_id FROM company_members m JOIN companies co ON co.id = m.company_id
                            WHERE lower(co.name) LIKE {p} ESCAPE '\\')"
        ));
    }
    match filter.owner.trim() {
        "" => {}
        "none" => sql.push_str(" AND c.owner_id IS NULL"),
        "me" => {
            let p = push(&mut binds, Bind::Int(viewer));
            sql.push_str(&format!(" AND c.owner_id = {p}"));
        }
        other => {
            let id = other
                .parse::<i64>()
                .map_err(|_| AppError::validation("owner", "Choose an owner from the list."))?;
            let p = push(&mut binds, Bind::Int(id));
            sql.push_str(&format!(" AND c.owner_id = {p}"));
        }
    }
    if filter.open {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM tickets t JOIN stages s ON s.id = t.stage_id
                           WHERE t.customer_id = c.id AND s.kind <> 'done')",
        );
    }
    if !filter.tag.trim().is_empty() {
        let p = push(&mut binds, Bind::Text(filter.tag.trim().to_lowercase()));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = c.id AND ct.tag = {p})"
        ));
    }
    if let Some(from) = crate::store::day_bound(&filter.from, "from", false)? {
        let p = push(&mut binds, Bind::Int(from));
        sql.push_str(&format!(" AND c.created_at >= {p}"));
    }
    if let Some(to) = crate::store::day_bound(&filter.to, "to", true)? {
        let p = push(&mut binds, Bind::Int(to));
        sql.push_str(&format!(" AND c.created_at <= {p}"));
    }
    // Keyset paging by the last row's id: the row's own sort key is read back from
    // the table, so the cursor in the address is a number whatever the order.
    let keyset = match after {
        None => String::new(),
        Some(after) => {
            let p = push(&mut binds, Bind::Int(after));
            match filter.sort {
                CustomerSort::Name => format!(
                    " AND (lower(c.name), c.id) > (SELECT lower(x.name), x.id FROM customers x WHERE x.id = {p})"
                ),
                CustomerSort::Newest => format!(" AND c.id < {p}"),
            }
        }
    };
    // The order as an index serves it, and written so that none does (for Postgres's
    // second step, see customers_by_words).
    let (order, sort) = match filter.sort {
        CustomerSort::Name => ("lower(c.name), c.id", "lower(c.name) || '', c.id"),
        CustomerSort::Newest => ("c.id DESC", "c.id + 0 DESC"),
    };
    let p = push(&mut binds, Bind::Int(limit));
    let query = crate::search::store::CustomerQuery {
        columns: "c.id, c.name, c.email,
                (SELECT co.name FROM companies co WHERE co.id = c.company_id) AS company,
                (SELECT u.name FROM users u WHERE u.id = c.owner_id) AS owner,
                (SELECT COUNT(*) FROM tickets t JOIN stages s ON s.id = t.stage_id
                  WHERE t.customer_id = c.id AND s.kind <> 'done') AS open_tickets,
                c.created_at",
        conditions: &sql,
        keyset: &keyset,
        order,
        sort,
        limit: &p,
        rows: usize::try_from(limit).unwrap_or(0),
        words: !words.is_empty(),
    };
    crate::search::store::customers_by_words(db, query, &binds).await
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    name: String,
    email: String,
    phone: String,
    time_zone: String,
    language: String,
    notes: String,
    owner_id: Option<i64>,
    owner: Option<String>,
    company: Option<String>,
    company_manager: bool,
    has_account: bool,
    created_at: i64,
    updated_at: i64,
}

/// One customer's record, NotFound when there is none.
pub async fn customer_record(db: &Db, id: i64) -> Result<CustomerRecord, AppError> {
    let row = db!(db, pool => sqlx::query_as::<_, RecordRow>(
        "SELECT c.id, c.name, c.email, c.phone, c.time_zone, c.language, c.notes, c.owner_id,
                u.name AS owner, co.name AS company,
                COALESCE(m.role = 'manager', FALSE) AS company_manager,
                EXISTS (SELECT 1 FROM users a JOIN customer_emails e ON e.email = a.email
                         WHERE e.customer_id = c.id AND a.role = 'customer') AS has_account,
                c.created_at, c.updated_at
           FROM customers c
           LEFT JOIN users u ON u.id = c.owner_id
           LEFT JOIN companies co ON co.id = c.company_id
           LEFT JOIN company_members m ON m.customer_id = c.id AND m.company_id = c.company_id
          WHERE c.id = $1 AND c.deleted_at IS NULL"
    ).bind(id).fetch_optional(pool).await)?
    .ok_or(AppError::NotFound)?;
    let aliases = db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT email FROM customer_emails WHERE customer_id = $1 AND email <> $2 ORDER BY email"
    ).bind(id).bind(&row.email).fetch_all(pool).await)?;
    let tags = db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag"
    ).bind(id).fetch_all(pool).await)?;
    Ok(CustomerRecord {
        id: row.id,
        name: row.name,
        email: row.email,
        aliases,
        phone: row.phone,
        time_zone: row.time_zone,
        language: row.language,
        notes: row.notes,
        tags,
        owner_id: row.owner_id,
        owner: row.owner,
        company: row.company,
        company_manager: row.company_manager,
        companies: crate::companies::store::memberships(db, id).await?,
        has_account: row.has_account,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Whose tickets a record's page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketsOf {
    /// The customer's own.
    Customer,
    /// Those that are for the company.
    Company,
}

/// The tickets of a customer or a company (`of`, record `id`) on boards `viewer` may
/// open (not done first, then the most recently updated), at most `limit`, and how
/// many there are in all.
pub async fn record_tickets(
    db: &Db,
    viewer: &crate::auth::CurrentUser,
    of: TicketsOf,
    id: i64,
    limit: i64,
) -> Result<(Vec<CustomerTicket>, i64), AppError> {
    let staff = crate::auth::policy::staff_team("$2", "$3");
    let admin = viewer.role == crate::auth::model::Role::Admin;
    let column = match of {
        TicketsOf::Customer => "t.customer_id",
        TicketsOf::Company => "t.company_id",
    };
    let rows = db!(db, pool => sqlx::query_as::<_, CustomerTicket>(&format!(
        "SELECT t.number, t.title, tm.name AS team, s.name AS stage, s.kind AS stage_kind,
                t.priority, t.updated_at
           FROM tickets t
           JOIN stages s ON s.id = t.stage_id
           JOIN teams tm ON tm.id = t.team_id
          WHERE {column} = $1 AND {staff}
          ORDER BY CASE WHEN s.kind = 'done' THEN 1 ELSE 0 END, t.updated_at DESC, t.id DESC
          LIMIT $4"
    )).bind(id).bind(admin).bind(viewer.id).bind(limit).fetch_all(pool).await)?;
    let count = db!(db, pool => sqlx::query_scalar::<_, i64>(&format!(
        "SELECT COUNT(*) FROM tickets t JOIN teams tm ON tm.id = t.team_id
          WHERE {column} = $1 AND {staff}"
    )).bind(id).bind(admin).bind(viewer.id).fetch_one(pool).await)?;
    Ok((rows, count))
}

/// The newest messages of the customer's tickets on boards `viewer` may open,
/// internal notes included (the viewer is staff), at most `limit`.
pub async fn customer_timeline(
    db: &Db,
    viewer: &crate::auth::CurrentUser,
    id: i64,
    limit: i64,
) -> Result<Vec<TimelineEntry>, AppError> {
    let staff = crate::auth::policy::staff_team("$2", "$3");
    let admin = viewer.role == crate::auth::model::Role::Admin;
    // The newest `limit` messages of each ticket, then the newest `limit` of those,
    // and only then their authors' names. Postgres, given a plain join, hashes the
    // whole messages table for a customer with thousands of tickets (60 ms at
    // 300,000 messages, growing with the table); asked per ticket (LATERAL), it
    // reads each ticket's newest messages from messages_ticket (11 ms). SQLite has
    // no LATERAL and walks that index per ticket anyway.
    let messages = match db {
        Db::Postgres(_) => {
            "CROSS JOIN LATERAL (SELECT m.id, m.author_id, m.customer_id, m.internal, m.body, m.created_at
                                   FROM messages m
                                  WHERE m.ticket_id = t.id AND m.deleted_at IS NULL
                                  ORDER BY m.created_at DESC, m.id DESC LIMIT $4) m"
        }
        Db::Sqlite(..) => "JOIN messages m ON m.ticket_id = t.id AND m.deleted_at IS NULL",
    };
    Ok(db!(db, pool => sqlx::query_as::<_, TimelineEntry>(&format!(
        "SELECT x.number, x.title, COALESCE(u.name, cu.name) AS author,
                (x.customer_id IS NOT NULL) AS from_customer, x.internal, x.excerpt, x.at
           FROM (SELECT t.number, t.title, m.author_id, m.customer_id, m.internal,
                        substr(m.body, 1, 280) AS excerpt, m.created_at AS at, m.id
                   FROM tickets t
                   JOIN teams tm ON tm.id = t.team_id
                   {messages}
                  WHERE t.customer_id = $1 AND {staff}
                  ORDER BY m.created_at DESC, m.id DESC
                  LIMIT $4) x
           LEFT JOIN users u ON u.id = x.author_id
           LEFT JOIN customers cu ON cu.id = x.customer_id
          ORDER BY x.at DESC, x.id DESC"
    )).bind(id).bind(admin).bind(viewer.id).bind(limit).fetch_all(pool).await)?)
}

/// The history of record `entity` `id`, newest first (at most 200 changes), with who
/// made each change and from where.
pub async fn history(db: &Db, entity: &str, id: i64) -> Result<Vec<HistoryEntry>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, HistoryEntry>(
        "SELECT u.name AS actor, a.action, a.field, a.old_value, a.new_value, a.at,
                a.client_ip, a.user_agent
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
          WHERE a.entity = $1 AND a.entity_id = $2
          ORDER BY a.at DESC, a.id DESC LIMIT 200"
    ).bind(entity).bind(id).fetch_all(pool).await)?)
}

/// What a create or an edit sets besides the checked fields.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The company's name as typed (blank: none).
    pub company: &'a str,
    pub owner_id: Option<i64>,
}

/// An address another customer has: a conflict on `field` that names them, so the
/// form can offer the existing record instead of a second one.
fn email_taken(field: &str, email: &str, owner: &str) -> AppError {
    AppError::conflict(
        field,
        format!("{email} already belongs to the customer {owner}. Open their record instead of adding a second one."),
    )
}

/// Maps a unique violation on a customer address (another request took it at the same
/// moment) to the conflict on `email`.
fn address_race(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "customer_emails_key")
        || is_unique_violation(&e, "customers_email_key")
    {
        AppError::conflict("email", "This address was just given to another customer.")
    } else {
        e.into()
    }
}

/// Inside transaction `$tx`: the name of owner `$owner` (an `Option<i64>`) when it is
/// an active agent, lead or admin; a field error on `owner` otherwise.
#[macro_export]
macro_rules! owner_name_in_tx {
    ($tx:expr, $owner:expr) => {
        async {
            match $owner {
                None => Ok::<Option<String>, AppError>(None),
                Some(owner) => {
                    let name: Option<String> = sqlx::query_scalar(
                        "SELECT name FROM users WHERE id = $1 AND role <> 'customer' AND active = TRUE",
                    )
                    .bind(owner)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    name.map(Some).ok_or_else(|| {
                        AppError::validation("owner", "Choose an owner from the list.")
                    })
                }
            }
        }
    };
}

/// Inside transaction `$tx`: a conflict when one of `$emails` (the primary first)
/// belongs to a customer other than `$id` (0 for a new customer).
macro_rules! refuse_taken_in_tx {
    ($tx:expr, $emails:expr, $id:expr) => {
        async {
            for (i, email) in $emails.iter().enumerate() {
                let other: Option<String> = sqlx::query_scalar(
                    "SELECT c.name FROM customer_emails e JOIN customers c ON c.id = e.customer_id
                      WHERE e.email = $1 AND e.customer_id <> $2",
                )
                .bind(email)
                .bind($id)
                .fetch_optional(&mut *$tx)
                .await?;
                if let Some(other) = other {
                    let field = if i == 0 { "email" } else { "aliases" };
                    return Err(email_taken(field, email, &other));
                }
            }
            Ok::<(), AppError>(())
        }
    };
}

/// The company's name as typed, checked (None when blank), and the time zone checked
/// against the tz database: what the shared rules cannot check in the browser.
fn check_on_server<'a>(
    fields: &CustomerFields,
    place: Placement<'a>,
) -> Result<Option<&'a str>, AppError> {
    if !fields.time_zone.is_empty() && !crate::ui::time::known_zone(&fields.time_zone) {
        return Err(super::model::unknown_zone());
    }
    if place.company.trim().is_empty() {
        Ok(None)
    } else {
        company_name(place.company).map(Some)
    }
}

/// Adds a customer record with its addresses and tags, audited; a conflict on
/// `email` or `aliases` when an address belongs to another customer.
pub async fn create_customer_record(
    db: &Db,
    actor: i64,
    fields: &CustomerFields,
    place: Placement<'_>,
) -> Result<i64, AppError> {
    let company = check_on_server(fields, place)?;
    let now = now_ms();
    let mut emails = vec![fields.email.clone()];
    emails.extend(fields.aliases.iter().cloned());
    crate::write_tx!(db, tx => async {
        owner_name_in_tx!(tx, place.owner_id).await?;
        refuse_taken_in_tx!(tx, emails, 0_i64).await?;
        let company_id = match company {
            Some(c) => Some(crate::company_in_tx!(tx, c, now).await?),
            None => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customers (name, email, company_id, phone, time_zone, language, notes, owner_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(&fields.name).bind(&fields.email).bind(company_id).bind(&fields.phone)
        .bind(&fields.time_zone).bind(&fields.language).bind(&fields.notes).bind(place.owner_id).bind(now)
        .fetch_one(&mut *tx).await.map_err(address_race)?;
        for email in &emails {
            crate::add_customer_email!(tx, email, id, now).await.map_err(address_race)?;
        }
        for tag in &fields.tags {
            sqlx::query("INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2)")
                .bind(id).bind(tag).execute(&mut *tx).await?;
        }
        crate::insert_audit!(&mut *tx, actor, "customer", id, "created", None::<&str>, None::<&str>, Some(fields.name.as_str()), now).await?;
        Ok::<_, AppError>(id)
    }.await)
}

#[derive(sqlx::FromRow)]
struct Before {
    name: String,
    email: String,
    phone: String,
    time_zone: String,
    language: String,
    notes: String,
    owner: Option<String>,
    company: Option<String>,
    updated_at: i64,
}

/// Saves an edit of customer `id` made on the version saved at `version` (its
/// `updated_at`): a conflict when someone saved it since. One audit row per field
/// that changed. An address a portal account signs in with cannot be removed (the
/// account would lose its tickets).
pub async fn update_customer_record(
    db: &Db,
    actor: i64,
    id: i64,
    version: i64,
    fields: &CustomerFields,
    place: Placement<'_>,
) -> Result<(), AppError> {
    let company = check_on_server(fields, place)?;
    let now = now_ms();
    let mut emails = vec![fields.email.clone()];
    emails.extend(fields.aliases.iter().cloned());
    crate::write_tx!(db, tx => async {
        let before: Option<Before> = sqlx::query_as(
            "SELECT c.name, c.email, c.phone, c.time_zone, c.language, c.notes, u.name AS owner,
                    co.name AS company, c.updated_at
               FROM customers c LEFT JOIN users u ON u.id = c.owner_id
               LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = $1 AND c.deleted_at IS NULL",
        ).bind(id).fetch_optional(&mut *tx).await?;
        let before = before.ok_or(AppError::NotFound)?;
        if before.updated_at != version {
            return Err(AppError::conflict(
                "form",
                "Someone else saved this customer since you opened it. What you typed is still here: reload the page in another tab to see their change, then save again.",
            ));
        }
        let owner = owner_name_in_tx!(tx, place.owner_id).await?;
        refuse_taken_in_tx!(tx, emails, id).await?;
        let old_emails: Vec<String> = sqlx::query_scalar("SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY email")
            .bind(id).fetch_all(&mut *tx).await?;
        for gone in old_emails.iter().filter(|e| !emails.contains(e)) {
            let signs_in: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND role = 'customer'")
                .bind(gone).fetch_optional(&mut *tx).await?;
            if signs_in.is_some() {
                return Err(AppError::validation(
                    "aliases",
                    format!("{gone} signs in to the portal with this record: keep it as the primary address or an alias."),
                ));
            }
            sqlx::query("DELETE FROM customer_emails WHERE email = $1").bind(gone).execute(&mut *tx).await?;
        }
        for added in emails.iter().filter(|e| !old_emails.contains(e)) {
            crate::add_customer_email!(tx, added, id, now).await.map_err(address_race)?;
        }
        let old_tags = crate::set_tags_in_tx!(tx, "customer_tags", "customer_id", id, fields.tags).await?;
        let company_id = match company {
            Some(c) => Some(crate::company_in_tx!(tx, c, now).await?),
            None => None,
        };
        // Later than the version edited even when clocks disagree, so a stale form
        // never matches again.
        let saved_at = now.max(version + 1);
        sqlx::query(
            "UPDATE customers SET name = $1, email = $2, phone = $3, time_zone = $4, language = $5,
                    notes = $6, owner_id = $7, company_id = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(&fields.name).bind(&fields.email).bind(&fields.phone).bind(&fields.time_zone)
        .bind(&fields.language).bind(&fields.notes).bind(place.owner_id).bind(company_id)
        .bind(saved_at).bind(id)
        .execute(&mut *tx).await.map_err(address_race)?;
        let mut old_aliases: Vec<String> = old_emails.into_iter().filter(|e| *e != before.email).collect();
        old_aliases.sort();
        let mut new_aliases = fields.aliases.clone();
        new_aliases.sort();
        let mut new_tags = fields.tags.clone();
        new_tags.sort();
        let changes: [(&str, Option<String>, Option<String>); 10] = [
            ("name", Some(before.name), Some(fields.name.clone())),
            ("email", Some(before.email), Some(fields.email.clone())),
            ("aliases", Some(old_aliases.join(", ")), Some(new_aliases.join(", "))),
            ("phone", Some(before.phone), Some(fields.phone.clone())),
            ("time_zone", Some(before.time_zone), Some(fields.time_zone.clone())),
            ("language", Some(before.language), Some(fields.language.clone())),
            ("notes", Some(before.notes), Some(fields.notes.clone())),
            ("tags", Some(old_tags.join(", ")), Some(new_tags.join(", "))),
            ("owner", before.owner, owner),
            ("company", before.company, company.map(str::to_string)),
        ];
        for (field, old, new) in changes {
            let blank = |v: Option<String>| v.filter(|s| !s.is_empty());
            let (old, new) = (blank(old), blank(new));
            // A company typed in another case is the same company.
            let same = match (&old, &new) {
                (Some(o), Some(n)) if field == "company" => o.to_lowercase() == n.to_lowercase(),
                _ => old == new,
            };
            if !same {
                crate::insert_audit!(&mut *tx, actor, "customer", id, "updated", Some(field), old.as_deref(), new.as_deref(), now).await?;
            }
        }
        Ok::<_, AppError>(())
    }.await)
}

/// Deletes a customer record that has no tickets and no portal account (an admin's
/// clean-up of a mistake; one with history is merged instead), audited. What stays is
/// a tombstone without personal data (see the migration), its addresses free again.
pub async fn delete_customer_record(db: &Db, actor: i64, id: i64) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1 AND deleted_at IS NULL")
            .bind(id).fetch_optional(&mut *tx).await?;
        let name = name.ok_or(AppError::NotFound)?;
        let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE customer_id = $1")
            .bind(id).fetch_one(&mut *tx).await?;
        if tickets > 0 {
            return Err(AppError::conflict(
                "form",
                format!("{name} has {tickets} ticket(s), so the record stays: their history would be lost."),
            ));
        }
        let account: Option<i64> = sqlx::query_scalar(
            "SELECT u.id FROM users u JOIN customer_emails e ON e.email = u.email
              WHERE e.customer_id = $1 AND u.role = 'customer'",
        ).bind(id).fetch_optional(&mut *tx).await?;
        if account.is_some() {
            return Err(AppError::conflict(
                "form",
                format!("{name} signs in to the portal, so the record stays while the account exists."),
            ));
        }
        for table in ["customer_tags", "customer_emails", "company_members"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1"))
                .bind(id).execute(&mut *tx).await?;
        }
        // The primary address column is unique and required: the tombstone gets one
        // that is no address (".invalid" is reserved, RFC 2606).
        sqlx::query(
            "UPDATE customers SET name = '', email = $1, phone = '', time_zone = '', language = '',
                    notes = '', owner_id = NULL, company_id = NULL,
                    deleted_at = $2, updated_at = $2
              WHERE id = $3",
        )
        .bind(format!("deleted-{id}@customer.invalid")).bind(now).bind(id)
        .execute(&mut *tx).await?;
        crate::insert_audit!(&mut *tx, actor, "customer", id, "deleted", None::<&str>, Some(name.as_str()), None::<&str>, now).await?;
        Ok::<_, AppError>(())
    }.await)
}
