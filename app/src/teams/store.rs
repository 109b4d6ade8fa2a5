//! SQL for Admin → Teams and Team settings: teams, their members and their stages.
//! Each change writes an audit row in the same transaction.

use super::model::{Stage, StageKind};
use crate::error::AppError;
use crate::rank;
use crate::store::{is_unique_violation, now_ms, Db};
use crate::{db, insert_audit};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StageRow {
    pub id: i64,
    pub team_id: i64,
    pub name: String,
    pub kind: String,
    pub position: i64,
    pub wip_limit: Option<i64>,
}

impl From<StageRow> for Stage {
    fn from(r: StageRow) -> Stage {
        Stage {
            id: r.id,
            team_id: r.team_id,
            // The column is CHECK-constrained to the three kinds.
            kind: StageKind::parse(&r.kind).unwrap_or(StageKind::Open),
            name: r.name,
            position: r.position,
            wip_limit: r.wip_limit,
        }
    }
}

pub const STAGE_COLUMNS: &str = "id, team_id, name, kind, position, wip_limit";

// ---- teams, members and stages (used by tickets too) --------------------------------

/// The team every installation starts with ("Support"), or the oldest active one.
pub async fn default_team_id(db: &Db) -> Result<i64, AppError> {
    let id: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM teams WHERE archived = FALSE ORDER BY id LIMIT 1"
    ).fetch_optional(pool).await)?;
    id.ok_or_else(|| AppError::internal("no active team"))
}

/// The pipeline a new team starts with.
pub const DEFAULT_STAGES: [(&str, StageKind); 4] = [
    ("New", StageKind::Open),
    ("In Progress", StageKind::Open),
    ("Waiting", StageKind::Waiting),
    ("Completed", StageKind::Done),
];

/// Creates a team with the default pipeline, in one transaction.
pub async fn create_team(db: &Db, name: &str) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::validation(
            "name",
            "A team name has 1 to 60 characters.",
        ));
    }
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let id: i64 = sqlx::query_scalar("INSERT INTO teams (name, archived, created_at) VALUES ($1, FALSE, $2) RETURNING id")
            .bind(name).bind(now).fetch_one(&mut *tx).await
            .map_err(|e| {
                if is_unique_violation(&e, "teams_name_key") {
                    AppError::conflict("name", "A team with this name already exists.")
                } else {
                    e.into()
                }
            })?;
        for (position, (stage, kind)) in DEFAULT_STAGES.iter().enumerate() {
            sqlx::query("INSERT INTO stages (team_id, name, kind, position, wip_limit) VALUES ($1, $2, $3, $4, NULL)")
                .bind(id).bind(*stage).bind(kind.as_str()).bind(position as i64).execute(&mut *tx).await?;
        }
        Ok(id)
    }.await)
}

