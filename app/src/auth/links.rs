//! Links sent by email that work once: "finish creating your account" (registration)
//! and "reset your password". Only the SHA-256 of a token is stored, so reading the
//! database does not give anyone a working link.

use sha2::{Digest, Sha256};

use super::model::{Email, PersonName};
use crate::db;
use crate::error::AppError;
use crate::mail::Outbox;
use crate::store::{now_ms, Db};

/// A reset link works for an hour.
pub const RESET_TTL_MS: i64 = 3_600_000;
/// At most this many reset emails per account per hour (the answer stays the same).
const RESETS_PER_HOUR: i64 = 3;

/// A new random token (what the link carries) and its hash (what is stored).
fn new_token() -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let raw: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = hash_token(&raw);
    (raw, hash)
}

pub fn hash_token(raw: &str) -> String {
    Sha256::digest(raw.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn reset_mail(name: &str, site_url: &str, raw: &str) -> (String, String) {
    (
        "Reset your password".to_string(),
        format!(
            "Hello {name},\n\nsomeone (hopefully you) asked to reset your password. Choose a new one here:\n\n{site_url}/reset?token={raw}\n\nThe link works once, for one hour, and signs you out everywhere else. If you did not ask, ignore this email: your password stays as it is.\n"
        ),
    )
}

/// Stores a new link's token hash for `user` (valid `ttl` ms from `now`) and queues
/// the email that carries it, on the caller's transaction.
macro_rules! send_link {
    ($tx:expr, $hash:expr, $user:expr, $purpose:expr, $ttl:expr, $now:expr, $to:expr, $subject:expr, $body:expr) => {{
        sqlx::query(
            "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind($hash).bind($user).bind($purpose).bind($now).bind($now + $ttl)
        .execute(&mut *$tx).await?;
        crate::enqueue_mail!(&mut *$tx, $to, $subject, $body, $now).await?;
    }};
}

/// A registration link works for two days.
pub const REGISTER_TTL_MS: i64 = 2 * 24 * 3_600_000;
/// At most this many registration emails to one address per hour (the answer stays
/// the same beyond it: nothing is sent).
const REGISTRATIONS_PER_HOUR: i64 = 3;

fn register_mail(name: &str, site_url: &str, raw: &str) -> (String, String) {
    (
        "Finish creating your account".to_string(),
        format!(
            "Hello {name},\n\nto finish creating your account, choose your password here:\n\n{site_url}/portal/verify?token={raw}\n\nThe link works once, for 2 days. If you did not ask for an account, ignore this email: nothing is created without it.\n"
        ),
    )
}

fn existing_account_mail(name: &str, site_url: &str) -> (String, String) {
    (
        "You already have an account".to_string(),
        format!(
            "Hello {name},\n\nsomeone (hopefully you) asked to create an account with this email, but it has one already. Sign in here:\n\n{site_url}/login\n\nForgot your password? Choose a new one here:\n\n{site_url}/forgot\n\nIf you did not ask, ignore this email: nothing has changed.\n"
        ),
    )
}

/// "Create an account" with a name and an email, and nothing else: no account
/// exists until the owner of the mailbox opens the emailed link and chooses a
/// password there ([`finish_registration`]), so nobody can register someone else's
/// address and sign in to it. An address that has an account already gets an email
/// saying so. The caller answers the same either way. Each attempt is recorded (for
/// the limit per address of [`REGISTRATIONS_PER_HOUR`]).
pub async fn start_registration(
    db: &Db,
    outbox: &Outbox,
    name: &PersonName,
    email: &Email,
    site_url: &str,
) -> Result<(), AppError> {
    let now = now_ms();
    let existing = super::store::find_user_by_email(db, email).await?;
    // A customer's account that was never confirmed (made by the old registration,
    // which asked for a password first) is finished by the link like a new one:
    // choosing the password there replaces the one typed at registration.
    let has_account = existing
        .as_ref()
        .is_some_and(|u| u.verified_at.is_some() || u.role().is_staff());
    let (raw, hash) = new_token();
    let (subject, body) = match &existing {
        Some(u) if has_account => existing_account_mail(&u.name, site_url),
        _ => register_mail(name.as_str(), site_url, &raw),
    };
    let sent = crate::write_tx!(db, tx => async {
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM registrations WHERE email = $1 AND created_at > $2",
        )
        .bind(email.as_str()).bind(now - 3_600_000)
        .fetch_one(&mut *tx).await?;
        if recent >= REGISTRATIONS_PER_HOUR {
            return Ok(false);
        }
        // An address with an account gets no working link: its row only counts.
        sqlx::query(
            "INSERT INTO registrations (token_hash, email, name, created_at, expires_at, used_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&hash).bind(email.as_str()).bind(name.as_str()).bind(now).bind(now + REGISTER_TTL_MS)
        .bind(has_account.then_some(now))
        .execute(&mut *tx).await?;
        crate::enqueue_mail!(&mut *tx, email.as_str(), &subject, &body, now).await?;
        Ok(true)
    }.await)?;
    if sent {
        outbox.wake();
    } else {
        tracing::warn!("registration asked for too often for one address: no email");
    }
    Ok(())
}

/// The address a registration link `raw` was sent to, while it can be used.
pub async fn registration_email(db: &Db, raw: &str) -> Result<Option<String>, AppError> {
    Ok(db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT email FROM registrations WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    ).bind(hash_token(raw)).bind(now_ms()).fetch_optional(pool).await)?)
}

/// Uses a registration link: the account is created (or a never-confirmed one is
/// finished) with the password chosen now, confirmed, and tied to the customer record
/// with its email (made if there is none). Every other link sent to the address stops
/// working. Returns the account's id.
pub async fn finish_registration(db: &Db, raw: &str, password_hash: &str) -> Result<i64, AppError> {
    let now = now_ms();
    let hash = hash_token(raw);
    crate::write_tx!(db, tx => async {
        let found: Option<(String, String)> = sqlx::query_as(
            "UPDATE registrations SET used_at = $1
              WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING email, name",
        )
        .bind(now).bind(&hash).fetch_optional(&mut *tx).await?;
        let Some((email, name)) = found else {
            return Err(link_spent());
        };
        sqlx::query("UPDATE registrations SET used_at = $1 WHERE email = $2 AND used_at IS NULL")
            .bind(now).bind(&email).execute(&mut *tx).await?;
        let existing: Option<(i64, Option<i64>, String)> =
            sqlx::query_as("SELECT id, verified_at, role FROM users WHERE email = $1")
                .bind(&email).fetch_optional(&mut *tx).await?;
        let id = match existing {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at, verified_at)
                     VALUES ($1, $2, 'customer', $3, TRUE, $4, $4, $4) RETURNING id",
                )
                .bind(&email).bind(&name).bind(password_hash).bind(now)
                .fetch_one(&mut *tx).await?;
                crate::insert_audit!(&mut *tx, id, "user", id, "registered", Some("role"), None::<&str>, Some("customer"), now)
                    .await?;
                id
            }
            Some((id, None, role)) if role == "customer" => {
                // Whoever typed the password at the old registration is signed out.
                sqlx::query(
                    "UPDATE users SET name = $1, password_hash = $2, verified_at = $3, sessions_after = $3, updated_at = $3
                      WHERE id = $4",
                )
                .bind(&name).bind(password_hash).bind(now).bind(id)
                .execute(&mut *tx).await?;
                crate::insert_audit!(&mut *tx, id, "user", id, "verified", Some("email"), None::<&str>, None::<&str>, now)
                    .await?;
                id
            }
            Some(_) => {
                return Err(AppError::conflict(
                    "token",
                    "An account with this email already exists. Sign in, or use “Forgot password”.",
                ));
            }
        };
        // The customer record this account is: the one that has the address (as its
        // primary or an alias), or a new one.
        let known: Option<i64> = sqlx::query_scalar("SELECT customer_id FROM customer_emails WHERE email = $1")
            .bind(&email).fetch_optional(&mut *tx).await?;
        if known.is_none() {
            let customer: i64 = sqlx::query_scalar(
                "INSERT INTO customers (name, email, company_id, created_at, updated_at) VALUES ($1, $2, NULL, $3, $3)
                 RETURNING id",
            )
            .bind(&name).bind(&email).bind(now)
            .fetch_one(&mut *tx).await?;
            crate::add_customer_email!(tx, &email, customer, now).await?;
        }
        Ok(id)
    }.await)
}

