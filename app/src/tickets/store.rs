//! SQL for tickets: creation, moves, edits, the list and bulk changes. Every write
//! that changes a ticket writes its audit rows in the same transaction. (Teams and
//! stages are `teams::store`'s, customers and companies `customers::store`'s.)

use super::filter::{AssigneeFilter, TicketFilter};
use super::model::{Priority, TicketTitle};
use crate::auth::model::{Email, PersonName};
use crate::error::AppError;
use crate::rank;
pub use crate::store::like_pattern;
use crate::store::{is_unique_violation, now_ms, BeginWrite, Db};
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

// ---- filters ----------------------------------------------------------------------

/// A value for one placeholder of a built query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// Binds `binds` in order to a query built with [`filter_conditions`].
#[macro_export]
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b {
                $crate::tickets::store::Bind::Int(i) => q.bind(*i),
                $crate::tickets::store::Bind::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}

/// The SQL conditions of `filter`, each as ` AND …`, for a query over `tickets t`
/// joined to `customers c` and `companies co`; placeholders are numbered on from
/// `binds.len() + 1`. `me` is the signed-in user, `now` the clock for "overdue".
pub fn filter_conditions(
    filter: &TicketFilter,
    me: i64,
    now: i64,
    binds: &mut Vec<Bind>,
) -> String {
    let mut sql = String::new();
    let push = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    match filter.assignee {
        Some(AssigneeFilter::Me) => {
            let p = push(binds, Bind::Int(me));
            sql.push_str(&format!(" AND t.assignee_id = {p}"));
        }
        Some(AssigneeFilter::Person(id)) => {
            let p = push(binds, Bind::Int(id));
            sql.push_str(&format!(" AND t.assignee_id = {p}"));
        }
        Some(AssigneeFilter::Unassigned) => sql.push_str(" AND t.assignee_id IS NULL"),
        None => {}
    }
    if let Some(priority) = filter.priority {
        let p = push(binds, Bind::Text(priority.as_str().into()));
        sql.push_str(&format!(" AND t.priority = {p}"));
    }
    if !filter.customer.is_empty() {
        let p = push(binds, Bind::Text(like_pattern(&filter.customer)));
        sql.push_str(&format!(
            " AND (lower(c.name) LIKE {p} ESCAPE '\\' OR c.email LIKE {p} ESCAPE '\\' \
             OR c.company_id IN (SELECT id FROM companies WHERE lower(name) LIKE {p} ESCAPE '\\'))"
        ));
    }
    if !filter.tag.is_empty() {
        let p = push(binds, Bind::Text(filter.tag.clone()));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = {p})"
        ));
    }
    if filter.overdue {
        let p = push(binds, Bind::Int(now));
        sql.push_str(&format!(
            " AND t.completed_at IS NULL AND t.due_at IS NOT NULL AND t.due_at < {p}"
        ));
    }
    if !filter.text.is_empty() {
        let p = push(binds, Bind::Text(like_pattern(&filter.text)));
        match filter.number() {
            Some(n) => {
                let q = push(binds, Bind::Int(n));
                sql.push_str(&format!(
                    " AND (t.number = {q} OR lower(t.title) LIKE {p} ESCAPE '\\')"
                ));
            }
            None => sql.push_str(&format!(" AND lower(t.title) LIKE {p} ESCAPE '\\'")),
        }
    }
    sql
}

/// [`team_members`] as the assignee choices pages offer.
pub async fn members_of(db: &Db, team_id: i64) -> Result<Vec<super::api::Member>, AppError> {
    Ok(crate::teams::store::team_members(db, team_id)
        .await?
        .into_iter()
        .map(|(id, name)| super::api::Member { id, name, team_id })
        .collect())
}

// ---- tickets ----------------------------------------------------------------------

#[derive(Clone, Copy)]
pub struct NewTicket<'a> {
    pub title: &'a TicketTitle,
    pub description: &'a str,
    /// Required: a ticket without a customer is refused next to the customer field.
    pub customer_id: Option<i64>,
    pub team_id: i64,
    pub priority: Priority,
    pub assignee_id: Option<i64>,
    pub tags: &'a [String],
    pub due_at: Option<i64>,
    /// Submitted by the customer in the portal (shown as the ticket's source).
    pub from_portal: bool,
}

/// Creates a ticket at the top of its team's first stage, with its number, tags and
/// the "created" audit row, in one transaction.
pub async fn create_ticket(db: &Db, actor: i64, new: NewTicket<'_>) -> Result<TicketRow, AppError> {
    create_ticket_checked(db, actor, None, None, new, None).await
}

