//! Merging a duplicate into another ticket, and links between tickets ("related", or
//! parent and child). A parent cannot be completed while a child is still open.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How a linked ticket stands to the one being looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    Related,
    /// The linked ticket is this one's parent.
    Parent,
    /// The linked ticket is this one's child.
    Child,
}

impl Relation {
    pub fn parse(raw: &str) -> Result<Relation, AppError> {
        match raw {
            "related" => Ok(Relation::Related),
            "parent" => Ok(Relation::Parent),
            "child" => Ok(Relation::Child),
            _ => Err(AppError::validation(
                "relation",
                "Choose how the tickets are linked.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Related => "related",
            Relation::Parent => "parent",
            Relation::Child => "child",
        }
    }

    /// "Related to", "Child of", "Parent of": how the list on the ticket page reads.
    pub fn label(self) -> &'static str {
        match self {
            Relation::Related => "Related",
            Relation::Parent => "Parent",
            Relation::Child => "Child",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedTicket {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub relation: Relation,
    pub done: bool,
}

/// "#1042" or "1042" → 1042.
pub fn parse_number(raw: &str, field: &str) -> Result<i64, AppError> {
    raw.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::validation(field, "Enter a ticket number, such as 1042."))
}

/// Merges the ticket `ticket_id` (the duplicate) into the ticket numbered `into`. When
/// the two belong to different customers, nothing happens until `confirm` is set:
/// the answer says what would happen. Returns where to go: the target's page.
#[server(prefix = "/api", endpoint = "tickets/merge")]
pub async fn merge_ticket(
    ticket_id: i64,
    into: String,
    confirm: Option<String>,
) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    let result = async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let number = parse_number(&into, "into")?;
            let target = crate::tickets::store::find_ticket_by_number(db, number)
                .await?
                .ok_or_else(|| AppError::validation("into", format!("There is no ticket #{number}.")))?;
            let source = crate::tickets::store::find_ticket(db, ticket_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let visible = |id| crate::auth::policy::ticket_visible(db, &user, id);
            if !visible(source.id).await? {
                return Err(AppError::NotFound);
            }
            if !visible(target.id).await? {
                return Err(AppError::validation("into", format!("There is no ticket #{number}.")));
            }
            if source.customer_id != target.customer_id && confirm.as_deref() != Some("yes") {
                let (from, from_email, _) = crate::tickets::store::customer_of(db, source.customer_id).await?;
                let (to, to_email, _) = crate::tickets::store::customer_of(db, target.customer_id).await?;
                return Err(AppError::conflict(
                    "confirm",
                    format!(
                        "#{} is {from}'s ({from_email}) and #{} is {to}'s ({to_email}). Merging moves the whole \
                         conversation into #{}, where {to} will see its public replies. Tick “Merge anyway” to go ahead.",
                        source.number, target.number, target.number
                    ),
                ));
            }
            store::merge(db, user.id, source.id, target.id).await?;
            Ok(crate::api::finish_form(&format!("/tickets/{}", target.number)))
        }
        .await;
    #[cfg(feature = "ssr")]
    if let Err(e) = &result {
        if crate::api::is_plain_form_post() {
            // Without JavaScript: back to the page with the message and what was typed.
            crate::api::refuse_form(
                <MergeTicket as leptos::server_fn::ServerFn>::PATH,
                e.clone(),
                &[("into", into.as_str())],
            )
            .await?;
            return Ok(String::new());
        }
    }
    crate::api::respond(result)
}

/// Links this ticket to the ticket numbered `other`: `related`, or this ticket's
/// `parent` or `child`.
#[server(prefix = "/api", endpoint = "tickets/link")]
pub async fn link_ticket(
    ticket_id: i64,
    other: String,
    relation: String,
) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    let result = async {
        let (user, state) = crate::api::start(Access::Staff).await?;
        let db = &state.db;
        let relation = Relation::parse(&relation)?;
        let number = parse_number(&other, "other")?;
        let this = crate::tickets::store::find_ticket(db, ticket_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !crate::auth::policy::ticket_visible(db, &user, this.id).await? {
            return Err(AppError::NotFound);
        }
        let missing = || AppError::validation("other", format!("There is no ticket #{number}."));
        let other = crate::tickets::store::find_ticket_by_number(db, number)
            .await?
            .ok_or_else(missing)?;
        if !crate::auth::policy::ticket_visible(db, &user, other.id).await? {
            return Err(missing());
        }
        if other.id == this.id {
            return Err(AppError::validation(
                "other",
                "A ticket cannot be linked to itself.",
            ));
        }
        store::link(db, user.id, &this, &other, relation).await?;
        Ok(crate::api::finish_form(&format!(
            "/tickets/{}",
            this.number
        )))
    }
    .await;
    #[cfg(feature = "ssr")]
    if let Err(e) = &result {
        if crate::api::is_plain_form_post() {
            // Without JavaScript: back to the page with the message and what was typed.
            crate::api::refuse_form(
                <LinkTicket as leptos::server_fn::ServerFn>::PATH,
                e.clone(),
                &[("other", other.as_str()), ("relation", relation.as_str())],
            )
            .await?;
            return Ok(String::new());
        }
    }
    crate::api::respond(result)
}

/// Removes the link between this ticket and another.
#[server(prefix = "/api", endpoint = "tickets/unlink")]
pub async fn unlink_ticket(ticket_id: i64, other_id: i64) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let this = crate::tickets::store::find_ticket(db, ticket_id)
                .await?
                .ok_or(AppError::NotFound)?;
            // Both ends: a link to a ticket of a team the user does not work in is
            // not theirs to remove.
            if !crate::auth::policy::ticket_visible(db, &user, this.id).await?
                || !crate::auth::policy::ticket_visible(db, &user, other_id).await?
            {
                return Err(AppError::NotFound);
            }
            store::unlink(db, user.id, this.id, other_id).await?;
            Ok(crate::api::finish_form(&format!(
                "/tickets/{}",
                this.number
            )))
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::{LinkedTicket, Relation};
    use crate::error::AppError;
    use crate::store::{now_ms, Db};
    use crate::tickets::store::TicketRow;
    use crate::{db, insert_audit};

    /// The numbers of the open children of a ticket (read on the executor given, so
    /// a move checks them in its own transaction).
    #[macro_export]
    macro_rules! open_children {
        ($exec:expr, $ticket:expr) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT t.number FROM ticket_links l JOIN tickets t ON t.id = l.to_ticket
                 WHERE l.from_ticket = $1 AND l.kind = 'parent' AND t.completed_at IS NULL
                 ORDER BY t.number",
            )
            .bind($ticket)
            .fetch_all($exec)
        };
    }

    /// The refusal for completing a parent with open children.
    pub fn children_open(number: i64, children: &[i64]) -> AppError {
        let list: Vec<String> = children.iter().map(|n| format!("#{n}")).collect();
        AppError::conflict(
            "stage",
            format!(
                "#{number} cannot be completed while its child ticket{} {} {} still open.",
                if children.len() == 1 { "" } else { "s" },
                list.join(", "),
                if children.len() == 1 { "is" } else { "are" }
            ),
        )
    }

    #[derive(sqlx::FromRow)]
    struct LinkRow {
        id: i64,
        number: i64,
        title: String,
        relation: String,
        done: bool,
    }

    /// The tickets linked to `ticket_id`, as seen from it.
    pub async fn links_of(db: &Db, ticket_id: i64) -> Result<Vec<LinkedTicket>, AppError> {
        let rows = db!(db, pool => sqlx::query_as::<_, LinkRow>(
            "SELECT t.id, t.number, t.title,
                    CASE WHEN l.kind = 'related' THEN 'related' ELSE 'child' END AS relation,
                    t.completed_at IS NOT NULL AS done
             FROM ticket_links l JOIN tickets t ON t.id = l.to_ticket WHERE l.from_ticket = $1
             UNION ALL
             SELECT t.id, t.number, t.title,
                    CASE WHEN l.kind = 'related' THEN 'related' ELSE 'parent' END AS relation,
                    t.completed_at IS NOT NULL AS done
             FROM ticket_links l JOIN tickets t ON t.id = l.from_ticket WHERE l.to_ticket = $1
             ORDER BY number"
        ).bind(ticket_id).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| LinkedTicket {
                id: r.id,
                number: r.number,
                title: r.title,
                relation: Relation::parse(&r.relation).unwrap_or(Relation::Related),
                done: r.done,
            })
            .collect())
    }

    pub async fn link(
        db: &Db,
        actor: i64,
        this: &TicketRow,
        other: &TicketRow,
        relation: Relation,
    ) -> Result<(), AppError> {
        let now = now_ms();
        // Stored as (from, to, kind): a parent row points from the parent to the child.
        let (from, to, kind) = match relation {
            Relation::Related => (this.id, other.id, "related"),
            Relation::Parent => (other.id, this.id, "parent"),
            Relation::Child => (this.id, other.id, "parent"),
        };
        let back = match relation {
            Relation::Related => "related",
            Relation::Parent => "child",
            Relation::Child => "parent",
        };
        crate::write_tx!(db, tx => async {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT from_ticket FROM ticket_links WHERE (from_ticket = $1 AND to_ticket = $2) OR (from_ticket = $2 AND to_ticket = $1)",
            ).bind(this.id).bind(other.id).fetch_optional(&mut *tx).await?;
            if exists.is_some() {
                return Err(AppError::conflict("other", format!("#{} is already linked to this ticket.", other.number)));
            }
            sqlx::query("INSERT INTO ticket_links (from_ticket, to_ticket, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(from).bind(to).bind(kind).bind(actor).bind(now).execute(&mut *tx).await?;
            let other_no = format!("#{}", other.number);
            let this_no = format!("#{}", this.number);
            insert_audit!(&mut *tx, actor, "ticket", this.id, "linked", Some(relation.as_str()), None::<&str>, Some(other_no.as_str()), now).await?;
            insert_audit!(&mut *tx, actor, "ticket", other.id, "linked", Some(back), None::<&str>, Some(this_no.as_str()), now).await?;
            Ok(())
        }.await)
    }

    pub async fn unlink(db: &Db, actor: i64, this: i64, other: i64) -> Result<(), AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            let gone = sqlx::query(
                "DELETE FROM ticket_links WHERE (from_ticket = $1 AND to_ticket = $2) OR (from_ticket = $2 AND to_ticket = $1)",
            ).bind(this).bind(other).execute(&mut *tx).await?.rows_affected();
            if gone == 0 {
                return Err(AppError::NotFound);
            }
            let numbers: Vec<(i64, i64)> = sqlx::query_as("SELECT id, number FROM tickets WHERE id = $1 OR id = $2")
                .bind(this).bind(other).fetch_all(&mut *tx).await?;
            let no = |id: i64| numbers.iter().find(|n| n.0 == id).map(|n| format!("#{}", n.1)).unwrap_or_default();
            insert_audit!(&mut *tx, actor, "ticket", this, "unlinked", Some("link"), Some(no(other).as_str()), None::<&str>, now).await?;
            insert_audit!(&mut *tx, actor, "ticket", other, "unlinked", Some("link"), Some(no(this).as_str()), None::<&str>, now).await?;
            Ok(())
        }.await)
    }

    #[derive(sqlx::FromRow)]
    struct MergeRow {
        id: i64,
        number: i64,
        title: String,
        description: String,
        team_id: i64,
        stage_id: i64,
        created_at: i64,
        completed_at: Option<i64>,
        merged_into: Option<i64>,
    }

    /// Moves every message and attachment of `source` into `target` (the thread
    /// stays in time order: it is ordered by when each message was written), adds
    /// the source's description to the target as an internal note dated when the
    /// source was opened, closes the source in its team's first done stage with a
    /// note pointing to the target, and records the merge in both histories.
    pub async fn merge(db: &Db, actor: i64, source: i64, target: i64) -> Result<(), AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            let rows: Vec<MergeRow> = sqlx::query_as(
                "UPDATE tickets SET updated_at = updated_at WHERE id = $1 OR id = $2
                 RETURNING id, number, title, description, team_id, stage_id, created_at, completed_at, merged_into",
            ).bind(source).bind(target).fetch_all(&mut *tx).await?;
            let s = rows.iter().find(|r| r.id == source).ok_or(AppError::NotFound)?;
            let t = rows.iter().find(|r| r.id == target).ok_or(AppError::NotFound)?;
            if s.id == t.id {
                return Err(AppError::validation("into", "A ticket cannot be merged into itself."));
            }
            if s.merged_into.is_some() {
                return Err(AppError::conflict("into", format!("#{} was already merged into another ticket.", s.number)));
            }
            if t.merged_into.is_some() {
                return Err(AppError::validation("into", format!("#{} was itself merged into another ticket: merge into that one.", t.number)));
            }
            sqlx::query("UPDATE messages SET ticket_id = $1 WHERE ticket_id = $2").bind(t.id).bind(s.id).execute(&mut *tx).await?;
            sqlx::query("UPDATE attachments SET ticket_id = $1 WHERE ticket_id = $2").bind(t.id).bind(s.id).execute(&mut *tx).await?;
            let carried = if s.description.trim().is_empty() {
                format!("Merged from #{} “{}”.", s.number, s.title)
            } else {
                format!("Merged from #{} “{}”:\n\n{}", s.number, s.title, s.description)
            };
            sqlx::query("INSERT INTO messages (ticket_id, author_id, internal, body, created_at) VALUES ($1, $2, TRUE, $3, $4)")
                .bind(t.id).bind(actor).bind(&carried).bind(s.created_at).execute(&mut *tx).await?;
            let pointer = format!("Merged into #{} “{}”. Its conversation continues there.", t.number, t.title);
            sqlx::query("INSERT INTO messages (ticket_id, author_id, internal, body, created_at) VALUES ($1, $2, TRUE, $3, $4)")
                .bind(s.id).bind(actor).bind(&pointer).bind(now).execute(&mut *tx).await?;
            #[derive(sqlx::FromRow)]
            struct DoneStage { id: i64, name: String }
            let done: Option<DoneStage> = sqlx::query_as(
                "SELECT id, name FROM stages WHERE team_id = $1 AND kind = 'done' ORDER BY position, id LIMIT 1",
            ).bind(s.team_id).fetch_optional(&mut *tx).await?;
            let old_stage: Option<String> = sqlx::query_scalar("SELECT name FROM stages WHERE id = $1")
                .bind(s.stage_id).fetch_optional(&mut *tx).await?;
            let (stage_id, completed_at) = match &done {
                Some(d) => (d.id, Some(s.completed_at.unwrap_or(now))),
                None => (s.stage_id, s.completed_at),
            };
            sqlx::query("UPDATE tickets SET merged_into = $1, stage_id = $2, completed_at = $3, updated_at = $4 WHERE id = $5")
                .bind(t.id).bind(stage_id).bind(completed_at).bind(now).bind(s.id).execute(&mut *tx).await?;
            sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2").bind(now).bind(t.id).execute(&mut *tx).await?;
            let t_no = format!("#{}", t.number);
            let s_no = format!("#{}", s.number);
            insert_audit!(&mut *tx, actor, "ticket", s.id, "merged", Some("merged_into"), None::<&str>, Some(t_no.as_str()), now).await?;
            insert_audit!(&mut *tx, actor, "ticket", t.id, "merged", Some("merged_from"), None::<&str>, Some(s_no.as_str()), now).await?;
            if let Some(d) = &done {
                if d.id != s.stage_id {
                    insert_audit!(&mut *tx, actor, "ticket", s.id, "moved", Some("stage"), old_stage.as_deref(), Some(d.name.as_str()), now).await?;
                }
            }
            Ok(())
        }.await)
    }

    /// The number of the ticket `ticket_id` was merged into, if it was.
    pub async fn merged_into(db: &Db, ticket_id: i64) -> Result<Option<i64>, AppError> {
        let n: Option<Option<i64>> = db!(db, pool => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT t.number FROM tickets s LEFT JOIN tickets t ON t.id = s.merged_into WHERE s.id = $1"
        ).bind(ticket_id).fetch_optional(pool).await)?;
        Ok(n.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_read_with_or_without_the_hash() {
        assert_eq!(parse_number("#1042", "into").unwrap(), 1042);
        assert_eq!(parse_number(" 7 ", "into").unwrap(), 7);
        assert!(parse_number("abc", "into").is_err());
        assert!(parse_number("-3", "into").is_err());
    }

    #[test]
    fn open_children_are_named_in_the_refusal() {
        #[cfg(feature = "ssr")]
        {
            let e = store::children_open(1001, &[1002, 1003]);
            assert_eq!(
                e.to_string(),
                "#1001 cannot be completed while its child tickets #1002, #1003 are still open."
            );
        }
        assert_eq!(Relation::parse("child").unwrap(), Relation::Child);
    }
}
