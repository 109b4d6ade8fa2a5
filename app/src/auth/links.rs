//! Links sent by email that work once: "verify your address" (after registering) and
//! "reset your password". Only the SHA-256 of a token is stored, so reading the
//! database does not give anyone a working link. Also registration itself, which
//! sends the first verification link in the same transaction as the new account.

use sha2::{Digest, Sha256};

use super::model::{Email, PersonName};
use super::store::UserRow;
use crate::db;
use crate::error::AppError;
use crate::mail::Outbox;
use crate::store::{is_unique_violation, now_ms, Db};

/// A verification link works for a week; a reset link for an hour.
pub const VERIFY_TTL_MS: i64 = 7 * 24 * 3_600_000;
pub const RESET_TTL_MS: i64 = 3_600_000;
/// "Resend the email" at most once a minute.
const RESEND_GAP_MS: i64 = 60_000;
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

fn verify_mail(name: &str, site_url: &str, raw: &str) -> (String, String) {
    (
        "Confirm your email address".to_string(),
        format!(
            "Hello {name},\n\nplease confirm your email address to submit and follow your requests:\n\n{site_url}/portal/verify?token={raw}\n\nThe link works once, for 7 days. If you did not register, ignore this email.\n"
        ),
    )
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

/// A customer's own account, unverified until the emailed link is opened. The
/// customer record with the same email (one an agent created) becomes theirs once
/// verified; without one, a record is created now.
pub async fn register_customer(
    db: &Db,
    outbox: &Outbox,
    name: &PersonName,
    email: &Email,
    password_hash: &str,
    site_url: &str,
) -> Result<i64, AppError> {
    let now = now_ms();
    let (raw, hash) = new_token();
    let (subject, body) = verify_mail(name.as_str(), site_url, &raw);
    let id = crate::write_tx!(db, tx => async {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at, verified_at)
             VALUES ($1, $2, 'customer', $3, TRUE, $4, $4, NULL) RETURNING id",
        )
        .bind(email.as_str()).bind(name.as_str()).bind(password_hash).bind(now)
        .fetch_one(&mut *tx).await
        .map_err(|e| {
            if is_unique_violation(&e, "users_email_key") {
                AppError::conflict(
                    "email",
                    "An account with this email already exists. Sign in, or use “Forgot password”.",
                )
            } else {
                e.into()
            }
        })?;
        sqlx::query(
            "INSERT INTO customers (name, email, company_id, created_at) VALUES ($1, $2, NULL, $3)
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(name.as_str()).bind(email.as_str()).bind(now)
        .execute(&mut *tx).await?;
        send_link!(tx, &hash, id, "verify", VERIFY_TTL_MS, now, email.as_str(), &subject, &body);
        crate::insert_audit!(&mut *tx, id, "user", id, "registered", Some("role"), None::<&str>, Some("customer"), now)
            .await?;
        Ok(id)
    }.await)?;
    outbox.wake();
    Ok(id)
}

/// Sends a new verification link (the old ones stop working). At most once a minute.
pub async fn resend_verification(
    db: &Db,
    outbox: &Outbox,
    user: &UserRow,
    site_url: &str,
) -> Result<(), AppError> {
    if user.verified_at.is_some() {
        return Ok(());
    }
    let now = now_ms();
    let last: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT created_at FROM email_tokens WHERE user_id = $1 AND purpose = 'verify' ORDER BY created_at DESC LIMIT 1"
    ).bind(user.id).fetch_optional(pool).await)?;
    if let Some(last) = last.filter(|t| now - t < RESEND_GAP_MS) {
        return Err(AppError::RateLimited {
            retry_after_secs: ((RESEND_GAP_MS - (now - last)) as u64).div_ceil(1000),
        });
    }
    let (raw, hash) = new_token();
    let (subject, body) = verify_mail(&user.name, site_url, &raw);
    crate::write_tx!(db, tx => async {
        sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'verify' AND used_at IS NULL")
            .bind(now).bind(user.id).execute(&mut *tx).await?;
        send_link!(tx, &hash, user.id, "verify", VERIFY_TTL_MS, now, user.email.as_str(), &subject, &body);
        Ok(())
    }.await)?;
    outbox.wake();
    Ok(())
}

fn link_spent() -> AppError {
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

/// Opens a verification link: the account is verified (once; the link then stops
/// working). Returns the account's id.
pub async fn verify_email(db: &Db, raw: &str) -> Result<i64, AppError> {
    let now = now_ms();
    let hash = hash_token(raw);
    let user: Option<i64> = crate::write_tx!(db, tx => async {
        let Some(user) = take_token!(&mut *tx, &hash, "verify", now).await? else {
            return Ok::<_, AppError>(None);
        };
        sqlx::query("UPDATE users SET verified_at = $1, updated_at = $1 WHERE id = $2 AND verified_at IS NULL")
            .bind(now).bind(user).execute(&mut *tx).await?;
        crate::insert_audit!(&mut *tx, user, "user", user, "verified", Some("email"), None::<&str>, None::<&str>, now)
            .await?;
        Ok(Some(user))
    }.await)?;
    user.ok_or_else(link_spent)
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
/// account. Returns the account's id.
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
        let (_, body) = verify_mail("Cora", "https://help.example.com", "abc");
        assert!(body.contains("https://help.example.com/portal/verify?token=abc"));
        let (_, body) = reset_mail("Cora", "https://help.example.com", "abc");
        assert!(body.contains("https://help.example.com/reset?token=abc"));
    }
}
