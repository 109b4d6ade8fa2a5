//! SQL for messages. Every query that can return a message names whether internal
//! notes are included: the staff page asks for them, anything a customer can reach
//! never does.

use super::model::{Attachment, Author, Message, MessageBody, MessageKind, NOTE_DELETE_WINDOW_MS};
use crate::error::AppError;
use crate::store::{now_ms, Db};
use crate::ui::markdown::plain_text;
use crate::{db, insert_audit};

/// Which messages a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff: replies and internal notes.
    Staff,
    /// The customer (portal, email): public replies only.
    Customer,
}

impl Audience {
    fn includes_internal(self) -> bool {
        self == Audience::Staff
    }
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    ticket_id: i64,
    internal: bool,
    author_id: Option<i64>,
    author: Option<String>,
    customer: Option<String>,
    body: String,
    created_at: i64,
    deleted_at: Option<i64>,
    deleted_by: Option<String>,
}

const MESSAGE_SELECT: &str =
    "SELECT m.id, m.ticket_id, m.internal, m.author_id, u.name AS author, c.name AS customer,
        m.body, m.created_at, m.deleted_at, d.name AS deleted_by
    FROM messages m
    LEFT JOIN users u ON u.id = m.author_id
    LEFT JOIN customers c ON c.id = m.customer_id
    LEFT JOIN users d ON d.id = m.deleted_by";