/// What a customer's portal request writes with its ticket, in the same transaction,
/// so a request is all there or not at all: the message carrying the files uploaded
/// for it (pending uploads of the customer with no ticket yet, tied to the new
/// ticket; one that is no longer waiting refuses the whole request), and the
/// confirmation email.
pub struct RequestExtras<'a> {
    /// Ids of the customer's pending uploads; none: no message.
    pub files: &'a [i64],
    /// The text of the message that carries them.
    pub files_body: &'a str,
    /// Where the confirmation goes, and its subject and body for the new number.
    pub mail_to: &'a str,
    pub mail: &'a (dyn Fn(i64) -> (String, String) + Sync),
}

/// A ticket from a customer's portal request, with its [`RequestExtras`], as one
/// transaction (`actor` is the customer's account).
pub async fn create_portal_request(
    db: &Db,
    actor: i64,
    new: NewTicket<'_>,
    extras: RequestExtras<'_>,
) -> Result<TicketRow, AppError> {
    let created = create_ticket_checked(db, actor, None, None, new, Some(&extras)).await?;
    crate::mail::wake();
    Ok(created)
}

/// [`create_ticket`] by a person, for one of the teams whose board they may open
/// (else a field error on the team). The check is part of the first read of the
/// transaction, so it costs no round trip of its own. The person's "New ticket" draft
/// goes in the same transaction: what was created is no longer a draft (and on SQLite
/// a second write transaction would queue behind every other writer).
pub async fn create_ticket_for(
    db: &Db,
    viewer: &crate::auth::model::CurrentUser,
    new: NewTicket<'_>,
) -> Result<TicketRow, AppError> {
    let admin = viewer.role == crate::auth::model::Role::Admin;
    create_ticket_checked(db, viewer.id, Some((admin, viewer.id)), None, new, None).await
}

/// The customer a "New ticket" form adds when its email is not known yet.
#[derive(Clone, Copy)]
pub struct NewCustomer<'a> {
    /// As typed; required (and checked) only when the email is new.
    pub name: &'a str,
    /// A company name as typed (found by name, or created); empty for none.
    pub company: &'a str,
}

/// The refusal when another request added the same new customer at the same moment
/// (Postgres; SQLite's writers take turns): the creation is tried once more.
const CUSTOMER_RACE: &str = "customer_email_race";

/// [`create_ticket_for`] the customer whose email is `email` (`new.customer_id` is not
/// used), found in the transaction's first read rather than a round trip before it.
/// An email no customer has yet adds the customer (and company) of `customer` in the
/// same transaction, so a refused ticket leaves no customer behind, and two tickets
/// for one new email at once make one customer; without a name, a field error on
/// `customer_name`.
pub async fn create_ticket_for_email(
    db: &Db,
    viewer: &crate::auth::model::CurrentUser,
    email: &Email,
    customer: NewCustomer<'_>,
    new: NewTicket<'_>,
) -> Result<TicketRow, AppError> {
    let admin = viewer.role == crate::auth::model::Role::Admin;
    let new = NewTicket {
        customer_id: None,
        ..new
    };
    let (actor, check) = (viewer.id, Some((admin, viewer.id)));
    let by_email = Some((email, customer));
    match create_ticket_checked(db, actor, check, by_email, new, None).await {
        // The other request's customer is there now: the first read finds it.
        Err(e) if e.field() == Some(CUSTOMER_RACE) => {
            create_ticket_checked(db, actor, check, by_email, new, None).await
        }
        r => r,
    }
}

/// Adds the customer named in a "New ticket" form inside the creating transaction:
/// the company first (found by name, case-insensitively, or added), then the customer.
macro_rules! insert_new_customer {
    ($tx:expr, $customer:expr, $email:expr, $now:expr) => {
        async {
            let customer: NewCustomer<'_> = $customer;
            if customer.name.trim().is_empty() {
                return Err(AppError::validation(
                    "customer_name",
                    "No customer has this email yet: give their name to add them.",
                ));
            }
            let name = PersonName::parse(customer.name)
                .map_err(|e| AppError::validation("customer_name", e.to_string()))?;
            let company_id = if customer.company.trim().is_empty() {
                None
            } else {
                let company = crate::customers::store::company_name(customer.company)?;
                Some(crate::company_in_tx!($tx, company, $now).await
                    .map_err(|e| if is_unique_violation(&e, "companies_name_key") {
                        AppError::validation(CUSTOMER_RACE, "")
                    } else {
                        e.into()
                    })?)
            };
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO customers (name, email, company_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name.as_str()).bind($email).bind(company_id).bind($now)
            .fetch_one(&mut *$tx).await
            .map_err(|e| if is_unique_violation(&e, "customers_email_key") {
                AppError::validation(CUSTOMER_RACE, "")
            } else {
                e.into()
            })
        }
    };
}

