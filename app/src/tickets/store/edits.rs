//! Editing a ticket's fields on its page, each change audited.

use super::*;

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
    crate::write_tx!(db, tx => async {
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
        Ok(saved)
    }.await)
}
