//! Server functions behind Admin → Teams (admins) and Team settings (leads of the
//! team, and admins).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::Stage;
use crate::auth::policy::TeamSummary;
use crate::auth::Role;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamAdmin {
    pub id: i64,
    pub name: String,
    pub archived: bool,
    pub members: Vec<TeamMember>,
    /// Customers may choose this team in the portal.
    pub accepts_portal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsOverview {
    pub teams: Vec<TeamAdmin>,
    /// Every active staff account, to add to a team.
    pub staff: Vec<TeamMember>,
}

#[server(prefix = "/api", endpoint = "admin/teams")]
pub async fn list_teams() -> Result<TeamsOverview, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            require_user(Access::Admin).await?;
            let state = crate::state::app_state()?;
            let db = &state.db;
            let memberships = super::store::memberships(db).await?;
            let portal = super::store::portal_flags(db).await?;
            let teams = super::store::all_teams(db)
                .await?
                .into_iter()
                .map(|t| TeamAdmin {
                    members: memberships
                        .iter()
                        .filter(|m| m.0 == t.id)
                        .map(|m| TeamMember {
                            id: m.1,
                            name: m.2.clone(),
                            role: Role::parse(&m.3).unwrap_or(Role::Agent),
                        })
                        .collect(),
                    accepts_portal: portal.iter().any(|p| p.0 == t.id && p.1),
                    id: t.id,
                    name: t.name,
                    archived: t.archived,
                })
                .collect();
            let staff = crate::auth::store::list_users(db, &Role::STAFF)
                .await?
                .into_iter()
                .filter(|u| u.active)
                .map(|u| TeamMember {
                    role: u.role(),
                    id: u.id,
                    name: u.name,
                })
                .collect();
            Ok(TeamsOverview { teams, staff })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "admin/teams/create")]
pub async fn create_team(name: String) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            let id = crate::teams::store::create_team(&state.db, &name).await?;
            crate::audit::record(&state.db, admin.id, "team", id, "created", name.trim()).await?;
            Ok(crate::api::finish_form("/admin/teams"))
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "admin/teams/rename")]
pub async fn rename_team(team_id: i64, name: String) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            super::store::rename_team(&state.db, admin.id, team_id, &name).await?;
            Ok(crate::api::finish_form("/admin/teams"))
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "admin/teams/archive")]
pub async fn set_team_archived(team_id: i64, archived: bool) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            super::store::set_team_archived(&state.db, admin.id, team_id, archived).await?;
            Ok(crate::api::finish_form("/admin/teams"))
        }
        .await,
    )
}

/// Whether customers may choose the team in the portal ("What do you need help with?").
#[server(prefix = "/api", endpoint = "admin/teams/portal")]
pub async fn set_team_portal(team_id: i64, accepts: bool) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            super::store::set_team_portal(&state.db, admin.id, team_id, accepts).await?;
            Ok(crate::api::finish_form("/admin/teams"))
        }
        .await,
    )
}

/// Adds (`add` = true) or removes a staff member from a team.
#[server(prefix = "/api", endpoint = "admin/teams/member")]
pub async fn set_team_member(team_id: i64, user_id: i64, add: bool) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            if add {
                super::store::add_team_member(&state.db, admin.id, team_id, user_id).await?;
            } else {
                super::store::remove_team_member(&state.db, admin.id, team_id, user_id).await?;
            }
            Ok(crate::api::finish_form("/admin/teams"))
        }
        .await,
    )
}

// ---- Team settings ------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSettings {
    pub stage: Stage,
    pub tickets: i64,
    /// What customers see the stage called in the portal (its name when None).
    pub customer_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamPipeline {
    pub team: TeamSummary,
    /// The teams this person may configure.
    pub teams: Vec<TeamSummary>,
    pub stages: Vec<StageSettings>,
    pub canned: Vec<crate::teams::canned::CannedReply>,
}

/// The teams `user` may configure: every active team for admins, the teams a lead
/// belongs to.
#[cfg(feature = "ssr")]
async fn manageable(
    db: &crate::store::Db,
    user: &crate::auth::CurrentUser,
) -> Result<Vec<TeamSummary>, AppError> {
    let rows = if user.role == Role::Admin {
        super::store::all_teams(db)
            .await?
            .into_iter()
            .filter(|t| !t.archived)
            .collect()
    } else {
        super::store::teams_of(db, user.id).await?
    };
    Ok(rows
        .into_iter()
        .map(|t| TeamSummary {
            id: t.id,
            name: t.name,
        })
        .collect())
}