async fn create_ticket_checked(
    db: &Db,
    actor: i64,
    // (is admin, user id) of the person whose teams the ticket must be in.
    viewer: Option<(bool, i64)>,
    // The customer's email, when the customer is named by it instead of by id, and
    // who to add when no customer has it.
    by_email: Option<(&Email, NewCustomer<'_>)>,
    new: NewTicket<'_>,
    // A portal request's message with its files, and its confirmation email.
    extras: Option<&RequestExtras<'_>>,
) -> Result<TicketRow, AppError> {
    let (unchecked, admin, viewer_id) = match viewer {
        None => (true, false, 0),
        Some((admin, id)) => (false, admin, id),
    };
    let source = if viewer.is_none() && new.from_portal {
        "portal"
    } else {
        "staff"
    };
    if new.customer_id.is_none() && by_email.is_none() {
        return Err(AppError::validation(
            "customer",
            "Choose the customer this ticket is for.",
        ));
    }
    let email = by_email.map(|(e, _)| e.as_str());
    let now = now_ms();
    let tags_json = serde_json::to_string(new.tags).map_err(AppError::internal)?;
    let write_sql = create_write_sql(db);
    write_tx!(db, tx => async {
        // The customer, whether the team is one of the viewer's, its first stage, the
        // top rank there, whether the assignee is a member of the team and whether the
        // viewer has a "New ticket" draft, in one round trip.
        let (customer, team_ok, first_stage, top, assignee_ok, draft): (Option<i64>, bool, Option<i64>, Option<String>, bool, bool) = sqlx::query_as(&tx.opening(
            "SELECT COALESCE((SELECT id FROM customers WHERE id = $1), (SELECT id FROM customers WHERE email = $8)),
                    ($3 OR EXISTS (SELECT 1 FROM teams t WHERE t.id = $2 AND t.archived = FALSE
                        AND ($4 OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $5)))),
                    f.id,
                    (SELECT rank FROM tickets WHERE stage_id = f.id ORDER BY rank, id LIMIT 1),
                    (CAST($7 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM users u JOIN team_members m ON m.user_id = u.id
                        WHERE u.id = $7 AND m.team_id = $2 AND u.active = TRUE AND u.role IN ('agent', 'lead', 'admin'))),
                    EXISTS (SELECT 1 FROM drafts WHERE user_id = $5 AND scope = $6)
             FROM (SELECT (SELECT s.id FROM stages s JOIN teams t ON t.id = s.team_id
                     WHERE s.team_id = $2 AND t.archived = FALSE ORDER BY s.position, s.id LIMIT 1) AS id) f",
        ))
        .bind(new.customer_id).bind(new.team_id).bind(unchecked).bind(admin).bind(viewer_id)
        .bind(super::drafts::NEW_TICKET_KEY).bind(new.assignee_id).bind(email)
        .fetch_one(&mut *tx).await?;
        if !team_ok {
            return Err(AppError::validation("team", "Choose one of your teams."));
        }
        if customer.is_none() && by_email.is_none() {
            return Err(AppError::validation("customer", "That customer does not exist."));
        }
        let stage_id = first_stage.ok_or_else(|| AppError::validation("team", "Choose a team with at least one stage."))?;
        if !assignee_ok {
            return Err(AppError::validation("assignee", "Assign the ticket to a member of its team."));
        }
        let customer_id = match (customer, by_email) {
            (Some(id), _) => id,
            (None, Some((email, who))) => insert_new_customer!(tx, who, email.as_str(), now).await?,
            (None, None) => return Err(AppError::internal("a ticket without a customer got past its check")),
        };
        let r = rank::between(None, top.as_deref()).unwrap_or_else(rank::first);
        // Without extras the last statement, so the one that commits: `fetch_all`
        // runs every part.
        let sql = match extras {
            None => tx.closing(write_sql),
            Some(_) => write_sql.to_string(),
        };
        let mut rows = sqlx::query_as::<_, TicketRow>(&sql)
            .bind(new.title.as_str()).bind(new.description.trim()).bind(customer_id)
            .bind(new.team_id).bind(stage_id).bind(&r).bind(new.priority.as_str())
            .bind(new.assignee_id).bind(new.due_at).bind(actor).bind(now).bind(source)
            .bind(&tags_json).bind(draft).bind(super::drafts::NEW_TICKET_KEY)
            .fetch_all(&mut *tx).await?;
        let ticket = rows.pop().ok_or_else(|| AppError::internal("a ticket just created is missing"))?;
        if let Some(extras) = extras {
            if !extras.files.is_empty() {
                let message: i64 = sqlx::query_scalar(
                    "INSERT INTO messages (ticket_id, author_id, customer_id, internal, body, created_at)
                     VALUES ($1, $2, $3, FALSE, $4, $5) RETURNING id",
                )
                .bind(ticket.id).bind(actor).bind(customer_id).bind(extras.files_body).bind(now)
                .fetch_one(&mut *tx).await?;
                for file in extras.files {
                    let tied = sqlx::query(
                        "UPDATE attachments SET message_id = $1, ticket_id = $2
                         WHERE id = $3 AND ticket_id IS NULL AND uploader_id = $4 AND message_id IS NULL",
                    )
                    .bind(message).bind(ticket.id).bind(file).bind(actor)
                    .execute(&mut *tx).await?.rows_affected();
                    if tied != 1 {
                        return Err(AppError::conflict(
                            "attachments",
                            "One of the attached files is no longer available: remove it and attach it again.",
                        ));
                    }
                }
                insert_audit!(&mut *tx, actor, "ticket", ticket.id, "customer_replied", Some("message"), None::<&str>, Some(extras.files_body), now).await?;
            }
            let (subject, body) = (extras.mail)(ticket.number);
            crate::enqueue_mail!(&mut *tx, extras.mail_to, &subject, &body, now).await?;
        }
        Ok(ticket)
    }.await)
}

