//! Server functions for creating tickets. Staff only; the team must be one the user
//! may see.

// A server function's arguments are its form's field names: ten plain arguments let
// the same form post without JavaScript, with no nested `form[title]` names.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::policy::TeamSummary;
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
    /// Who is filling the form in, and their unsent draft of it.
    pub viewer_id: i64,
    pub draft: Option<super::drafts::ServerDraft>,
}

/// Teams the user may file tickets for, and who can be assigned in each.
#[server(prefix = "/api", endpoint = "tickets/options")]
pub async fn new_ticket_options() -> Result<TicketFormOptions, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let teams = crate::auth::policy::visible_teams(&state.db, &user).await?;
            let mut members = Vec::new();
            for t in &teams {
                for (id, name) in crate::teams::store::team_members(&state.db, t.id).await? {
                    members.push(Member {
                        id,
                        name,
                        team_id: t.id,
                    });
                }
            }
            let draft = super::drafts::store::load(
                &state.db,
                user.id,
                &super::drafts::Scope::NewTicket.key(),
            )
            .await?;
            Ok(TicketFormOptions {
                teams,
                members,
                viewer_id: user.id,
                draft,
            })
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
    use crate::auth::model::Email;
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let title = TicketTitle::parse(&title)?;
            check_description(&description)?;
            let email = Email::parse(&customer_email)
                .map_err(|e| AppError::validation("customer_email", e.to_string()))?;
            let team: i64 = team
                .trim()
                .parse()
                .map_err(|_| AppError::validation("team", "Choose a team."))?;
            let priority = Priority::parse(&priority)?;
            let assignee = parse_assignee(&assignee)?;
            let tags = parse_tags(&tags)?;
            let due_at = parse_due_date(&due)?;
            let new = super::store::NewTicket {
                title: &title,
                description: &description,
                customer_id: None,
                team_id: team,
                priority,
                assignee_id: assignee,
                tags: &tags,
                due_at,
                company_id: None,
                from_portal: false,
            };
            // The customer is looked up by email (and added, with the name given, when
            // the email is new), and the team checked against the user's own, in the
            // creating transaction, which also discards the user's "New ticket" draft.
            let customer = super::store::NewCustomer {
                name: &customer_name,
                company: &company,
            };
            let ticket =
                super::store::create_ticket_for_email(&state.db, &user, &email, customer, new)
                    .await?;
            tracing::info!(ticket = ticket.number, "ticket created");
            Ok(crate::api::finish_form(&format!("/board?team={team}")))
        }
        .await,
    )
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub actor: Option<String>,
    pub action: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub at: i64,
}

/// Everything the ticket page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub customer: String,
    pub customer_email: String,
    /// The customer's record (`/customers/:id`).
    pub customer_id: i64,
    /// The company the ticket is for.
    pub company: Option<String>,
    /// The account owner: the customer's owning agent, else their company's.
    pub owner: Option<String>,
    pub team: TeamSummary,
    pub stage_id: i64,
    pub stages: Vec<super::model::Stage>,
    pub priority: super::model::Priority,
    pub assignee_id: Option<i64>,
    pub members: Vec<Member>,
    pub tags: Vec<String>,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    pub now: i64,
    pub conversation: super::conversation::model::Conversation,
    /// The number of the ticket this one was merged into: its page redirects there.
    pub merged_into: Option<i64>,
    /// Linked tickets, time and history (see `tickets::side`).
    pub side: super::side::SideData,
}

impl TicketDetail {
    pub fn overdue(&self) -> bool {
        self.completed_at.is_none() && self.due_at.is_some_and(|d| d < self.now)
    }
}

