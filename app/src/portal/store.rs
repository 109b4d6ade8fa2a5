//! SQL for the customer portal. One rule decides what a customer may see, and every
//! query here applies it: a ticket is theirs when it belongs to the customer record
//! with their account's email, or, for a company manager, is for a company they
//! manage. Nothing here ever selects an internal note or an internal field.

use crate::auth::model::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::store::{now_ms, Db};
use crate::tickets::conversation::store::{thread, Audience};
use crate::tickets::store::{move_ticket, Placement};

pub use super::model::{
    PortalRow, PortalSort, PortalTeam, PortalTicket, StatusFilter, Viewer, ViewerCompany,
    REOPEN_WINDOW_MS,
};

#[derive(sqlx::FromRow)]
struct ViewerRow {
    verified_at: Option<i64>,
    customer_id: Option<i64>,
}

pub async fn viewer(db: &Db, user: &CurrentUser) -> Result<Viewer, AppError> {
    let row = db!(db, pool => sqlx::query_as::<_, ViewerRow>(
        "SELECT u.verified_at, c.id AS customer_id
           FROM users u
           LEFT JOIN customer_emails ce ON ce.email = u.email
           LEFT JOIN customers c ON c.id = ce.customer_id
          WHERE u.id = $1"
    ).bind(user.id).fetch_optional(pool).await)?
    .ok_or(AppError::Unauthorized)?;
    // Staff look at the portal as it is, never as a customer who shares their email.
    let customer_id = row.customer_id.filter(|_| !user.role.is_staff());
    let companies = match customer_id {
        None => Vec::new(),
        Some(id) => db!(db, pool => sqlx::query_as::<_, ViewerCompany>(
            "SELECT co.id, co.name, m.role = 'manager' AS manager
               FROM company_members m
               JOIN companies co ON co.id = m.company_id
               JOIN customers c ON c.id = m.customer_id
              WHERE m.customer_id = $1
              ORDER BY CASE WHEN co.id = c.company_id THEN 0 ELSE 1 END, lower(co.name), co.id"
        ).bind(id).fetch_all(pool).await)?,
    };
    Ok(Viewer {
        user_id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
        verified: row.verified_at.is_some(),
        customer_id,
        companies,
    })
}

/// Which tickets a customer sees (`auth::policy`).
const VISIBLE: &str = crate::auth::policy::CUSTOMER_TICKET;

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub sort: PortalSort,
    pub text: String,
    /// The key of the last row of the previous page: (sort value, id).
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

/// One page of the viewer's tickets (and, for a manager, their company's), paged by
/// key: newest first by the chosen order, `limit` rows.
pub async fn list(db: &Db, viewer: &Viewer, q: &ListQuery) -> Result<Vec<PortalRow>, AppError> {
    let Some(customer) = viewer.active_customer() else {
        return Ok(Vec::new());
    };
    let column = match q.sort {
        PortalSort::Updated => "t.activity_at",
        PortalSort::Created => "t.created_at",
    };
    let status = match q.status {
        StatusFilter::All => "",
        StatusFilter::Open => " AND t.completed_at IS NULL",
        StatusFilter::Closed => " AND t.completed_at IS NOT NULL",
    };
    let text = q.text.trim();
    let number: Option<i64> = text.trim_start_matches('#').parse().ok();
    // Words are searched in the ticket and its public replies only: a customer's
    // search never looks into internal notes. Their values are bound after $6.
    let query = crate::search::SearchQuery::parse(text);
    let mut words: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        words.push(v);
        format!("${}", words.len() + 6)
    };
    let condition = crate::search::store::ticket_condition(
        crate::search::store::is_postgres(db),
        &query,
        false,
        crate::search::store::Matching::Set,
        None,
        &mut bind,
    );
    let search = match (number, condition.is_empty()) {
        (Some(_), true) => " AND t.number = $4".to_string(),
        (Some(_), false) => format!(" AND (t.number = $4 OR ({condition}))"),
        (None, true) => String::new(),
        (None, false) => format!(" AND {condition}"),
    };
    let (after_value, after_id) = q.after.unwrap_or((i64::MAX, i64::MAX));
    // The page of tickets first, then the names for its rows only.
    let sql = format!(
        "SELECT t.id, t.number, t.title, c.name AS customer, s.name AS stage,
                s.customer_label AS label, s.kind, t.created_at, t.activity_at
           FROM (SELECT t.id, t.number, t.title, t.customer_id, t.stage_id, t.created_at, t.activity_at
                   FROM tickets t
                  WHERE {VISIBLE} AND t.merged_into IS NULL{status}{search}
                    AND ({column} < $3 OR ({column} = $3 AND t.id < $5))
                  ORDER BY {column} DESC, t.id DESC LIMIT $6) t
           JOIN stages s ON s.id = t.stage_id
           JOIN customers c ON c.id = t.customer_id
          ORDER BY {column} DESC, t.id DESC"
    );
    let rows = db!(db, pool => words.iter().fold(
        sqlx::query_as::<_, PortalRow>(&sql)
            .bind(customer).bind(viewer.manages_any()).bind(after_value)
            .bind(number.unwrap_or(0)).bind(after_id).bind(q.limit),
        |query, w| query.bind(w.clone()),
    ).fetch_all(pool).await)?;
    Ok(rows)
}