/// Everything a creation writes once it is validated, as one round trip: the next
/// number, the ticket (returned), its tags (`$13`, a JSON array), its `created` audit
/// row and, when `$14`, the creator's "New ticket" draft. SQLite runs the statements
/// one after another in one call (they share the numbered parameters) and numbers
/// from the counters row; Postgres chains them as data-modifying `WITH` parts and
/// numbers from a sequence (no row every creation would queue on).
fn create_write_sql(db: &Db) -> &'static str {
    static SQL: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let (sqlite, postgres) = SQL.get_or_init(|| {
        let columns = "number, title, description, customer_id, team_id, stage_id, rank, priority,
                       assignee_id, due_at, created_by, created_at, updated_at, activity_at, completed_at, source";
        let values = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, NULL, $12";
        let sqlite = format!(
            "UPDATE counters SET value = value + 1 WHERE name = 'ticket_number';
             INSERT INTO tickets ({columns})
             VALUES ((SELECT value FROM counters WHERE name = 'ticket_number'), {values})
             RETURNING {TICKET_COLUMNS};
             INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at)
             SELECT $10, 'ticket', t.id, 'created', NULL, NULL, '#' || t.number, $11
               FROM tickets t WHERE t.number = (SELECT value FROM counters WHERE name = 'ticket_number');
             INSERT INTO ticket_tags (ticket_id, tag)
             SELECT t.id, j.value FROM tickets t, json_each($13) j
              WHERE t.number = (SELECT value FROM counters WHERE name = 'ticket_number');
             DELETE FROM drafts WHERE $14 AND user_id = $10 AND scope = $15;"
        );
        let postgres = format!(
            "WITH t AS (
                 INSERT INTO tickets ({columns})
                 VALUES (nextval('ticket_number_seq'), {values})
                 RETURNING {TICKET_COLUMNS}
             ), audit AS (
                 INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at)
                 SELECT $10, 'ticket', t.id, 'created', NULL, NULL, '#' || t.number, $11 FROM t
             ), tags AS (
                 INSERT INTO ticket_tags (ticket_id, tag)
                 SELECT t.id, j.tag FROM t, json_array_elements_text(CAST($13 AS JSON)) AS j(tag)
             ), draft AS (
                 DELETE FROM drafts WHERE $14 AND user_id = $10 AND scope = $15
             )
             SELECT {TICKET_COLUMNS} FROM t"
        );
        (sqlite, postgres)
    });
    match db {
        Db::Sqlite(..) => sqlite,
        Db::Postgres(_) => postgres,
    }
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

/// Where a moved card goes inside its new stage: below the card `after` and above
/// the card `before` (ids as the mover saw them). Neither: the bottom of the stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Placement {
    pub after: Option<i64>,
    pub before: Option<i64>,
}

/// Moves a ticket to `to_stage` at `place`, writing only that ticket (a rank between
/// its new neighbours), its completion time, and its audit row, in one transaction.
/// Concurrent moves of one ticket are applied one after the other; each is audited.
pub async fn move_ticket(
    db: &Db,
    actor: i64,
    ticket_id: i64,
    to_stage: i64,
    place: Placement,
) -> Result<TicketRow, AppError> {
    move_ticket_checked(db, actor, None, ticket_id, to_stage, place).await
}

