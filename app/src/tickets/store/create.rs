//! Creating tickets: by staff, by email for a new customer, and a customer's portal request.

use super::*;

#[derive(Clone, Copy)]
pub struct NewTicket<'a> {
    pub title: &'a TicketTitle,
    pub description: &'a str,
    /// Required: a ticket without a customer is refused next to the customer field.
    pub customer_id: Option<i64>,
    /// The company it is for: one the customer belongs to (the portal checks it is
    /// theirs); None: the customer's primary company.
    pub company_id: Option<i64>,
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
    outbox: &crate::mail::Outbox,
    actor: i64,
    new: NewTicket<'_>,
    extras: RequestExtras<'_>,
) -> Result<TicketRow, AppError> {
    let created = create_ticket_checked(db, actor, None, None, new, Some(&extras)).await?;
    outbox.wake();
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
            let race = |e: sqlx::Error| if is_unique_violation(&e, "customers_email_key")
                || is_unique_violation(&e, "customer_emails_key") {
                AppError::validation(CUSTOMER_RACE, "")
            } else {
                e.into()
            };
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO customers (name, email, company_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(name.as_str()).bind($email).bind(company_id).bind($now)
            .fetch_one(&mut *$tx).await
            .map_err(race)?;
            crate::add_customer_email!($tx, $email, id, $now).await.map_err(race)?;
            Ok::<i64, AppError>(id)
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
    write_tx!(db, folded tx => async {
        // The customer, whether the team is one of the viewer's, its first stage, the
        // top rank there, whether the assignee is a member of the team and whether the
        // viewer has a "New ticket" draft, in one round trip.
        let read_sql = format!(
            "SELECT COALESCE((SELECT id FROM customers WHERE id = $1 AND deleted_at IS NULL), (SELECT customer_id FROM customer_emails WHERE email = $8)),
                    ($3 OR EXISTS (SELECT 1 FROM teams tm WHERE tm.id = $2 AND {})),
                    f.id,
                    (SELECT rank FROM tickets WHERE stage_id = f.id ORDER BY rank, id LIMIT 1),
                    (CAST($7 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM users u JOIN team_members m ON m.user_id = u.id
                        WHERE u.id = $7 AND m.team_id = $2 AND u.active = TRUE AND u.role IN ('agent', 'lead', 'admin'))),
                    EXISTS (SELECT 1 FROM drafts WHERE user_id = $5 AND scope = $6)
             FROM (SELECT (SELECT s.id FROM stages s JOIN teams t ON t.id = s.team_id
                     WHERE s.team_id = $2 AND t.archived = FALSE ORDER BY s.position, s.id LIMIT 1) AS id) f",
            crate::auth::policy::staff_team("$4", "$5")
        );
        let (customer, team_ok, first_stage, top, assignee_ok, draft): (Option<i64>, bool, Option<i64>, Option<String>, bool, bool) = sqlx::query_as(&tx.opening(&read_sql))
        .bind(new.customer_id).bind(new.team_id).bind(unchecked).bind(admin).bind(viewer_id)
        .bind(crate::tickets::drafts::NEW_TICKET_KEY).bind(new.assignee_id).bind(email)
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
            .bind(&tags_json).bind(draft).bind(crate::tickets::drafts::NEW_TICKET_KEY)
            .bind(new.company_id)
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
/// number, the ticket (returned, for company `$16` or the customer's own), its tags
/// (`$13`, a JSON array), its `created` audit row and, when `$14`, the creator's
/// "New ticket" draft. SQLite runs the statements
/// one after another in one call (they share the numbered parameters) and numbers
/// from the counters row; Postgres chains them as data-modifying `WITH` parts and
/// numbers from a sequence (no row every creation would queue on).
fn create_write_sql(db: &Db) -> &'static str {
    static SQL: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let (sqlite, postgres) = SQL.get_or_init(|| {
        let columns = "number, title, description, customer_id, team_id, stage_id, rank, priority,
                       assignee_id, due_at, created_by, created_at, updated_at, activity_at, completed_at, source,
                       company_id";
        // The company: the one asked for if the customer is its member, else theirs.
        let values = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, NULL, $12,
                      COALESCE((SELECT company_id FROM company_members WHERE customer_id = $3 AND company_id = $16),
                               (SELECT company_id FROM customers WHERE id = $3))";
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