/// How many of the viewer's tickets are open and closed (the filter's counts).
pub async fn counts(db: &Db, viewer: &Viewer) -> Result<(i64, i64), AppError> {
    let Some(customer) = viewer.active_customer() else {
        return Ok((0, 0));
    };
    let sql = format!(
        "SELECT COUNT(CASE WHEN t.completed_at IS NULL THEN 1 END), COUNT(t.completed_at)
           FROM tickets t WHERE {VISIBLE} AND t.merged_into IS NULL"
    );
    Ok(db!(db, pool => sqlx::query_as::<_, (i64, i64)>(&sql)
        .bind(customer).bind(viewer.manages_any()).fetch_one(pool).await)?)
}

#[derive(sqlx::FromRow)]
struct TicketRowP {
    id: i64,
    number: i64,
    title: String,
    description: String,
    customer_id: i64,
    customer: String,
    stage: String,
    label: Option<String>,
    kind: String,
    team_id: i64,
    created_at: i64,
    activity_at: i64,
    completed_at: Option<i64>,
    merged_number: Option<i64>,
}

/// The ticket numbered `number` if the viewer may see it; None otherwise (the caller
/// answers 404 either way, so a customer learns nothing about other tickets).
pub async fn ticket(
    db: &Db,
    viewer: &Viewer,
    number: i64,
) -> Result<Option<PortalTicket>, AppError> {
    let Some(customer) = viewer.active_customer() else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT t.id, t.number, t.title, t.description, t.customer_id, c.name AS customer, s.name AS stage,
                s.customer_label AS label, s.kind, t.team_id, t.created_at, t.activity_at, t.completed_at,
                m.number AS merged_number
           FROM tickets t
           JOIN stages s ON s.id = t.stage_id
           JOIN customers c ON c.id = t.customer_id
           LEFT JOIN tickets m ON m.id = t.merged_into
          WHERE t.number = $3 AND {VISIBLE}"
    );
    let row = db!(db, pool => sqlx::query_as::<_, TicketRowP>(&sql)
        .bind(customer).bind(viewer.manages_any()).bind(number).fetch_optional(pool).await)?;
    let Some(r) = row else { return Ok(None) };
    let messages = thread(db, r.id, Audience::Customer, viewer.user_id).await?;
    let status = r.label.filter(|l| !l.trim().is_empty()).unwrap_or(r.stage);
    Ok(Some(PortalTicket {
        id: r.id,
        number: r.number,
        title: r.title,
        description_html: crate::ui::markdown::to_html(&r.description),
        description: r.description,
        someone_elses: r.customer_id != customer,
        customer: r.customer,
        status,
        kind: r.kind,
        team_id: r.team_id,
        created_at: r.created_at,
        activity_at: r.activity_at,
        completed_at: r.completed_at,
        merged_into: r.merged_number,
        messages,
    }))
}