/// The answer to a link that was used, expired or never existed.
pub fn link_spent() -> AppError {
    AppError::validation(
        "token",
        "This link has expired or was already used. Ask for a new one.",
    )
}

/// Uses a link: marks the token used if it is unused, unexpired and of `purpose`, and
/// returns its account, inside the caller's transaction.
macro_rules! take_token {
    ($tx:expr, $hash:expr, $purpose:expr, $now:expr) => {
        sqlx::query_scalar::<_, i64>(
            "UPDATE email_tokens SET used_at = $1
              WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind($now)
        .bind($hash)
        .bind($purpose)
        .fetch_optional($tx)
    };
}

/// "Forgot password": emails a reset link when an active account has this email;
/// does nothing otherwise. The caller answers the same either way.
pub async fn request_reset(
    db: &Db,
    outbox: &Outbox,
    email: &Email,
    site_url: &str,
) -> Result<(), AppError> {
    let Some(user) = super::store::find_user_by_email(db, email).await? else {
        return Ok(());
    };
    if !user.active {
        return Ok(());
    }
    let now = now_ms();
    let recent: i64 = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM email_tokens WHERE user_id = $1 AND purpose = 'reset' AND created_at > $2"
    ).bind(user.id).bind(now - 3_600_000).fetch_one(pool).await)?;
    if recent >= RESETS_PER_HOUR {
        tracing::warn!(
            user_id = user.id,
            "password reset requested too often: no email"
        );
        return Ok(());
    }
    let (raw, hash) = new_token();
    let (subject, body) = reset_mail(&user.name, site_url, &raw);
    crate::write_tx!(db, tx => async {
        send_link!(tx, &hash, user.id, "reset", RESET_TTL_MS, now, user.email.as_str(), &subject, &body);
        Ok(())
    }.await)?;
    outbox.wake();
    Ok(())
}