pub async fn add_member(db: &Db, team_id: i64, user_id: i64) -> Result<(), AppError> {
    crate::write_tx!(db, single conn => sqlx::query(
        "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    ).bind(team_id).bind(user_id).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
    Ok(())
}

pub async fn team_stages(db: &Db, team_id: i64) -> Result<Vec<Stage>, AppError> {
    let sql =
        format!("SELECT {STAGE_COLUMNS} FROM stages WHERE team_id = $1 ORDER BY position, id");
    let rows =
        db!(db, pool => sqlx::query_as::<_, StageRow>(&sql).bind(team_id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(Stage::from).collect())
}

/// Adds a stage at the end of a team's pipeline.
pub async fn add_stage(
    db: &Db,
    team_id: i64,
    name: &str,
    kind: StageKind,
    wip_limit: Option<i64>,
) -> Result<Stage, AppError> {
    let name = super::model::parse_stage_name(name)?;
    if wip_limit.is_some_and(|w| w < 1) {
        return Err(AppError::validation(
            "wip_limit",
            "A WIP limit is at least 1, or empty for none.",
        ));
    }
    let sql = format!(
        "INSERT INTO stages (team_id, name, kind, position, wip_limit)
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM stages WHERE team_id = $1), $4)
         RETURNING {STAGE_COLUMNS}"
    );
    let row = db!(db, pool => sqlx::query_as::<_, StageRow>(&sql)
        .bind(team_id).bind(&name).bind(kind.as_str()).bind(wip_limit).fetch_one(pool).await)?;
    Ok(row.into())
}

/// Removes a stage. A stage that holds tickets can only be removed by naming another
/// stage of the same team to take them; each moved ticket's audit says so.
pub async fn remove_stage(
    db: &Db,
    actor: i64,
    stage_id: i64,
    move_to: Option<i64>,
) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let sql = format!("SELECT {STAGE_COLUMNS} FROM stages WHERE id = $1");
        let stage = sqlx::query_as::<_, StageRow>(&sql).bind(stage_id).fetch_optional(&mut *tx).await?
            .ok_or(AppError::NotFound)?;
        let held: Vec<(i64, Option<i64>)> = sqlx::query_as("SELECT id, completed_at FROM tickets WHERE stage_id = $1 ORDER BY rank, id")
            .bind(stage_id).fetch_all(&mut *tx).await?;
        if !held.is_empty() {
            let target_id = move_to.ok_or_else(|| AppError::validation(
                "move_to",
                format!("{} tickets are in {}: choose the stage they move to.", held.len(), stage.name),
            ))?;
            let target = sqlx::query_as::<_, StageRow>(&sql).bind(target_id).fetch_optional(&mut *tx).await?
                .filter(|t| t.team_id == stage.team_id && t.id != stage.id)
                .ok_or_else(|| AppError::validation("move_to", "Choose another stage of the same team."))?;
            let mut last: Option<String> = sqlx::query_scalar("SELECT rank FROM tickets WHERE stage_id = $1 ORDER BY rank DESC, id DESC LIMIT 1")
                .bind(target.id).fetch_optional(&mut *tx).await?;
            for (ticket_id, completed_at) in held {
                let r = rank::between(last.as_deref(), None).unwrap_or_else(rank::first);
                let completed = completed_at_in(&target.kind, completed_at, now);
                sqlx::query("UPDATE tickets SET stage_id = $1, rank = $2, completed_at = $3, updated_at = $4, activity_at = $4 WHERE id = $5")
                    .bind(target.id).bind(&r).bind(completed).bind(now).bind(ticket_id).execute(&mut *tx).await?;
                insert_audit!(&mut *tx, actor, "ticket", ticket_id, "moved", Some("stage"), Some(stage.name.as_str()), Some(target.name.as_str()), now).await?;
                last = Some(r);
            }
        }
        sqlx::query("DELETE FROM stages WHERE id = $1").bind(stage_id).execute(&mut *tx).await?;
        Ok::<(), AppError>(())
    }.await)
}

/// A ticket's `completed_at` once it is in a stage of kind `stage_kind`: entering a
/// `done` stage completes it now (moving between done stages keeps the first time);
/// any other stage clears it. (Only tickets in done stages have a completion time.)
pub fn completed_at_in(stage_kind: &str, current: Option<i64>, now: i64) -> Option<i64> {
    if stage_kind == StageKind::Done.as_str() {
        current.or(Some(now))
    } else {
        None
    }
}

/// Active staff of a team, by name.
pub async fn team_members(db: &Db, team_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT u.id, u.name FROM users u JOIN team_members m ON m.user_id = u.id
         WHERE m.team_id = $1 AND u.active = TRUE AND u.role IN ('agent', 'lead', 'admin') ORDER BY lower(u.name), u.id"
    ).bind(team_id).fetch_all(pool).await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub archived: bool,
}

pub async fn all_teams(db: &Db) -> Result<Vec<TeamRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, TeamRow>(
        "SELECT id, name, archived FROM teams ORDER BY archived, lower(name), id"
    ).fetch_all(pool).await)?)
}

pub async fn find_team(db: &Db, id: i64) -> Result<Option<TeamRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, TeamRow>(
        "SELECT id, name, archived FROM teams WHERE id = $1"
    ).bind(id).fetch_optional(pool).await)?)
}

/// (team id, user id, name, role) for every membership of a staff account.
pub async fn memberships(db: &Db) -> Result<Vec<(i64, i64, String, String)>, AppError> {
    Ok(
        db!(db, pool => sqlx::query_as::<_, (i64, i64, String, String)>(
        "SELECT m.team_id, u.id, u.name, u.role FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE u.role IN ('agent', 'lead', 'admin') ORDER BY lower(u.name), u.id"
    ).fetch_all(pool).await)?,
    )
}

/// Active teams a lead is a member of.
pub async fn teams_of(db: &Db, user_id: i64) -> Result<Vec<TeamRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, TeamRow>(
        "SELECT t.id, t.name, t.archived FROM teams t JOIN team_members m ON m.team_id = t.id
         WHERE m.user_id = $1 AND t.archived = FALSE ORDER BY t.id"
    ).bind(user_id).fetch_all(pool).await)?)
}

/// Which teams take portal requests.
pub async fn portal_flags(db: &Db) -> Result<Vec<(i64, bool)>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, (i64, bool)>(
        "SELECT id, accepts_portal FROM teams"
    ).fetch_all(pool).await)?)
}

