//! Bulk changes from the list: move, assign or re-prioritise many tickets in one
//! transaction.

use super::*;

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
    crate::write_tx!(db, tx => async {
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
        Ok::<usize, AppError>(changed)
    }.await)
}
