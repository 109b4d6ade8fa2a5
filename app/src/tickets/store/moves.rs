//! Moving a ticket to a stage and a place in it: the board's drag and drop, its
//! keyboard moves and the Move form.

use super::*;

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
    write_tx!(db, folded tx => async {
        // Write first: this takes the Postgres row lock (SQLite's write lock is taken
        // by BEGIN IMMEDIATE), so the reads below see the state this move applies to.
        let sql = format!(
            "UPDATE tickets SET updated_at = updated_at WHERE id = $1 AND ($2 OR EXISTS (
                SELECT 1 FROM teams tm WHERE tm.id = tickets.team_id AND {}))
             RETURNING {TICKET_COLUMNS}",
            crate::auth::policy::staff_team("$3", "$4")
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

/// A move's write and its audit row as one round trip (see `create::create_write_sql` for
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
