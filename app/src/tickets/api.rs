//! Server functions for creating tickets. Staff only; the team must be one the user
//! may see.

// A server function's arguments are its form's field names: ten plain arguments let
// the same form post without JavaScript, with no nested `form[title]` names.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::board::api::TeamSummary;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub team_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFormOptions {
    pub teams: Vec<TeamSummary>,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
}

/// Teams the user may file tickets for, and who can be assigned in each.
#[server(prefix = "/api", endpoint = "tickets/options")]
pub async fn new_ticket_options() -> Result<TicketFormOptions, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            let user = require_user(Access::Staff).await?;
            let state = crate::state::app_state()?;
            let teams = crate::board::store::visible_teams(&state.db, &user).await?;
            let mut members = Vec::new();
            for t in &teams {
                for (id, name) in super::store::team_members(&state.db, t.id).await? {
                    members.push(Member {
                        id,
                        name,
                        team_id: t.id,
                    });
                }
            }
            Ok(TicketFormOptions { teams, members })
        }
        .await,
    )
}

/// Customers whose name or email starts with `q` (at most 8), for search as you type.
#[server(prefix = "/api", endpoint = "customers/search")]
pub async fn search_customers(q: String) -> Result<Vec<CustomerHit>, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            require_user(Access::Staff).await?;
            let state = crate::state::app_state()?;
            let q = q.trim().to_lowercase();
            if q.is_empty() || q.chars().count() > 100 {
                return Ok(Vec::new());
            }
            super::store::search_customers(&state.db, &q, 8).await
        }
        .await,
    )
}

/// Creates a ticket. The customer is found by email, or created when a name is given
/// for an email not seen before. Returns the board to go to.
#[server(prefix = "/api", endpoint = "tickets/create")]
pub async fn create_ticket(
    title: String,
    description: String,
    customer_email: String,
    customer_name: String,
    company: String,
    team: String,
    priority: String,
    assignee: String,
    tags: String,
    due: String,
) -> Result<String, AppError> {
    use super::model::{parse_due_date, parse_tags, Priority, TicketTitle};
    use crate::auth::model::{Email, PersonName};
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            let user = require_user(Access::Staff).await?;
            let state = crate::state::app_state()?;
            let title = TicketTitle::parse(&title)?;
            if description.chars().count() > 20_000 {
                return Err(AppError::validation(
                    "description",
                    "Keep the description under 20,000 characters.",
                ));
            }
            let email = Email::parse(&customer_email)
                .map_err(|e| AppError::validation("customer_email", e.to_string()))?;
            let team: i64 = team
                .trim()
                .parse()
                .map_err(|_| AppError::validation("team", "Choose a team."))?;
            let teams = crate::board::store::visible_teams(&state.db, &user).await?;
            if !teams.iter().any(|t| t.id == team) {
                return Err(AppError::validation("team", "Choose one of your teams."));
            }
            let priority = Priority::parse(&priority)?;
            let assignee = match assignee.trim() {
                "" => None,
                a => Some(
                    a.parse::<i64>()
                        .map_err(|_| AppError::validation("assignee", "Choose a person."))?,
                ),
            };
            let tags = parse_tags(&tags)?;
            let due_at = parse_due_date(&due)?;
            let customer_id = match super::store::find_customer_by_email(&state.db, &email).await? {
                Some(id) => id,
                None => {
                    if customer_name.trim().is_empty() {
                        return Err(AppError::validation(
                            "customer_name",
                            "No customer has this email yet: give their name to add them.",
                        ));
                    }
                    let name = PersonName::parse(&customer_name)
                        .map_err(|e| AppError::validation("customer_name", e.to_string()))?;
                    let company_id = match company.trim() {
                        "" => None,
                        c => Some(super::store::find_or_create_company(&state.db, c).await?),
                    };
                    super::store::create_customer(&state.db, &name, &email, company_id).await?
                }
            };
            let new = super::store::NewTicket {
                title: &title,
                description: &description,
                customer_id: Some(customer_id),
                team_id: team,
                priority,
                assignee_id: assignee,
                tags: &tags,
                due_at,
            };
            let ticket = super::store::create_ticket(&state.db, user.id, new).await?;
            tracing::info!(ticket = ticket.number, "ticket created");
            Ok(crate::api::finish_form(&format!("/board?team={team}")))
        }
        .await,
    )
}