/// The team a stage belongs to, if `user` may configure it (anyone else: not found).
#[cfg(feature = "ssr")]
async fn stage_team(
    db: &crate::store::Db,
    user: &crate::auth::CurrentUser,
    stage_id: i64,
) -> Result<i64, AppError> {
    let team: Option<i64> = crate::db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT team_id FROM stages WHERE id = $1"
    ).bind(stage_id).fetch_optional(pool).await)?;
    let team = team.ok_or(AppError::NotFound)?;
    if manageable(db, user).await?.iter().any(|t| t.id == team) {
        Ok(team)
    } else {
        Err(AppError::NotFound)
    }
}

#[server(prefix = "/api", endpoint = "team/settings")]
pub async fn team_settings(team: Option<i64>) -> Result<TeamPipeline, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Lead).await?;
            let db = &state.db;
            let teams = manageable(db, &user).await?;
            let team = crate::auth::policy::choose_team(
                &teams,
                team,
                "You lead no team yet. Ask an admin to add you to one.",
            )?;
            let counts = super::store::stage_counts(db, team.id).await?;
            let labels = super::store::customer_labels(db, team.id).await?;
            let stages = crate::teams::store::team_stages(db, team.id)
                .await?
                .into_iter()
                .map(|s| StageSettings {
                    tickets: counts.iter().find(|c| c.0 == s.id).map_or(0, |c| c.1),
                    customer_label: labels
                        .iter()
                        .find(|l| l.0 == s.id)
                        .and_then(|l| l.1.clone()),
                    stage: s,
                })
                .collect();
            let canned = crate::teams::canned::store::for_team(db, team.id).await?;
            Ok(TeamPipeline {
                team,
                teams,
                stages,
                canned,
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn parse_wip(raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        w => w
            .parse::<i64>()
            .ok()
            .filter(|w| *w >= 1)
            .map(Some)
            .ok_or_else(|| {
                AppError::validation(
                    "wip_limit",
                    "A WIP limit is a whole number from 1, or empty for none.",
                )
            }),
    }
}

#[server(prefix = "/api", endpoint = "team/stages/add")]
pub async fn add_stage(
    team_id: i64,
    name: String,
    kind: String,
    wip_limit: String,
) -> Result<String, AppError> {
    use super::model::StageKind;
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Lead).await?;
            let db = &state.db;
            if !manageable(db, &user).await?.iter().any(|t| t.id == team_id) {
                return Err(AppError::Forbidden);
            }
            let kind = StageKind::parse(&kind)?;
            let wip = parse_wip(&wip_limit)?;
            let stage = crate::teams::store::add_stage(db, team_id, &name, kind, wip).await?;
            crate::audit::record(db, user.id, "stage", stage.id, "created", &stage.name).await?;
            Ok(crate::api::finish_form(&format!("/team?team={team_id}")))
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team/stages/update")]
pub async fn update_stage(
    stage_id: i64,
    name: String,
    kind: String,
    wip_limit: String,
    customer_label: Option<String>,
) -> Result<String, AppError> {
    use super::model::StageKind;
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Lead).await?;
            let db = &state.db;
            let team = stage_team(db, &user, stage_id).await?;
            let kind = StageKind::parse(&kind)?;
            let wip = parse_wip(&wip_limit)?;
            let label = customer_label.unwrap_or_default();
            super::store::update_stage(db, user.id, stage_id, &name, kind, wip, &label).await?;
            Ok(crate::api::finish_form(&format!("/team?team={team}")))
        }
        .await,
    )
}

/// Moves a stage one place: `direction` is `up` or `down`.
#[server(prefix = "/api", endpoint = "team/stages/move")]
pub async fn move_stage(stage_id: i64, direction: String) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Lead).await?;
            let db = &state.db;
            let team = stage_team(db, &user, stage_id).await?;
            super::store::move_stage(db, user.id, stage_id, direction == "up").await?;
            Ok(crate::api::finish_form(&format!("/team?team={team}")))
        }
        .await,
    )
}

/// Removes a stage; its tickets (if any) move to the stage `move_to`.
#[server(prefix = "/api", endpoint = "team/stages/remove")]
pub async fn remove_stage(stage_id: i64, move_to: Option<String>) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Lead).await?;
            let db = &state.db;
            let team = stage_team(db, &user, stage_id).await?;
            let stages = crate::teams::store::team_stages(db, team).await?;
            if stages.len() <= 1 {
                return Err(AppError::validation(
                    "move_to",
                    "A team keeps at least one stage.",
                ));
            }
            let move_to = move_to
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(|m| {
                    m.parse::<i64>()
                        .map_err(|_| AppError::validation("move_to", "Choose a stage."))
                })
                .transpose()?;
            crate::teams::store::remove_stage(db, user.id, stage_id, move_to).await?;
            Ok(crate::api::finish_form(&format!("/team?team={team}")))
        }
        .await,
    )
}
