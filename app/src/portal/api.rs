//! The portal's server functions (closing and reopening a ticket, and Admin →
//! Customers). Replies and new requests carry files, so they are routes of the
//! server (`server::portal`), using the same store.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{PortalRow, PortalTeam, Viewer};
use crate::error::AppError;

/// What `/portal` shows: the viewer, and one page of their tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalHomeData {
    pub viewer: Viewer,
    /// A staff account looking at the portal (it has no tickets here).
    pub staff: bool,
    pub rows: Vec<PortalRow>,
    /// There is a next page.
    pub more: bool,
    /// How many tickets are open and closed, for the status filter.
    pub open: i64,
    pub closed: i64,
}

/// How many tickets one page of `/portal` lists.
pub const PORTAL_PAGE: i64 = 25;

/// One page of the signed-in customer's tickets: `status` open (default), closed or
/// all; `sort` updated (default) or created; `text` a number or words; `after` the
/// key of the last row of the page before ("value.id").
#[server(prefix = "/api", endpoint = "portal/home")]
pub async fn portal_home(
    status: String,
    sort: String,
    text: String,
    after: String,
) -> Result<PortalHomeData, AppError> {
    use super::model::{PortalSort, StatusFilter};
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Portal).await?;
            let db = &state.db;
            let viewer = super::store::viewer(db, &user).await?;
            let after = after
                .split_once('.')
                .and_then(|(v, id)| Some((v.parse().ok()?, id.parse().ok()?)));
            let list = super::store::ListQuery {
                status: StatusFilter::parse(&status),
                sort: PortalSort::parse(&sort),
                text,
                after,
                limit: PORTAL_PAGE + 1,
            };
            let mut rows = super::store::list(db, &viewer, &list).await?;
            let more = rows.len() as i64 > PORTAL_PAGE;
            rows.truncate(PORTAL_PAGE as usize);
            let (open, closed) = super::store::counts(db, &viewer).await?;
            Ok(PortalHomeData {
                viewer,
                staff: user.role.is_staff(),
                rows,
                more,
                open,
                closed,
            })
        }
        .await,
    )
}

/// What `/portal/new` needs: the viewer, the teams to ask, the largest file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalNewData {
    pub viewer: Viewer,
    pub teams: Vec<PortalTeam>,
    pub upload_limit: u64,
}

#[server(prefix = "/api", endpoint = "portal/new-form")]
pub async fn portal_new_form() -> Result<PortalNewData, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Portal).await?;
            Ok(PortalNewData {
                viewer: super::store::viewer(&state.db, &user).await?,
                teams: super::store::portal_teams(&state.db).await?,
                upload_limit: state.settings.upload_limit_bytes,
            })
        }
        .await,
    )
}

/// What `/portal/tickets/{number}` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalTicketData {
    pub ticket: super::model::PortalTicket,
    /// Who is looking (their reply draft is kept under their id).
    pub viewer_id: i64,
    pub upload_limit: u64,
    /// The server's clock (epoch ms): whether a closed ticket may still be reopened.
    pub now: i64,
}

/// The ticket numbered `number`, if the signed-in customer may see it (NotFound
/// otherwise, whoever owns it).
#[server(prefix = "/api", endpoint = "portal/ticket")]
pub async fn portal_ticket(number: i64) -> Result<PortalTicketData, AppError> {
    crate::api::respond(
        async {
            let (_, viewer, ticket) = viewer_and_ticket(number).await?;
            let state = crate::state::app_state()?;
            Ok(PortalTicketData {
                ticket,
                viewer_id: viewer.user_id,
                upload_limit: state.settings.upload_limit_bytes,
                now: crate::store::now_ms(),
            })
        }
        .await,
    )
}

/// The portal viewer and the ticket numbered `number`, if the signed-in customer may
/// see it (NotFound otherwise, whoever owns it).
#[cfg(feature = "ssr")]
async fn viewer_and_ticket(
    number: i64,
) -> Result<
    (
        crate::store::Db,
        super::store::Viewer,
        super::store::PortalTicket,
    ),
    AppError,
> {
    use crate::auth::policy::Access;
    let (user, state) = crate::api::start(Access::Portal).await?;
    let viewer = super::store::viewer(&state.db, &user).await?;
    let ticket = super::store::ticket(&state.db, &viewer, number)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((state.db, viewer, ticket))
}

/// "This is solved": the customer closes their ticket.
#[server(prefix = "/api", endpoint = "portal/close")]
pub async fn portal_close(number: i64) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let (db, viewer, ticket) = viewer_and_ticket(number).await?;
            super::store::close(&db, &viewer, &ticket).await?;
            Ok(crate::api::finish_form(&format!(
                "/portal/tickets/{number}"
            )))
        }
        .await,
    )
}

/// Reopens a ticket the customer closed (or that was completed) in the last 14 days.
#[server(prefix = "/api", endpoint = "portal/reopen")]
pub async fn portal_reopen(number: i64) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let (db, viewer, ticket) = viewer_and_ticket(number).await?;
            super::store::reopen(&db, &viewer, &ticket).await?;
            Ok(crate::api::finish_form(&format!(
                "/portal/tickets/{number}"
            )))
        }
        .await,
    )
}