/// [`move_ticket`] for a person at the board: a ticket on a board `viewer` may not
/// open is not found. The check rides on the statement that locks the ticket, so a
/// move costs no extra round trip for it.
pub async fn move_ticket_for(
    db: &Db,
    viewer: &crate::auth::model::CurrentUser,
    ticket_id: i64,
    to_stage: i64,
    place: Placement,
) -> Result<TicketRow, AppError> {
    let admin = viewer.role == crate::auth::model::Role::Admin;
    move_ticket_checked(
        db,
        viewer.id,
        Some((admin, viewer.id)),
        ticket_id,
        to_stage,
        place,
    )
    .await
}

/// The stages a move is between, with the ranks it needs from the target stage, read
/// in one statement.
#[derive(sqlx::FromRow)]
struct MoveContext {
    id: i64,
    team_id: i64,
    name: String,
    kind: String,
    /// The rank of the card to go below, if it is still in the target stage.
    lo: Option<String>,
    /// The rank of the card to go above, if it is still in the target stage.
    hi: Option<String>,
    /// The last rank in the target stage (asked for only without a card to go above).
    last: Option<String>,
}

async fn move_ticket_checked(
    db: &Db,
    actor: i64,
    // (is admin, user id) of the person whose boards the ticket must be on.
    viewer: Option<(bool, i64)>,
    ticket_id: i64,
    to_stage: i64,
    place: Placement,
) -> Result<TicketRow, AppError> {
    let now = now_ms();
    let (unchecked, admin, viewer_id) = match viewer {
        None => (true, false, 0),
        Some((admin, id)) => (false, admin, id),
    };
    write_tx!(db, tx => async {
        // Write first: this takes the Postgres row lock (SQLite's write lock is taken
        // by BEGIN IMMEDIATE), so the reads below see the state this move applies to.
        let sql = format!(
            "UPDATE tickets SET updated_at = updated_at WHERE id = $1 AND ($2 OR EXISTS (
                SELECT 1 FROM teams tm WHERE tm.id = tickets.team_id AND tm.archived = FALSE
                   AND ($3 OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = tm.id AND m.user_id = $4))))
             RETURNING {TICKET_COLUMNS}"
        );
        let ticket = sqlx::query_as::<_, TicketRow>(&tx.opening(&sql))
            .bind(ticket_id).bind(unchecked).bind(admin).bind(viewer_id)
            .fetch_optional(&mut *tx).await?
            .ok_or(AppError::NotFound)?;
        let context = sqlx::query_as::<_, MoveContext>(
            "SELECT s.id, s.team_id, s.name, s.kind,
                (SELECT rank FROM tickets WHERE id = $3 AND stage_id = $2 AND id <> $5) AS lo,
                (SELECT rank FROM tickets WHERE id = $4 AND stage_id = $2 AND id <> $5) AS hi,
                CASE WHEN $4 IS NULL THEN
                    (SELECT rank FROM tickets WHERE stage_id = $2 AND id <> $5 ORDER BY rank DESC, id DESC LIMIT 1)
                END AS last
             FROM stages s WHERE s.id = $1 OR s.id = $2",
        )
        .bind(ticket.stage_id).bind(to_stage).bind(place.after).bind(place.before).bind(ticket_id)
        .fetch_all(&mut *tx).await?;
        let from = context.iter().find(|s| s.id == ticket.stage_id)
            .ok_or_else(|| AppError::internal("a ticket's stage is missing"))?;
        let from_name = from.name.clone();
        let to = context.into_iter().find(|s| s.id == to_stage)
            .filter(|s| s.team_id == ticket.team_id)
            .ok_or_else(|| AppError::conflict("stage", "That stage no longer exists on this team's board."))?;
        let (mut lo, hi) = (to.lo.clone(), to.hi.clone());
        if lo.is_none() && hi.is_none() && place.before.is_none() {
            lo = to.last.clone();
        }
        let new_rank = match rank::between(lo.as_deref(), hi.as_deref()) {
            Some(r) => r,
            // Equal (or, after concurrent moves, crossed) neighbours: go just after
            // `lo`, below the next distinct rank.
            None => {
                let next: Option<String> = sqlx::query_scalar(
                    "SELECT rank FROM tickets WHERE stage_id = $1 AND rank > $2 AND id <> $3 ORDER BY rank, id LIMIT 1",
                )
                .bind(to.id).bind(lo.as_deref().unwrap_or("")).bind(ticket_id).fetch_optional(&mut *tx).await?;
                rank::between(lo.as_deref(), next.as_deref())
                    .ok_or_else(|| AppError::internal(format!("no rank between {lo:?} and {next:?}")))?
            }
        };
        if to.kind == "done" && ticket.completed_at.is_none() {
            let children = open_children!(&mut *tx, ticket_id).await?;
            if !children.is_empty() {
                return Err(children_open(ticket.number, &children));
            }
        }
        let completed_at = completed_at_in(&to.kind, ticket.completed_at, now);
        let (action, field, old_value, new_value) = if ticket.stage_id != to.id {
            ("moved", "stage", from_name.as_str(), to.name.as_str())
        } else {
            ("reordered", "position", ticket.rank.as_str(), new_rank.as_str())
        };
        // The last statement, so the one that commits: `fetch_all` runs every part.
        sqlx::query_as::<_, TicketRow>(&tx.closing(move_write_sql(db)))
            .bind(to.id).bind(&new_rank).bind(completed_at).bind(now).bind(ticket_id)
            .bind(actor).bind(action).bind(field).bind(old_value).bind(new_value)
            .fetch_all(&mut *tx).await?
            .pop().ok_or(AppError::NotFound)
    }.await)
}