/// Lets customers choose a team in the portal, or not; audited.
pub async fn set_team_portal(db: &Db, actor: i64, id: i64, accepts: bool) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let was: Option<bool> = sqlx::query_scalar("SELECT accepts_portal FROM teams WHERE id = $1")
            .bind(id).fetch_optional(&mut *tx).await?;
        let was = was.ok_or(AppError::NotFound)?;
        if was != accepts {
            sqlx::query("UPDATE teams SET accepts_portal = $1 WHERE id = $2").bind(accepts).bind(id).execute(&mut *tx).await?;
            let (o, n) = (was.to_string(), accepts.to_string());
            insert_audit!(&mut *tx, actor, "team", id, "changed", Some("accepts_portal"), Some(o.as_str()), Some(n.as_str()), now).await?;
        }
        Ok::<_, AppError>(())
    }.await)
}

pub async fn rename_team(db: &Db, actor: i64, id: i64, name: &str) -> Result<(), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::validation(
            "name",
            "A team name has 1 to 60 characters.",
        ));
    }
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let old: Option<String> = sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
            .bind(id).fetch_optional(&mut *tx).await?;
        let old = old.ok_or(AppError::NotFound)?;
        if old != name {
            let r = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2").bind(name).bind(id).execute(&mut *tx).await;
            if let Err(e) = &r {
                if is_unique_violation(e, "teams_name_key") {
                    return Err(AppError::conflict("name", "A team with this name already exists."));
                }
            }
            r?;
            insert_audit!(&mut *tx, actor, "team", id, "changed", Some("name"), Some(old.as_str()), Some(name), now).await?;
        }
        Ok::<(), AppError>(())
    }.await)
}

/// Archives a team (its board closes; its tickets stay) or brings it back. The last
/// active team cannot be archived: new tickets and new staff need one.
pub async fn set_team_archived(
    db: &Db,
    actor: i64,
    id: i64,
    archived: bool,
) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let was: Option<bool> = sqlx::query_scalar("SELECT archived FROM teams WHERE id = $1")
            .bind(id).fetch_optional(&mut *tx).await?;
        let was = was.ok_or(AppError::NotFound)?;
        if was == archived {
            return Ok(());
        }
        if archived {
            let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM teams WHERE archived = FALSE AND id <> $1")
                .bind(id).fetch_one(&mut *tx).await?;
            if others == 0 {
                return Err(AppError::conflict("form", "This is the only active team: create another one before archiving it."));
            }
        }
        sqlx::query("UPDATE teams SET archived = $1 WHERE id = $2").bind(archived).bind(id).execute(&mut *tx).await?;
        let (old, new) = if archived { ("active", "archived") } else { ("archived", "active") };
        insert_audit!(&mut *tx, actor, "team", id, "changed", Some("status"), Some(old), Some(new), now).await?;
        Ok::<(), AppError>(())
    }.await)
}

/// Puts a staff member in a team (agents, leads and admins only).
pub async fn add_team_member(
    db: &Db,
    actor: i64,
    team_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM users WHERE id = $1 AND role IN ('agent', 'lead', 'admin')"
        ).bind(user_id).fetch_optional(&mut *tx).await?;
        let name = name.ok_or_else(|| AppError::validation("user_id", "Choose a staff member."))?;
        let team: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1").bind(team_id).fetch_optional(&mut *tx).await?;
        team.ok_or(AppError::NotFound)?;
        let added = sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(team_id).bind(user_id).execute(&mut *tx).await?.rows_affected();
        if added > 0 {
            insert_audit!(&mut *tx, actor, "team", team_id, "added", Some("member"), None::<&str>, Some(name.as_str()), now).await?;
        }
        Ok::<(), AppError>(())
    }.await)
}

pub async fn remove_team_member(
    db: &Db,
    actor: i64,
    team_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let removed = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id).bind(user_id).execute(&mut *tx).await?.rows_affected();
        if removed > 0 {
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
            insert_audit!(&mut *tx, actor, "team", team_id, "removed", Some("member"), name.as_deref(), None::<&str>, now).await?;
        }
        Ok::<(), AppError>(())
    }.await)
}

/// Tickets per stage of a team.
pub async fn stage_counts(db: &Db, team_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT s.id, (SELECT COUNT(*) FROM tickets t WHERE t.stage_id = s.id) FROM stages s WHERE s.team_id = $1"
    ).bind(team_id).fetch_all(pool).await)?)
}

/// What customers see each stage of a team called, where a lead set it.
pub async fn customer_labels(
    db: &Db,
    team_id: i64,
) -> Result<Vec<(i64, Option<String>)>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, (i64, Option<String>)>(
        "SELECT id, customer_label FROM stages WHERE team_id = $1"
    ).bind(team_id).fetch_all(pool).await)?)
}

