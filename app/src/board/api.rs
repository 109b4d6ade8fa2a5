//! Server functions behind the board. Staff only, and only for teams they belong to
//! (admins see every team).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::tickets::api::Member;
#[cfg(feature = "ssr")]
use crate::tickets::filter::TicketFilter;
use crate::tickets::model::{Priority, Stage};

pub use crate::auth::policy::TeamSummary;

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
    /// Submitted by the customer in the portal.
    pub from_portal: bool,
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
    /// `total` counts only the tickets a text filter read (the column's first few
    /// thousand): there may be more.
    pub at_least: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub team: TeamSummary,
    pub teams: Vec<TeamSummary>,
    pub columns: Vec<BoardColumn>,
    /// The server's clock (ms), so "overdue" is decided the same on both sides.
    pub now: i64,
    /// Who can be chosen in the assignee filter.
    pub members: Vec<Member>,
    /// How many times "Show more" was followed (each adds a page to every column).
    pub more: i64,
    /// The user last chose the list: the board page sends them there (and the
    /// columns are not loaded).
    pub prefers_list: bool,
}

/// Cards a column shows at first, and how many more each "Show more" adds: the first
/// 200 of an open or waiting column in board order, the 50 most recently completed of
/// a done column. A board of thousands of open tickets stays small and fast; the
/// counts still say how many there are.
pub const OPEN_SHOWN: i64 = 200;
pub const DONE_SHOWN: i64 = 50;
/// "Show more" goes up to this many extra pages (4,000 open / 1,000 done cards).
pub const MORE_MAX: i64 = 19;
/// A done column counts its cards up to this many ("10000+" beyond), so a stage with
/// a million completed tickets costs no more than one with ten thousand.
pub const DONE_COUNT_CAP: i64 = 10_000;

/// The board of `team` (default: the user's first team), with the cards `filter`
/// (a query string, see [`TicketFilter`]) admits, with `more` extra pages of cards
/// in every column.
#[server(prefix = "/api", endpoint = "board")]
pub async fn get_board(
    team: Option<i64>,
    filter: Option<String>,
    more: Option<i64>,
    view: Option<String>,
) -> Result<Board, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let teams = crate::auth::policy::visible_teams(&state.db, &user).await?;
            let team = crate::auth::policy::choose_team(
                &teams,
                team,
                "You are not in any team yet. Ask an admin to add you to one.",
            )?;
            let filter = TicketFilter::from_query(filter.as_deref().unwrap_or_default());
            let now = crate::store::now_ms();
            let prefers_list =
                crate::auth::store::remember_view(&state.db, user.id, view.as_deref()).await?
                    == crate::auth::store::TicketView::List;
            if prefers_list {
                return Ok(Board {
                    team,
                    teams,
                    columns: Vec::new(),
                    now,
                    members: Vec::new(),
                    more: 0,
                    prefers_list,
                });
            }
            let more = more.unwrap_or(0).clamp(0, MORE_MAX);
            let columns = super::store::board_columns(
                &state.db,
                team.id,
                &filter,
                user.id,
                now,
                OPEN_SHOWN * (more + 1),
                DONE_SHOWN * (more + 1),
            )
            .await?;
            let members = crate::tickets::store::members_of(&state.db, team.id).await?;
            Ok(Board {
                team,
                teams,
                columns,
                now,
                members,
                more,
                prefers_list,
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
    use crate::auth::policy::Access;
    use crate::tickets::store::{move_ticket_for, Placement};
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            // A ticket on a board the user may not open is answered like one that
            // does not exist: learn nothing.
            move_ticket_for(
                &state.db,
                &user,
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