/// A move's write and its audit row as one round trip (see [`create_write_sql`] for
/// how each backend chains them).
fn move_write_sql(db: &Db) -> &'static str {
    static SQL: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let (sqlite, postgres) = SQL.get_or_init(|| {
        let update = "UPDATE tickets SET stage_id = $1, rank = $2, completed_at = $3, updated_at = $4, activity_at = $4
                      WHERE id = $5";
        let audit = "INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at)";
        (
            format!("{update} RETURNING {TICKET_COLUMNS}; {audit} VALUES ($6, 'ticket', $5, $7, $8, $9, $10, $4);"),
            format!(
                "WITH m AS ({update} RETURNING {TICKET_COLUMNS}),
                      a AS ({audit} SELECT $6, 'ticket', m.id, $7, $8, $9, $10, $4 FROM m)
                 SELECT {TICKET_COLUMNS} FROM m"
            ),
        )
    });
    match db {
        Db::Sqlite(..) => sqlite,
        Db::Postgres(_) => postgres,
    }
}

/// A ticket's editable fields as a staff member saved them (already validated).
pub struct TicketChanges {
    pub title: TicketTitle,
    pub description: String,
    pub stage_id: i64,
    pub priority: Priority,
    pub assignee_id: Option<i64>,
    pub tags: Vec<String>,
    pub due_at: Option<i64>,
}

pub async fn find_ticket_by_number(db: &Db, number: i64) -> Result<Option<TicketRow>, AppError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE number = $1");
    Ok(
        db!(db, pool => sqlx::query_as::<_, TicketRow>(&sql).bind(number).fetch_optional(pool).await)?,
    )
}

fn due_text(due: Option<i64>) -> Option<String> {
    due.map(crate::ui::time::day)
}

fn tags_text(tags: &[String]) -> Option<String> {
    (!tags.is_empty()).then(|| tags.join(", "))
}