/// The ticket numbered `number`, for staff of its team (anyone else: not found).
#[server(prefix = "/api", endpoint = "tickets/get")]
pub async fn get_ticket(number: i64) -> Result<TicketDetail, AppError> {
    use super::conversation::store::{last_kind_used, thread, Audience};
    use super::model::Priority;
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let t = super::store::find_ticket_by_number(db, number)
                .await?
                .ok_or(AppError::NotFound)?;
            let teams = crate::auth::policy::visible_teams(db, &user).await?;
            let team = teams
                .into_iter()
                .find(|x| x.id == t.team_id)
                .ok_or(AppError::NotFound)?;
            let (customer, customer_email, _) =
                super::store::customer_of(db, t.customer_id).await?;
            let (company, owner) = super::store::account_of(db, t.id).await?;
            let placeholders = crate::teams::canned::Placeholders {
                customer_name: customer.clone(),
                customer_email: customer_email.clone(),
                company_name: company.clone().unwrap_or_default(),
                ticket_number: t.number,
                ticket_title: t.title.clone(),
                agent_name: user.name.clone(),
            };
            let members = crate::tickets::store::members_of(db, t.team_id).await?;
            let now = crate::store::now_ms();
            Ok(TicketDetail {
                id: t.id,
                number: t.number,
                title: t.title,
                description: t.description,
                customer,
                customer_email,
                customer_id: t.customer_id,
                company,
                owner,
                team,
                stage_id: t.stage_id,
                stages: crate::teams::store::team_stages(db, t.team_id).await?,
                priority: Priority::parse(&t.priority).unwrap_or(Priority::Normal),
                assignee_id: t.assignee_id,
                members,
                tags: super::store::ticket_tags(db, t.id).await?,
                due_at: t.due_at,
                created_at: t.created_at,
                updated_at: t.updated_at,
                completed_at: t.completed_at,
                now,
                merged_into: super::links::store::merged_into(db, t.id).await?,
                side: super::side::load(db, t.id, user.id).await?,
                conversation: super::conversation::model::Conversation {
                    messages: thread(db, t.id, Audience::Staff, user.id).await?,
                    compose: last_kind_used(db, t.id, user.id).await?,
                    upload_limit: state.settings.upload_limit_bytes,
                    viewer_id: user.id,
                    canned: crate::teams::canned::store::for_team(db, t.team_id).await?,
                    placeholders,
                    draft: crate::tickets::drafts::store::load(
                        db,
                        user.id,
                        &crate::tickets::drafts::Scope::Ticket(t.id).key(),
                    )
                    .await?,
                },
            })
        }
        .await,
    )
}

/// Saves the ticket page's form. `seen` is the `updated_at` the page was loaded
/// with: a ticket changed since is not overwritten. Returns the ticket's page.
#[server(prefix = "/api", endpoint = "tickets/update")]
pub async fn update_ticket(
    ticket_id: i64,
    seen: i64,
    title: String,
    description: String,
    stage: String,
    priority: String,
    assignee: String,
    tags: String,
    due: String,
) -> Result<String, AppError> {
    use super::model::{parse_due_date, parse_tags, Priority, TicketTitle};
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let ticket = super::store::find_ticket(db, ticket_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let teams = crate::auth::policy::visible_teams(db, &user).await?;
            if !teams.iter().any(|t| t.id == ticket.team_id) {
                return Err(AppError::NotFound);
            }
            let changes = super::store::TicketChanges {
                title: TicketTitle::parse(&title)?,
                description: check_description(&description)?.to_string(),
                stage_id: stage
                    .trim()
                    .parse()
                    .map_err(|_| AppError::validation("stage", "Choose a stage."))?,
                priority: Priority::parse(&priority)?,
                assignee_id: parse_assignee(&assignee)?,
                tags: parse_tags(&tags)?,
                due_at: parse_due_date(&due)?,
            };
            let saved = super::store::update_ticket(db, user.id, ticket_id, seen, changes).await?;
            Ok(crate::api::finish_form(&format!(
                "/tickets/{}",
                saved.number
            )))
        }
        .await,
    )
}

/// A description: at most 20,000 characters.
pub fn check_description(text: &str) -> Result<&str, AppError> {
    if text.chars().count() > 20_000 {
        return Err(AppError::validation(
            "description",
            "Keep the description under 20,000 characters.",
        ));
    }
    Ok(text)
}

/// An assignee field: empty for nobody, or a person's id.
pub fn parse_assignee(raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        a => a
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::validation("assignee", "Choose a person.")),
    }
}

/// One row of the ticket list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub customer: String,
    pub company: Option<String>,
    pub stage: String,
    pub done: bool,
    pub priority: super::model::Priority,
    pub assignee: Option<String>,
    pub updated_at: i64,
    pub due_at: Option<i64>,
}

/// One page of the ticket list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketList {
    pub team: TeamSummary,
    pub teams: Vec<TeamSummary>,
    pub members: Vec<Member>,
    pub stages: Vec<super::model::Stage>,
    pub rows: Vec<ListRow>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    pub now: i64,
}

