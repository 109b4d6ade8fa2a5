//! Outgoing mail. Every email Grip sends is first a row in `outbox`, written in the
//! same transaction as what caused it (a registration, a reply), so a mail is never
//! promised for something that did not happen and never lost for something that did.
//! The server's delivery task (`Outbox::wake` nudges it) sends pending rows over SMTP
//! when one is configured, retrying with back-off; without SMTP the rows are kept
//! for admins to read in Admin → Outbox. Nothing here waits for a mail server.
//!
//! A mail that carries a link that works once (finish registering, reset a password)
//! is a secret until it is used: once the mail is sent, the link's token is removed
//! from the stored copy ([`redact_links`]), and Admin → Outbox never shows one.

use serde::{Deserialize, Serialize};

/// One row of the outbox, as Admin → Outbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The text every link's token is replaced with where a mail is stored or shown.
pub const REMOVED: &str = "(removed)";

/// `body` with the token of every link in it (`token=<hex>`) replaced by
/// [`REMOVED`]. (Hand-written: it recognises the one link format Grip itself writes,
/// `…?token=` and 64 hex digits, where a regex crate would be a dependency for a loop.)
pub fn redact_links(body: &str) -> String {
    const KEY: &str = "token=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex > 0 {
            out.push_str(REMOVED);
        }
        rest = &after[hex..];
    }
    out.push_str(rest);
    out
}

/// Queues one email on the executor given (a transaction):
/// `enqueue_mail!(&mut *tx, to, subject, body, now)`. Ring `Outbox::wake` after
/// commit.
#[cfg(feature = "ssr")]
#[macro_export]
macro_rules! enqueue_mail {
    ($exec:expr, $to:expr, $subject:expr, $body:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO outbox (to_addr, subject, body, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
        )
        .bind($to)
        .bind($subject)
        .bind($body)
        .bind($now)
        .execute($exec)
    };
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::OutboxMail;
    use crate::db;
    use crate::error::AppError;
    use crate::store::Db;

    /// The outbox's bell, one per application state (see `AppState::outbox`): a write
    /// that queued mail rings it once committed, and the delivery task wakes at once
    /// instead of at its next round.
    #[derive(Clone, Debug, Default)]
    pub struct Outbox {
        bell: std::sync::Arc<tokio::sync::Notify>,
    }

    impl Outbox {
        /// Tells the delivery task that new mail is waiting (after the transaction that
        /// queued it committed).
        pub fn wake(&self) {
            self.bell.notify_one();
        }

        /// Waits until [`Outbox::wake`] is called (the delivery task also wakes on a
        /// timer).
        pub async fn rung(&self) {
            self.bell.notified().await
        }
    }

    /// A pending mail the delivery task should try now.
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct DueMail {
        pub id: i64,
        pub to_addr: String,
        pub subject: String,
        pub body: String,
        pub attempts: i64,
    }

    pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<DueMail>, AppError> {
        Ok(db!(db, pool => sqlx::query_as::<_, DueMail>(
            "SELECT id, to_addr, subject, body, attempts FROM outbox
              WHERE status = 'pending' AND next_attempt_at <= $1
              ORDER BY next_attempt_at, id LIMIT $2"
        ).bind(now).bind(limit).fetch_all(pool).await)?)
    }

    /// How long to wait before attempt `attempts + 1`: 1, 2, 4, … minutes, at most an
    /// hour. After [`MAX_ATTEMPTS`] the mail is given up as `failed`.
    pub fn backoff_ms(attempts: i64) -> i64 {
        let minutes = 1i64 << attempts.clamp(0, 6);
        minutes.min(60) * 60_000
    }

    pub const MAX_ATTEMPTS: i64 = 10;

    /// The mail went out: marked sent, and its stored copy keeps no working link.
    pub async fn mark_sent(db: &Db, mail: &DueMail, now: i64) -> Result<(), AppError> {
        let body = super::redact_links(&mail.body);
        crate::write_tx!(db, single conn => sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL, body = $2
              WHERE id = $3"
        ).bind(now).bind(&body).bind(mail.id).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
        Ok(())
    }

    /// No SMTP server is configured: the mail stays in the outbox for admins to read.
    pub async fn mark_kept(db: &Db, id: i64) -> Result<(), AppError> {
        crate::write_tx!(db, single conn => sqlx::query("UPDATE outbox SET status = 'kept' WHERE id = $1")
            .bind(id).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
        Ok(())
    }

    /// A send failed: try again after the back-off, or give up after the last attempt.
    pub async fn mark_failed(
        db: &Db,
        mail: &DueMail,
        error: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let attempts = mail.attempts + 1;
        let status = if attempts >= MAX_ATTEMPTS {
            "failed"
        } else {
            "pending"
        };
        crate::write_tx!(db, single conn => sqlx::query(
            "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $5"
        ).bind(status).bind(attempts).bind(now + backoff_ms(mail.attempts)).bind(error).bind(mail.id)
            .execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
        Ok(())
    }

    #[derive(sqlx::FromRow)]
    struct OutboxRow {
        id: i64,
        to_addr: String,
        subject: String,
        body: String,
        status: String,
        attempts: i64,
        last_error: Option<String>,
        created_at: i64,
        sent_at: Option<i64>,
    }

    /// The newest mail first, paged by id (`before`: the last id of the previous page).
    pub async fn list(
        db: &Db,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, AppError> {
        let rows = db!(db, pool => sqlx::query_as::<_, OutboxRow>(
            "SELECT id, to_addr, subject, body, status, attempts, last_error, created_at, sent_at
               FROM outbox WHERE id < $1 ORDER BY id DESC LIMIT $2"
        ).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxMail {
                id: r.id,
                to_addr: r.to_addr,
                subject: r.subject,
                // A mail not sent yet (or kept) still holds its link: never shown.
                body: super::redact_links(&r.body),
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: r.created_at,
                sent_at: r.sent_at,
            })
            .collect())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn links_lose_their_tokens_and_nothing_else() {
        let token = "0123456789abcdef".repeat(4);
        let body = format!("Hello,\n\nhttps://h.example/reset?token={token}\n\nBye, token=\n");
        let shown = redact_links(&body);
        assert!(!shown.contains(&token));
        assert_eq!(
            shown,
            "Hello,\n\nhttps://h.example/reset?token=(removed)\n\nBye, token=\n"
        );
        assert_eq!(redact_links("no link here"), "no link here");
    }

    #[test]
    fn retries_back_off_up_to_an_hour() {
        assert_eq!(backoff_ms(0), 60_000);
        assert_eq!(backoff_ms(1), 120_000);
        assert_eq!(backoff_ms(5), 32 * 60_000);
        assert_eq!(backoff_ms(9), 60 * 60_000);
    }
}