impl MessageRow {
    fn into_message(self, viewer: i64) -> Message {
        let kind = if self.internal {
            MessageKind::Note
        } else {
            MessageKind::Reply
        };
        let author = match (self.customer, self.author) {
            (Some(c), _) => Author::Customer(c),
            (None, Some(a)) => Author::Staff(a),
            (None, None) => Author::Unknown,
        };
        let deletable_until =
            (self.internal && self.deleted_at.is_none() && self.author_id == Some(viewer))
                .then_some(self.created_at + NOTE_DELETE_WINDOW_MS);
        Message {
            id: self.id,
            kind,
            author,
            body_html: String::new(),
            body: self.body,
            created_at: self.created_at,
            deleted: self
                .deleted_at
                .map(|at| (self.deleted_by.unwrap_or_else(|| "Unknown".into()), at)),
            deletable_until,
            attachments: Vec::new(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    message_id: i64,
    id: i64,
    name: String,
    content_type: String,
    size: i64,
}

/// Puts each message's attachments on it (one query for the whole thread). Only the
/// messages given are looked at, so a reader gets the files of messages they may see.
async fn attach_files(db: &Db, ticket_id: i64, messages: &mut [Message]) -> Result<(), AppError> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows = db!(db, pool => sqlx::query_as::<_, AttachmentRow>(
        "SELECT message_id, id, name, content_type, size FROM attachments
         WHERE ticket_id = $1 AND message_id IS NOT NULL ORDER BY id"
    ).bind(ticket_id).fetch_all(pool).await)?;
    let mut by_message: std::collections::HashMap<i64, Vec<Attachment>> = Default::default();
    for r in rows {
        by_message
            .entry(r.message_id)
            .or_default()
            .push(Attachment {
                id: r.id,
                name: r.name,
                content_type: r.content_type,
                size: r.size,
            });
    }
    for m in messages.iter_mut() {
        if m.deleted.is_none() {
            m.attachments = by_message.remove(&m.id).unwrap_or_default();
        }
    }
    let now = now_ms();
    for m in messages.iter_mut() {
        m.body_html = crate::ui::markdown::to_html(&m.body);
        if m.deletable_until.is_some_and(|until| until <= now) {
            m.deletable_until = None;
        }
    }
    Ok(())
}

/// A ticket's messages in time order, as `audience` may see them. `viewer` is the
/// account looking (it decides which notes it may still delete).
pub async fn thread(
    db: &Db,
    ticket_id: i64,
    audience: Audience,
    viewer: i64,
) -> Result<Vec<Message>, AppError> {
    let sql = format!(
        "{MESSAGE_SELECT} WHERE m.ticket_id = $1 AND ($2 OR m.internal = FALSE)
         ORDER BY m.created_at, m.id"
    );
    let rows = db!(db, pool => sqlx::query_as::<_, MessageRow>(&sql)
        .bind(ticket_id).bind(audience.includes_internal()).fetch_all(pool).await)?;
    let mut messages: Vec<Message> = rows.into_iter().map(|r| r.into_message(viewer)).collect();
    attach_files(db, ticket_id, &mut messages).await?;
    Ok(messages)
}

/// One message, if `audience` may see it.
pub async fn find_message(
    db: &Db,
    message_id: i64,
    audience: Audience,
    viewer: i64,
) -> Result<Option<(i64, Message)>, AppError> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.id = $1 AND ($2 OR m.internal = FALSE)");
    let row = db!(db, pool => sqlx::query_as::<_, MessageRow>(&sql)
        .bind(message_id).bind(audience.includes_internal()).fetch_optional(pool).await)?;
    let Some(row) = row else { return Ok(None) };
    let ticket_id = row.ticket_id;
    let mut one = [row.into_message(viewer)];
    attach_files(db, ticket_id, &mut one).await?;
    let [message] = one;
    Ok(Some((ticket_id, message)))
}

/// The kind of the last message `user` wrote on this ticket (the composer starts
/// there); a reply when they have written none.
pub async fn last_kind_used(db: &Db, ticket_id: i64, user: i64) -> Result<MessageKind, AppError> {
    let internal: Option<bool> = db!(db, pool => sqlx::query_scalar::<_, bool>(
        "SELECT internal FROM messages WHERE ticket_id = $1 AND author_id = $2
         ORDER BY created_at DESC, id DESC LIMIT 1"
    ).bind(ticket_id).bind(user).fetch_optional(pool).await)?;
    Ok(match internal {
        Some(true) => MessageKind::Note,
        _ => MessageKind::Reply,
    })
}

/// The audit trail's short form of a message: its first words as plain text.
fn excerpt(body: &str) -> String {
    let text = plain_text(body);
    let mut out: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// The email a customer gets for a public reply: its text (Markdown reads well as
/// plain text) and a link to the ticket.
fn reply_mail(number: i64, title: &str, body: &str, site_url: &str) -> (String, String) {
    (
        format!("[#{number}] {title}"),
        format!(
            "{body}\n\n---\nReply or follow your request #{number} here:\n{site_url}/portal/tickets/{number}\n"
        ),
    )
}

/// Who writes a message.
#[derive(Debug, Clone, Copy)]
pub enum Writer {
    Staff(i64),
    /// A customer's portal account, and the customer record it speaks for.
    Customer {
        user: i64,
        customer: i64,
    },
}

/// Adds a message to a ticket, with its audit row, in one transaction, and ties to
/// it the files its writer uploaded for it (`attachments`, ids of pending uploads).
#[allow(clippy::too_many_arguments)]
pub async fn post_message(
    db: &Db,
    outbox: &crate::mail::Outbox,
    ticket_id: i64,
    writer: Writer,
    kind: MessageKind,
    body: &MessageBody,
    attachments: &[i64],
    site_url: &str,
) -> Result<Message, AppError> {
    let now = now_ms();
    let (author, customer) = match writer {
        Writer::Staff(u) => (u, None),
        Writer::Customer { user, customer } => (user, Some(customer)),
    };
    if customer.is_some() && kind.internal() {
        // A customer can never write (and so never read back) an internal note.
        return Err(AppError::Forbidden);
    }
    let action = match (kind, customer) {
        (MessageKind::Note, _) => "noted",
        (MessageKind::Reply, Some(_)) => "customer_replied",
        (MessageKind::Reply, None) => "replied",
    };
    let id = crate::write_tx!(db, tx => async {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO messages (ticket_id, author_id, customer_id, internal, body, created_at)
             SELECT id, $2, $3, $4, $5, $6 FROM tickets WHERE id = $1 RETURNING id",
        )
        .bind(ticket_id).bind(author).bind(customer).bind(kind.internal()).bind(body.as_str()).bind(now)
        .fetch_optional(&mut *tx).await?;
        let id = id.ok_or(AppError::NotFound)?;
        for file in attachments {
            let tied = sqlx::query(
                // A file uploaded for a portal request before it existed has no
                // ticket yet: it joins this one (its uploader's own file either way).
                "UPDATE attachments SET message_id = $1, ticket_id = $3
                 WHERE id = $2 AND (ticket_id = $3 OR ticket_id IS NULL) AND uploader_id = $4
                   AND message_id IS NULL",
            )
            .bind(id).bind(file).bind(ticket_id).bind(author).execute(&mut *tx).await?.rows_affected();
            if tied != 1 {
                return Err(AppError::conflict(
                    "attachments",
                    "One of the attached files is no longer available: remove it and attach it again.",
                ));
            }
        }
        if !kind.internal() {
            // The customer sees something new: the portal's "last update".
            sqlx::query("UPDATE tickets SET activity_at = $1 WHERE id = $2")
                .bind(now).bind(ticket_id).execute(&mut *tx).await?;
        }
        if customer.is_none() && !kind.internal() {
            // A public reply from staff is also emailed to the customer (never a note).
            let (number, title, to): (i64, String, String) = sqlx::query_as(
                "SELECT t.number, t.title, c.email FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1",
            )
            .bind(ticket_id).fetch_one(&mut *tx).await?;
            let (subject, text) = reply_mail(number, &title, body.as_str(), site_url);
            crate::enqueue_mail!(&mut *tx, &to, &subject, &text, now).await?;
        }
        // What was sent is no longer a draft.
        sqlx::query("DELETE FROM drafts WHERE user_id = $1 AND scope = $2")
            .bind(author).bind(crate::tickets::drafts::Scope::Ticket(ticket_id).key())
            .execute(&mut *tx).await?;
        // A note's words stay out of the trail: its author may delete it, and then
        // no copy of the text should remain.
        let summary = (!kind.internal()).then(|| excerpt(body.as_str()));
        insert_audit!(&mut *tx, author, "ticket", ticket_id, action, Some("message"), None::<&str>, summary, now).await?;
        Ok::<_, AppError>(id)
    }.await)?;
    if customer.is_none() && !kind.internal() {
        outbox.wake();
    }
    find_message(db, id, Audience::Staff, author)
        .await?
        .map(|(_, m)| m)
        .ok_or_else(|| AppError::internal("a message just written is missing"))
}

/// Deletes `user`'s own internal note, within [`NOTE_DELETE_WINDOW_MS`] of writing it.
/// The row stays as a marker (body blanked); the audit trail records the deletion.
/// Its attachments go with it (and their files, where nothing else refers to them).
pub async fn delete_note(
    db: &Db,
    files: &super::files::FileStore,
    message_id: i64,
    user: i64,
) -> Result<Message, AppError> {
    let now = now_ms();
    let released = crate::write_tx!(db, tx => async {
        #[derive(sqlx::FromRow)]
        struct Found { ticket_id: i64, author_id: Option<i64>, internal: bool, created_at: i64, deleted_at: Option<i64> }
        let found = sqlx::query_as::<_, Found>(
            "SELECT ticket_id, author_id, internal, created_at, deleted_at FROM messages WHERE id = $1",
        ).bind(message_id).fetch_optional(&mut *tx).await?.ok_or(AppError::NotFound)?;
        if !found.internal || found.author_id != Some(user) {
            return Err(AppError::Forbidden);
        }
        if found.deleted_at.is_some() {
            return Err(AppError::conflict("message", "This note is already deleted."));
        }
        if now - found.created_at > NOTE_DELETE_WINDOW_MS {
            return Err(AppError::conflict(
                "message",
                "A note can only be deleted in the first 10 minutes after it was added.",
            ));
        }
        sqlx::query("UPDATE messages SET body = '', deleted_at = $1, deleted_by = $2 WHERE id = $3")
            .bind(now).bind(user).bind(message_id).execute(&mut *tx).await?;
        let released: Vec<String> = sqlx::query_scalar("DELETE FROM attachments WHERE message_id = $1 RETURNING sha256")
            .bind(message_id).fetch_all(&mut *tx).await?;
        insert_audit!(&mut *tx, user, "ticket", found.ticket_id, "deleted", Some("note"), None::<&str>, None::<&str>, now).await?;
        Ok::<_, AppError>(released)
    }.await)?;

    super::files::release(db, files, &released).await?;
    find_message(db, message_id, Audience::Staff, user)
        .await?
        .map(|(_, m)| m)
        .ok_or_else(|| AppError::internal("a deleted note's marker is missing"))
}