/// Rows on one page of the list.
pub const LIST_PAGE: i64 = 50;

/// A page of `team`'s tickets (default: the user's first team) that `filter` (a
/// query string) admits, in `sort` order, after the cursor `after`. `view=list`
/// remembers the list as the user's choice.
#[server(prefix = "/api", endpoint = "tickets/list")]
pub async fn list_tickets(
    team: Option<i64>,
    filter: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    view: Option<String>,
) -> Result<TicketList, AppError> {
    use super::filter::TicketFilter;
    use super::model::Priority;
    use super::store::{list_cursor, ListSort};
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let teams = crate::auth::policy::visible_teams(db, &user).await?;
            let team = crate::auth::policy::choose_team(
                &teams,
                team,
                "You are not in any team yet. Ask an admin to add you to one.",
            )?;
            if view.as_deref() == Some("list") {
                crate::auth::store::remember_view(db, user.id, Some("list")).await?;
            }
            let filter = TicketFilter::from_query(filter.as_deref().unwrap_or_default());
            let sort = ListSort::parse(sort.as_deref().unwrap_or_default());
            let now = crate::store::now_ms();
            let mut rows = super::store::list_tickets(
                db,
                team.id,
                &filter,
                user.id,
                now,
                sort,
                after.as_deref(),
                LIST_PAGE + 1,
            )
            .await?;
            let next = (rows.len() as i64 > LIST_PAGE).then(|| {
                rows.truncate(LIST_PAGE as usize);
                rows.last()
                    .map(|r| list_cursor(sort, r))
                    .unwrap_or_default()
            });
            let members = crate::tickets::store::members_of(db, team.id).await?;
            Ok(TicketList {
                stages: crate::teams::store::team_stages(db, team.id).await?,
                team,
                teams,
                members,
                rows: rows
                    .into_iter()
                    .map(|r| ListRow {
                        id: r.id,
                        number: r.number,
                        title: r.title,
                        customer: r.customer,
                        company: r.company,
                        stage: r.stage,
                        done: r.stage_kind == "done",
                        priority: Priority::parse(&r.priority).unwrap_or(Priority::Normal),
                        assignee: r.assignee,
                        updated_at: r.updated_at,
                        due_at: r.due_at,
                    })
                    .collect(),
                next,
                now,
            })
        }
        .await,
    )
}

/// Changes many tickets of one team at once: `action` is `stage`, `assign` or
/// `priority`, with the value in the field of that name. One transaction; each
/// changed ticket is audited. Returns the list to go back to.
#[server(prefix = "/api", endpoint = "tickets/bulk")]
pub async fn bulk_update(
    team: i64,
    ids: Option<Vec<i64>>,
    action: String,
    stage: Option<String>,
    assignee: Option<String>,
    priority: Option<String>,
    back: Option<String>,
) -> Result<String, AppError> {
    use super::model::Priority;
    use super::store::BulkChange;
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let teams = crate::auth::policy::visible_teams(db, &user).await?;
            if !teams.iter().any(|t| t.id == team) {
                return Err(AppError::Forbidden);
            }
            let ids = ids.unwrap_or_default();
            if ids.is_empty() {
                return Err(AppError::validation("ids", "Select at least one ticket."));
            }
            if ids.len() > 500 {
                return Err(AppError::validation(
                    "ids",
                    "Select at most 500 tickets at a time.",
                ));
            }
            let change = match action.as_str() {
                "stage" => BulkChange::Stage(
                    stage
                        .as_deref()
                        .and_then(|s| s.trim().parse().ok())
                        .ok_or_else(|| AppError::validation("stage", "Choose a stage."))?,
                ),
                "assign" => {
                    BulkChange::Assignee(parse_assignee(assignee.as_deref().unwrap_or_default())?)
                }
                "priority" => {
                    BulkChange::Priority(Priority::parse(priority.as_deref().unwrap_or_default())?)
                }
                _ => return Err(AppError::validation("action", "Choose what to change.")),
            };
            let n = super::store::bulk_update(db, user.id, team, &ids, change).await?;
            tracing::info!(tickets = n, action = %action, "bulk update");
            let back = crate::auth::model::safe_next(back.as_deref())
                .filter(|b| b.starts_with("/tickets"))
                .unwrap_or_else(|| format!("/tickets?team={team}"));
            Ok(crate::api::finish_form(&back))
        }
        .await,
    )
}
