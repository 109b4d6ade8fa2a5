//! Server functions of the conversation (staff side). The customer portal has its own,
//! which only ever read [`super::store::Audience::Customer`].

use leptos::prelude::*;

use super::model::Message;
use crate::error::AppError;

/// Posts a public reply or an internal note on a ticket of the signed-in staff
/// member's teams. `kind` is `reply` or `note`. Returns the message as the thread
/// shows it.
#[server(prefix = "/api", endpoint = "tickets/messages/post")]
pub async fn post_message(
    ticket_id: i64,
    kind: String,
    body: String,
    attachment_ids: Option<Vec<i64>>,
) -> Result<Message, AppError> {
    use super::model::{MessageBody, MessageKind};
    use super::store::Writer;
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            let user = require_user(Access::Staff).await?;
            let kind = MessageKind::parse(&kind)?;
            let body = MessageBody::parse(&body)?;
            let state = crate::state::app_state()?;
            if !crate::auth::policy::ticket_visible(&state.db, &user, ticket_id).await? {
                return Err(AppError::NotFound);
            }
            let files = attachment_ids.unwrap_or_default();
            super::store::post_message(
                &state.db,
                &state.outbox,
                ticket_id,
                Writer::Staff(user.id),
                kind,
                &body,
                &files,
                &state.settings.site_url,
            )
            .await
        }
        .await,
    )
}

/// Deletes the signed-in staff member's own internal note, within ten minutes of
/// adding it. Returns the marker the thread shows in its place.
#[server(prefix = "/api", endpoint = "tickets/messages/delete")]
pub async fn delete_note(message_id: i64) -> Result<Message, AppError> {
    use super::store::Audience;
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let (ticket_id, _) =
                super::store::find_message(&state.db, message_id, Audience::Staff, user.id)
                    .await?
                    .ok_or(AppError::NotFound)?;
            if !crate::auth::policy::ticket_visible(&state.db, &user, ticket_id).await? {
                return Err(AppError::NotFound);
            }
            super::store::delete_note(&state.db, &state.files, message_id, user.id).await
        }
        .await,
    )
}

/// Removes a file the signed-in person uploaded for a message they have not sent.
#[server(prefix = "/api", endpoint = "tickets/attachments/discard")]
pub async fn discard_upload(attachment_id: i64) -> Result<(), AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::SignedIn).await?;
            super::files::discard_pending(&state.db, &state.files, attachment_id, user.id).await
        }
        .await,
    )
}

/// A canned reply with its placeholders filled for one ticket, as the composer inserts it.
#[server(prefix = "/api", endpoint = "canned/fill")]
pub async fn fill_canned(id: i64, ticket_id: i64) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let db = &state.db;
            let reply = crate::teams::canned::store::find(db, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let ticket = crate::tickets::store::find_ticket(db, ticket_id)
                .await?
                .ok_or(AppError::NotFound)?;
            // Only a reply of the ticket's own team, on a ticket the user may see.
            if reply.team_id != ticket.team_id
                || !crate::auth::policy::ticket_visible(db, &user, ticket_id).await?
            {
                return Err(AppError::NotFound);
            }
            let (customer, customer_email, company) =
                crate::tickets::store::customer_of(db, ticket.customer_id).await?;
            let values = crate::teams::canned::Placeholders {
                customer_name: customer,
                customer_email,
                company_name: company.unwrap_or_default(),
                ticket_number: ticket.number,
                ticket_title: ticket.title,
                agent_name: user.name,
            };
            Ok(crate::teams::canned::fill(&reply.body, &values))
        }
        .await,
    )
}