/// Saves a staff member's edit of a ticket: every field that changed is written, with
/// one audit row each (old and new value), in one transaction. `seen` is the
/// `updated_at` the editor loaded: if the ticket changed since, nothing is saved and
/// the answer says so (the editor keeps what was typed). A stage change puts the
/// ticket at the bottom of its new column and sets or clears `completed_at`.
pub async fn update_ticket(
    db: &Db,
    actor: i64,
    ticket_id: i64,
    seen: i64,
    changes: TicketChanges,
) -> Result<TicketRow, AppError> {
    let now = now_ms();
    let _writing = db.write_lock().await;
    db!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let touched = sqlx::query("UPDATE tickets SET updated_at = updated_at WHERE id = $1")
            .bind(ticket_id).execute(&mut *tx).await?.rows_affected();
        if touched == 0 {
            return Err(AppError::NotFound);
        }
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1");
        let old = sqlx::query_as::<_, TicketRow>(&sql).bind(ticket_id).fetch_one(&mut *tx).await?;
        if old.updated_at != seen {
            return Err(AppError::conflict(
                "form",
                "Someone changed this ticket while you were editing it. What you typed is still here: reload the page in another tab to see their change, then save again.",
            ));
        }
        let old_tags: Vec<String> = sqlx::query_scalar("SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag")
            .bind(ticket_id).fetch_all(&mut *tx).await?;
        let mut new_tags = changes.tags.clone();
        new_tags.sort();
        let mut changed: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
        if old.title != changes.title.as_str() {
            changed.push(("title", Some(old.title.clone()), Some(changes.title.as_str().to_string())));
        }
        let description = changes.description.trim().to_string();
        if old.description != description {
            changed.push(("description", Some(old.description.clone()), Some(description.clone())));
        }
        if old.priority != changes.priority.as_str() {
            let was = Priority::parse(&old.priority).map(|p| p.label().to_string()).ok();
            changed.push(("priority", was, Some(changes.priority.label().to_string())));
        }
        if old.assignee_id != changes.assignee_id {
            if let Some(a) = changes.assignee_id {
                let member: Option<i64> = sqlx::query_scalar(
                    "SELECT u.id FROM users u JOIN team_members m ON m.user_id = u.id
                     WHERE u.id = $1 AND m.team_id = $2 AND u.active = TRUE AND u.role IN ('agent', 'lead', 'admin')",
                )
                .bind(a).bind(old.team_id).fetch_optional(&mut *tx).await?;
                if member.is_none() {
                    return Err(AppError::validation("assignee", "Assign the ticket to a member of its team."));
                }
            }
            let mut names: Vec<Option<String>> = Vec::with_capacity(2);
            for id in [old.assignee_id, changes.assignee_id] {
                names.push(match id {
                    None => None,
                    Some(id) => sqlx::query_scalar::<_, String>("SELECT name FROM users WHERE id = $1")
                        .bind(id).fetch_optional(&mut *tx).await?,
                });
            }
            let is = names.pop().flatten();
            let was = names.pop().flatten();
            changed.push(("assignee", was, is));
        }
        if old.due_at != changes.due_at {
            changed.push(("due", due_text(old.due_at), due_text(changes.due_at)));
        }
        if old_tags != new_tags {
            changed.push(("tags", tags_text(&old_tags), tags_text(&new_tags)));
        }
        let mut stage_id = old.stage_id;
        let mut rank_now = old.rank.clone();
        let mut completed_at = old.completed_at;
        let mut moved: Option<(String, String)> = None;
        if changes.stage_id != old.stage_id {
            let stage_sql = format!("SELECT {STAGE_COLUMNS} FROM stages WHERE id = $1");
            let from = sqlx::query_as::<_, StageRow>(&stage_sql).bind(old.stage_id).fetch_one(&mut *tx).await?;
            let to = sqlx::query_as::<_, StageRow>(&stage_sql).bind(changes.stage_id).fetch_optional(&mut *tx).await?
                .filter(|s| s.team_id == old.team_id)
                .ok_or_else(|| AppError::validation("stage", "Choose a stage of this ticket's team."))?;
            let last: Option<String> = sqlx::query_scalar("SELECT rank FROM tickets WHERE stage_id = $1 ORDER BY rank DESC, id DESC LIMIT 1")
                .bind(to.id).fetch_optional(&mut *tx).await?;
            rank_now = rank::between(last.as_deref(), None).unwrap_or_else(rank::first);
            if to.kind == "done" && old.completed_at.is_none() {
                let children = open_children!(&mut *tx, old.id).await?;
                if !children.is_empty() {
                    return Err(children_open(old.number, &children));
                }
            }
            completed_at = completed_at_in(&to.kind, old.completed_at, now);
            stage_id = to.id;
            moved = Some((from.name, to.name));
        }
        if changed.is_empty() && moved.is_none() {
            tx.commit().await?;
            return Ok(old);
        }
        sqlx::query(
            "UPDATE tickets SET title = $1, description = $2, priority = $3, assignee_id = $4, due_at = $5,
                    stage_id = $6, rank = $7, completed_at = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(changes.title.as_str()).bind(&description).bind(changes.priority.as_str())
        .bind(changes.assignee_id).bind(changes.due_at).bind(stage_id).bind(&rank_now)
        .bind(completed_at).bind(now).bind(ticket_id)
        .execute(&mut *tx).await?;
        if old_tags != new_tags {
            sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1").bind(ticket_id).execute(&mut *tx).await?;
            for tag in &new_tags {
                sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
                    .bind(ticket_id).bind(tag).execute(&mut *tx).await?;
            }
        }
        if let Some((from, to)) = &moved {
            insert_audit!(&mut *tx, actor, "ticket", ticket_id, "moved", Some("stage"), Some(from.as_str()), Some(to.as_str()), now).await?;
        }
        for (field, was, is) in &changed {
            insert_audit!(&mut *tx, actor, "ticket", ticket_id, "changed", Some(*field), was.as_deref(), is.as_deref(), now).await?;
        }
        let saved = sqlx::query_as::<_, TicketRow>(&sql).bind(ticket_id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(saved)
    }.await)
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

// ---- the ticket list ----------------------------------------------------------------

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
    let conditions = filter_conditions(filter, me, now, &mut binds);
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

/// What a bulk action does to each selected ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkChange {
    Stage(i64),
    Assignee(Option<i64>),
    Priority(Priority),
}

