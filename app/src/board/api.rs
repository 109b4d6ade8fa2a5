//! Server functions behind the board. Staff only, and only for teams they belong to
//! (admins see every team).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::tickets::model::{Priority, Stage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
}

/// One card as the board shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardCard {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub customer: String,
    pub company: Option<String>,
    pub priority: Priority,
    pub assignee: Option<String>,
    pub created_at: i64,
    pub due_at: Option<i64>,
    pub stage_id: i64,
}

impl BoardCard {
    pub fn overdue(&self, now: i64, stage_done: bool) -> bool {
        !stage_done && self.due_at.is_some_and(|d| d < now)
    }

    /// The card's accessible name starts with its number and title.
    pub fn label(&self) -> String {
        format!("#{} {}", self.number, self.title)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: Stage,
    pub cards: Vec<BoardCard>,
    /// Every ticket in the stage (a done column shows only the newest).
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub team: TeamSummary,
    pub teams: Vec<TeamSummary>,
    pub columns: Vec<BoardColumn>,
    /// The server's clock (ms), so "overdue" is decided the same on both sides.
    pub now: i64,
}

/// How many of the most recently completed cards a done column shows.
pub const DONE_SHOWN: i64 = 50;

/// The board of `team` (default: the user's first team).
#[server(prefix = "/api", endpoint = "board")]
pub async fn get_board(team: Option<i64>) -> Result<Board, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            let user = require_user(Access::Staff).await?;
            let state = crate::state::app_state()?;
            let teams = super::store::visible_teams(&state.db, &user).await?;
            let team = match team {
                Some(id) => teams
                    .iter()
                    .find(|t| t.id == id)
                    .cloned()
                    .ok_or(AppError::Forbidden)?,
                None => teams.first().cloned().ok_or_else(|| {
                    AppError::validation(
                        "team",
                        "You are not in any team yet. Ask an admin to add you to one.",
                    )
                })?,
            };
            let columns = super::store::board_columns(&state.db, team.id, DONE_SHOWN).await?;
            Ok(Board {
                team,
                teams,
                columns,
                now: crate::store::now_ms(),
            })
        }
        .await,
    )
}

/// Moves a card to a stage, below the card `after` and above the card `before`.
#[server(prefix = "/api", endpoint = "board/move")]
pub async fn move_card(
    ticket_id: i64,
    stage_id: i64,
    after: Option<i64>,
    before: Option<i64>,
) -> Result<(), AppError> {
    use crate::auth::policy::{require_user, Access};
    use crate::tickets::store::{find_ticket, move_ticket, Placement};
    crate::api::respond(
        async {
            let user = require_user(Access::Staff).await?;
            let state = crate::state::app_state()?;
            let ticket = find_ticket(&state.db, ticket_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let teams = super::store::visible_teams(&state.db, &user).await?;
            if !teams.iter().any(|t| t.id == ticket.team_id) {
                // Same answer as a ticket that does not exist: learn nothing.
                return Err(AppError::NotFound);
            }
            move_ticket(
                &state.db,
                user.id,
                ticket_id,
                stage_id,
                Placement { after, before },
            )
            .await?;
            Ok(())
        }
        .await,
    )
}