/// The id of ticket `ticket_id` if the viewer may see it (for uploads and downloads).
pub async fn visible_ticket(db: &Db, viewer: &Viewer, ticket_id: i64) -> Result<bool, AppError> {
    let Some(customer) = viewer.active_customer() else {
        return Ok(false);
    };
    crate::auth::policy::customer_ticket_visible(db, customer, viewer.manages_any(), ticket_id)
        .await
}

/// True when message `id` is a public one (a customer may see it and its files).
pub async fn public_message(db: &Db, id: i64) -> Result<bool, AppError> {
    let found: Option<bool> = db!(db, pool => sqlx::query_scalar::<_, bool>(
        "SELECT internal FROM messages WHERE id = $1 AND deleted_at IS NULL"
    ).bind(id).fetch_optional(pool).await)?;
    Ok(found == Some(false))
}

/// The teams customers may ask: active, taking portal requests, with a pipeline.
pub async fn portal_teams(db: &Db) -> Result<Vec<PortalTeam>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, PortalTeam>(
        "SELECT t.id, t.name FROM teams t
          WHERE t.archived = FALSE AND t.accepts_portal = TRUE
            AND EXISTS (SELECT 1 FROM stages s WHERE s.team_id = t.id)
          ORDER BY lower(t.name), t.id"
    ).fetch_all(pool).await)?)
}

/// The first stage of `kind` in a team's pipeline.
async fn first_stage_of(db: &Db, team_id: i64, kind: &str) -> Result<Option<i64>, AppError> {
    Ok(db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM stages WHERE team_id = $1 AND kind = $2 ORDER BY position, id LIMIT 1"
    ).bind(team_id).bind(kind).fetch_optional(pool).await)?)
}

/// Records a customer's activity on a ticket (the list's "last update").
pub async fn touch(db: &Db, ticket_id: i64) -> Result<(), AppError> {
    crate::write_tx!(db, single conn => sqlx::query("UPDATE tickets SET activity_at = $1 WHERE id = $2")
        .bind(now_ms()).bind(ticket_id).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
    Ok(())
}

/// After a customer's reply: a ticket waiting for them goes back to the team's first
/// open stage, recorded as done by the customer.
pub async fn wake_if_waiting(db: &Db, viewer: &Viewer, t: &PortalTicket) -> Result<(), AppError> {
    if t.kind != "waiting" {
        return Ok(());
    }
    if let Some(open) = first_stage_of(db, t.team_id, "open").await? {
        move_ticket(db, viewer.user_id, t.id, open, Placement::default()).await?;
    }
    Ok(())
}

/// "This is solved": the ticket goes to its team's first done stage.
pub async fn close(db: &Db, viewer: &Viewer, t: &PortalTicket) -> Result<(), AppError> {
    if t.closed() {
        return Ok(());
    }
    let done = first_stage_of(db, t.team_id, "done")
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                "ticket",
                "This ticket cannot be closed here: ask us to close it.",
            )
        })?;
    move_ticket(db, viewer.user_id, t.id, done, Placement::default()).await?;
    Ok(())
}

/// Reopens a ticket closed less than 14 days ago: back to the first open stage.
pub async fn reopen(db: &Db, viewer: &Viewer, t: &PortalTicket) -> Result<(), AppError> {
    if !t.closed() {
        return Ok(());
    }
    if !t.reopenable(now_ms()) {
        return Err(AppError::conflict(
            "ticket",
            "This ticket was closed more than 14 days ago: please open a new request.",
        ));
    }
    let open = first_stage_of(db, t.team_id, "open")
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                "ticket",
                "This ticket cannot be reopened here: please open a new request.",
            )
        })?;
    move_ticket(db, viewer.user_id, t.id, open, Placement::default()).await?;
    Ok(())
}

/// The email that confirms a submitted request, its number and a link: (subject,
/// body). Queued in the request's own transaction (`create_portal_request`).
pub fn confirmation_mail(
    viewer: &Viewer,
    number: i64,
    title: &str,
    site_url: &str,
) -> (String, String) {
    let subject = format!("[#{number}] We have received your request");
    let body = format!(
        "Hello {},\n\nthank you: your request “{title}” has the number #{number}. We will answer you there and by email.\n\nFollow it here:\n{site_url}/portal/tickets/{number}\n",
        viewer.name
    );
    (subject, body)
}
