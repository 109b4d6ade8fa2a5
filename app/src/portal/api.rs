//! The portal's server functions: plain form posts from the server-rendered pages
//! (closing and reopening a ticket). Only the server has them: no browser code calls
//! them. Replies and new requests carry files, so they are routes of the server
//! (`server::portal`), using the same store.

use leptos::prelude::*;

use crate::error::AppError;

/// The portal viewer and the ticket numbered `number`, if the signed-in customer may
/// see it (NotFound otherwise, whoever owns it).
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
    use crate::auth::policy::{require_user, Access};
    let user = require_user(Access::Portal).await?;
    let state = crate::state::app_state()?;
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

/// Admin → Customers: puts a customer in a company and sets whether they manage it
/// (a manager sees and answers every ticket of the company in the portal).
#[server(prefix = "/api", endpoint = "admin/customers/company")]
pub async fn set_customer_company(
    customer_id: i64,
    company: String,
    manager: Option<String>,
) -> Result<String, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            let admin = require_user(Access::Admin).await?;
            let state = crate::state::app_state()?;
            let manager = manager.is_some_and(|m| m == "on" || m == "true" || m == "yes");
            match super::store::set_company(&state.db, admin.id, customer_id, &company, manager)
                .await
            {
                Ok(()) => Ok(crate::api::finish_form("/admin/customers?saved=1")),
                Err(e) => Ok(crate::api::refuse_form(
                    "/api/admin/customers/company",
                    e,
                    &[
                        ("company", &company),
                        ("customer", &customer_id.to_string()),
                    ],
                )),
            }
        }
        .await,
    )
}