/// Applies one change to many tickets of one team in one transaction, with an audit
/// row for each ticket that changed. Any ticket not of `team_id`, or a stage or
/// assignee not of that team, refuses the whole action (nothing is changed).
/// Returns how many tickets changed.
pub async fn bulk_update(
    db: &Db,
    actor: i64,
    team_id: i64,
    ids: &[i64],
    change: BulkChange,
) -> Result<usize, AppError> {
    let now = now_ms();
    let _writing = db.write_lock().await;
    db!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        // Take the write lock first (see move_ticket).
        sqlx::query("UPDATE teams SET created_at = created_at WHERE id = $1").bind(team_id).execute(&mut *tx).await?;
        let stage_sql = format!("SELECT {STAGE_COLUMNS} FROM stages WHERE id = $1");
        let (target_stage, assignee_name) = match change {
            BulkChange::Stage(id) => {
                let s = sqlx::query_as::<_, StageRow>(&stage_sql).bind(id).fetch_optional(&mut *tx).await?
                    .filter(|s| s.team_id == team_id)
                    .ok_or_else(|| AppError::validation("stage", "Choose a stage of this team."))?;
                (Some(s), None)
            }
            BulkChange::Assignee(Some(a)) => {
                let name: Option<String> = sqlx::query_scalar(
                    "SELECT u.name FROM users u JOIN team_members m ON m.user_id = u.id
                     WHERE u.id = $1 AND m.team_id = $2 AND u.active = TRUE AND u.role IN ('agent', 'lead', 'admin')",
                )
                .bind(a).bind(team_id).fetch_optional(&mut *tx).await?;
                (None, Some(name.ok_or_else(|| AppError::validation("assignee", "Assign to a member of this team."))?))
            }
            _ => (None, None),
        };
        let mut last_rank: Option<String> = match &target_stage {
            Some(s) => sqlx::query_scalar("SELECT rank FROM tickets WHERE stage_id = $1 ORDER BY rank DESC, id DESC LIMIT 1")
                .bind(s.id).fetch_optional(&mut *tx).await?,
            None => None,
        };
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1");
        let mut changed = 0;
        for id in ids {
            let t = sqlx::query_as::<_, TicketRow>(&sql).bind(id).fetch_optional(&mut *tx).await?
                .filter(|t| t.team_id == team_id)
                .ok_or_else(|| AppError::conflict("form", "One of the selected tickets is no longer on this team. Nothing was changed; reload the list."))?;
            match change {
                BulkChange::Stage(_) => {
                    let to = target_stage.as_ref().ok_or_else(|| AppError::internal("no stage"))?;
                    if t.stage_id == to.id {
                        continue;
                    }
                    let from = sqlx::query_as::<_, StageRow>(&stage_sql).bind(t.stage_id).fetch_one(&mut *tx).await?;
                    if to.kind == "done" && t.completed_at.is_none() {
                        let children = open_children!(&mut *tx, t.id).await?;
                        if !children.is_empty() {
                            return Err(children_open(t.number, &children));
                        }
                    }
                    let r = rank::between(last_rank.as_deref(), None).unwrap_or_else(rank::first);
                    let completed = completed_at_in(&to.kind, t.completed_at, now);
                    sqlx::query("UPDATE tickets SET stage_id = $1, rank = $2, completed_at = $3, updated_at = $4, activity_at = $4 WHERE id = $5")
                        .bind(to.id).bind(&r).bind(completed).bind(now).bind(t.id).execute(&mut *tx).await?;
                    insert_audit!(&mut *tx, actor, "ticket", t.id, "moved", Some("stage"), Some(from.name.as_str()), Some(to.name.as_str()), now).await?;
                    last_rank = Some(r);
                }
                BulkChange::Assignee(a) => {
                    if t.assignee_id == a {
                        continue;
                    }
                    let was: Option<String> = match t.assignee_id {
                        Some(old) => sqlx::query_scalar("SELECT name FROM users WHERE id = $1").bind(old).fetch_optional(&mut *tx).await?,
                        None => None,
                    };
                    sqlx::query("UPDATE tickets SET assignee_id = $1, updated_at = $2 WHERE id = $3")
                        .bind(a).bind(now).bind(t.id).execute(&mut *tx).await?;
                    insert_audit!(&mut *tx, actor, "ticket", t.id, "changed", Some("assignee"), was.as_deref(), assignee_name.as_deref(), now).await?;
                }
                BulkChange::Priority(p) => {
                    if t.priority == p.as_str() {
                        continue;
                    }
                    let was = Priority::parse(&t.priority).map(|x| x.label()).ok();
                    sqlx::query("UPDATE tickets SET priority = $1, updated_at = $2 WHERE id = $3")
                        .bind(p.as_str()).bind(now).bind(t.id).execute(&mut *tx).await?;
                    insert_audit!(&mut *tx, actor, "ticket", t.id, "changed", Some("priority"), was, Some(p.label()), now).await?;
                }
            }
            changed += 1;
        }
        tx.commit().await?;
        Ok::<usize, AppError>(changed)
    }.await)
}