/// Renames a stage, changes its kind, its WIP limit or what customers see it called. A stage that becomes `done`
/// completes the tickets in it; one that stops being `done` reopens them.
pub async fn update_stage(
    db: &Db,
    actor: i64,
    stage_id: i64,
    name: &str,
    kind: StageKind,
    wip_limit: Option<i64>,
    customer_label: &str,
) -> Result<(), AppError> {
    let name = super::model::parse_stage_name(name)?;
    let label = customer_label.trim();
    if label.chars().count() > 60 {
        return Err(AppError::validation(
            "customer_label",
            "What customers see is at most 60 characters.",
        ));
    }
    let label = (!label.is_empty()).then_some(label);
    if wip_limit.is_some_and(|w| w < 1) {
        return Err(AppError::validation(
            "wip_limit",
            "A WIP limit is at least 1, or empty for none.",
        ));
    }
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let old: Option<(String, String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT name, kind, wip_limit, customer_label FROM stages WHERE id = $1")
            .bind(stage_id).fetch_optional(&mut *tx).await?;
        let (old_name, old_kind, old_wip, old_label) = old.ok_or(AppError::NotFound)?;
        sqlx::query("UPDATE stages SET name = $1, kind = $2, wip_limit = $3, customer_label = $4 WHERE id = $5")
            .bind(&name).bind(kind.as_str()).bind(wip_limit).bind(label).bind(stage_id).execute(&mut *tx).await?;
        if old_label.as_deref() != label {
            insert_audit!(&mut *tx, actor, "stage", stage_id, "changed", Some("customer_label"), old_label.as_deref(), label, now).await?;
        }
        if old_name != name {
            insert_audit!(&mut *tx, actor, "stage", stage_id, "changed", Some("name"), Some(old_name.as_str()), Some(name.as_str()), now).await?;
        }
        if old_kind != kind.as_str() {
            insert_audit!(&mut *tx, actor, "stage", stage_id, "changed", Some("kind"), Some(old_kind.as_str()), Some(kind.as_str()), now).await?;
            if kind == StageKind::Done {
                sqlx::query("UPDATE tickets SET completed_at = $1 WHERE stage_id = $2 AND completed_at IS NULL")
                    .bind(now).bind(stage_id).execute(&mut *tx).await?;
            } else if old_kind == "done" {
                sqlx::query("UPDATE tickets SET completed_at = NULL WHERE stage_id = $1")
                    .bind(stage_id).execute(&mut *tx).await?;
            }
        }
        if old_wip != wip_limit {
            let (a, b) = (old_wip.map(|w| w.to_string()), wip_limit.map(|w| w.to_string()));
            insert_audit!(&mut *tx, actor, "stage", stage_id, "changed", Some("wip_limit"), a.as_deref(), b.as_deref(), now).await?;
        }
        Ok::<(), AppError>(())
    }.await)
}

/// Moves a stage one place earlier (`up`) or later in its team's pipeline.
pub async fn move_stage(db: &Db, actor: i64, stage_id: i64, up: bool) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let me: Option<(i64, i64)> = sqlx::query_as("SELECT team_id, position FROM stages WHERE id = $1")
            .bind(stage_id).fetch_optional(&mut *tx).await?;
        let (team_id, position) = me.ok_or(AppError::NotFound)?;
        let sql = if up {
            "SELECT id, position FROM stages WHERE team_id = $1 AND (position < $2 OR (position = $2 AND id < $3)) ORDER BY position DESC, id DESC LIMIT 1"
        } else {
            "SELECT id, position FROM stages WHERE team_id = $1 AND (position > $2 OR (position = $2 AND id > $3)) ORDER BY position, id LIMIT 1"
        };
        let other: Option<(i64, i64)> = sqlx::query_as(sql).bind(team_id).bind(position).bind(stage_id).fetch_optional(&mut *tx).await?;
        if let Some((other_id, other_position)) = other {
            let (mine, theirs) = if other_position == position {
                if up { (position - 1, position) } else { (position + 1, position) }
            } else {
                (other_position, position)
            };
            sqlx::query("UPDATE stages SET position = $1 WHERE id = $2").bind(mine).bind(stage_id).execute(&mut *tx).await?;
            sqlx::query("UPDATE stages SET position = $1 WHERE id = $2").bind(theirs).bind(other_id).execute(&mut *tx).await?;
            let (a, b) = (position.to_string(), mine.to_string());
            insert_audit!(&mut *tx, actor, "stage", stage_id, "changed", Some("position"), Some(a.as_str()), Some(b.as_str()), now).await?;
        }
        Ok::<(), AppError>(())
    }.await)
}