/// True while a reset link can still be used (the page shows the form, or says why not).
pub async fn reset_link_usable(db: &Db, raw: &str) -> Result<bool, AppError> {
    let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = 'reset' AND used_at IS NULL AND expires_at > $2"
    ).bind(hash_token(raw)).bind(now_ms()).fetch_optional(pool).await)?;
    Ok(found.is_some())
}

/// Uses a reset link: sets the new password, voids every session signed in before
/// now (the caller then signs this browser in) and every other reset link of the
/// account, and forgives its failed sign-ins. Returns the account's id.
pub async fn reset_password(db: &Db, raw: &str, password_hash: &str) -> Result<i64, AppError> {
    let now = now_ms();
    let hash = hash_token(raw);
    let user: Option<i64> = crate::write_tx!(db, tx => async {
        let Some(user) = take_token!(&mut *tx, &hash, "reset", now).await? else {
            return Ok::<_, AppError>(None);
        };
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $1, sessions_after = $2, updated_at = $2 WHERE id = $3 AND active = TRUE",
        )
        .bind(password_hash).bind(now).bind(user).execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'reset' AND used_at IS NULL")
            .bind(now).bind(user).execute(&mut *tx).await?;
        // The link proved the mailbox: failed sign-ins for the account, from any
        // address, are forgiven (an owner locked out gets back in this way).
        sqlx::query("DELETE FROM login_failures WHERE email = (SELECT email FROM users WHERE id = $1)")
            .bind(user).execute(&mut *tx).await?;
        crate::insert_audit!(&mut *tx, user, "user", user, "updated", Some("password"), None::<&str>, None::<&str>, now)
            .await?;
        Ok(Some(user))
    }.await)?;
    user.ok_or_else(link_spent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_only_as_hashes() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(a, ha);
        assert_eq!(hash_token(&a), ha);
        assert_eq!(hash_token(&format!(" {a}\n")), ha);
    }

    #[test]
    fn mails_carry_the_link_under_the_configured_address() {
        let (_, body) = register_mail("Cora", "https://help.example.com", "abc");
        assert!(body.contains("https://help.example.com/portal/verify?token=abc"));
        let (_, body) = reset_mail("Cora", "https://help.example.com", "abc");
        assert!(body.contains("https://help.example.com/reset?token=abc"));
    }
}
