//! SQL for accounts and sign-in throttling.

use super::model::{CurrentUser, Email, PersonName, Role};
use crate::db;
use crate::error::AppError;
use crate::store::{is_unique_violation, now_ms, Db};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub active: bool,
    pub created_at: i64,
    /// None until a registered customer opens the verification link.
    pub verified_at: Option<i64>,
    pub sessions_after: i64,
}

impl UserRow {
    /// Roles come from a CHECK-constrained column; an unknown one would mean a
    /// corrupted row, which is treated as the least privileged role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Customer)
    }

    pub fn into_current(self) -> CurrentUser {
        let role = self.role();
        CurrentUser {
            id: self.id,
            name: self.name,
            email: self.email,
            role,
        }
    }
}

const USER_COLUMNS: &str =
    "id, email, name, role, password_hash, active, created_at, verified_at, sessions_after";

pub async fn find_user(db: &Db, id: i64) -> Result<Option<UserRow>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(db!(db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(pool).await)?)
}

pub async fn find_user_by_email(db: &Db, email: &Email) -> Result<Option<UserRow>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    Ok(
        db!(db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(email.as_str()).fetch_optional(pool).await)?,
    )
}

/// All accounts of the given roles, by name.
pub async fn list_users(db: &Db, roles: &[Role]) -> Result<Vec<UserRow>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY lower(name), id");
    let rows = db!(db, pool => sqlx::query_as::<_, UserRow>(&sql).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter(|r| roles.contains(&r.role()))
        .collect())
}

/// True while no admin account exists (the first-run `/setup` page is open).
pub async fn needs_setup(db: &Db) -> Result<bool, AppError> {
    let done: Option<String> = db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT value FROM app_settings WHERE key = 'setup_completed'"
    ).fetch_optional(pool).await)?;
    Ok(done.is_none())
}

/// The time zone `user`'s browser last reported (see `ui::time`).
pub async fn time_zone(db: &Db, user: i64) -> Result<Option<String>, AppError> {
    Ok(db!(db, pool => sqlx::query_scalar::<_, Option<String>>(
        "SELECT time_zone FROM users WHERE id = $1"
    ).bind(user).fetch_optional(pool).await)?
    .flatten())
}

/// Remembers `user`'s time zone (checked by the caller: `ui::time::known_zone`).
pub async fn set_time_zone(db: &Db, user: i64, zone: &str) -> Result<(), AppError> {
    crate::write_tx!(db, folded tx => async {
        let sql = tx.opening("UPDATE users SET time_zone = $1 WHERE id = $2");
        sqlx::query(&tx.closing(&sql)).bind(zone).bind(user).execute(&mut *tx).await?;
        Ok(())
    }.await)
}

pub struct NewUser<'a> {
    pub name: &'a PersonName,
    pub email: &'a Email,
    pub role: Role,
    pub password_hash: &'a str,
}

/// Creates an account and its audit row in one transaction. `first_admin` also
/// closes `/setup` for good; if another request closed it first, nothing is written
/// and the caller gets `NotFound` (the setup page is gone).
pub async fn create_user(
    db: &Db,
    new: NewUser<'_>,
    actor: Option<i64>,
    first_admin: bool,
) -> Result<i64, AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        if first_admin {
            let inserted = sqlx::query(
                "INSERT INTO app_settings (key, value, updated_at) VALUES ('setup_completed', 'true', $1)
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                // Another request closed /setup first: the page is gone.
                return Err(AppError::NotFound);
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at, verified_at)
             VALUES ($1, $2, $3, $4, TRUE, $5, $5, $5) RETURNING id",
        )
        .bind(new.email.as_str())
        .bind(new.name.as_str())
        .bind(new.role.as_str())
        .bind(new.password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "users_email_key") {
                AppError::conflict("email", "An account with this email already exists.")
            } else {
                e.into()
            }
        })?;
        crate::insert_audit!(&mut *tx, actor.unwrap_or(id), "user", id, "created", Some("role"), None::<&str>, Some(new.role.as_str()), now)
            .await?;
        Ok(id)
    }.await)
}

/// Changes one column of a user and writes its audit row, in one transaction.
async fn update_user_field(
    db: &Db,
    actor: i64,
    id: i64,
    field: &'static str,
    old: String,
    new: String,
) -> Result<(), AppError> {
    let now = now_ms();
    // `field` is one of two fixed column names chosen by this module, never input.
    let update = match field {
        "role" => "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3",
        "active" => "UPDATE users SET active = ($1 = 'true'), updated_at = $2 WHERE id = $3",
        _ => return Err(AppError::internal(format!("unknown user field {field}"))),
    };
    crate::write_tx!(db, tx => async {
        sqlx::query(update).bind(&new).bind(now).bind(id).execute(&mut *tx).await?;
        crate::insert_audit!(&mut *tx, actor, "user", id, "updated", Some(field), Some(old.as_str()), Some(new.as_str()), now)
            .await?;
        Ok(())
    }.await)?;
    Ok(())
}

pub async fn count_active_admins(db: &Db) -> Result<i64, AppError> {
    Ok(db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE"
    ).fetch_one(pool).await)?)
}

pub async fn set_role(db: &Db, actor: i64, user: &UserRow, role: Role) -> Result<(), AppError> {
    if user.role() == role {
        return Ok(());
    }
    update_user_field(
        db,
        actor,
        user.id,
        "role",
        user.role.clone(),
        role.as_str().to_string(),
    )
    .await
}

pub async fn set_active(db: &Db, actor: i64, user: &UserRow, active: bool) -> Result<(), AppError> {
    if user.active == active {
        return Ok(());
    }
    update_user_field(
        db,
        actor,
        user.id,
        "active",
        user.active.to_string(),
        active.to_string(),
    )
    .await
}

// ---- throttling -------------------------------------------------------------------

/// How many attempts are allowed within `window_secs`: `per_pair` for one key (an
/// email typed at sign-in, or a form's name) from one client address, and
/// `per_address` from one address whatever the key.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_pair: i64,
    pub per_address: i64,
    pub window_secs: i64,
}

/// Records an attempt of `key` from `ip` and answers whether it may go ahead:
/// `Err(seconds to wait)` when the pair or the address is over its limit. The attempt
/// is written first and counted after, so a burst of parallel attempts cannot all
/// pass a check made before any of them was recorded (the k-th to be written counts
/// at least k). A refused attempt is taken back again, so trying while throttled
/// does not extend the wait. An attempt that goes ahead stays recorded: a failure
/// is then already counted, and success calls [`forgive`].
pub async fn attempt(
    db: &Db,
    key: &str,
    ip: &str,
    limits: Limits,
) -> Result<Result<(), u64>, AppError> {
    let now = now_ms();
    let since = now - limits.window_secs * 1000;
    let id: i64 = crate::write_tx!(db, single conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO login_failures (email, ip, failed_at) VALUES ($1, $2, $3) RETURNING id"
    ).bind(key).bind(ip).bind(now).fetch_one(&mut *conn).await.map_err(AppError::from))?;
    let (pair, address): (i64, i64) = db!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND ip = $2 AND failed_at > $3),
                (SELECT COUNT(*) FROM login_failures WHERE ip = $2 AND failed_at > $3)"
    ).bind(key).bind(ip).bind(since).fetch_one(pool).await)?;
    if pair <= limits.per_pair && address <= limits.per_address {
        return Ok(Ok(()));
    }
    crate::write_tx!(db, single conn => sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(id).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
    Ok(Err(wait(db, key, ip, limits, now).await?))
}

/// How long (seconds) until the pair and the address are both under their limits:
/// for each, the attempt that must age out is the limit-th newest.
async fn wait(db: &Db, key: &str, ip: &str, limits: Limits, now: i64) -> Result<u64, AppError> {
    let since = now - limits.window_secs * 1000;
    let pair: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT failed_at FROM login_failures WHERE email = $1 AND ip = $2 AND failed_at > $3
         ORDER BY failed_at DESC LIMIT 1 OFFSET $4"
    ).bind(key).bind(ip).bind(since).bind(limits.per_pair - 1).fetch_optional(pool).await)?;
    let address: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT failed_at FROM login_failures WHERE ip = $1 AND failed_at > $2
         ORDER BY failed_at DESC LIMIT 1 OFFSET $3"
    ).bind(ip).bind(since).bind(limits.per_address - 1).fetch_optional(pool).await)?;
    let until = [pair, address]
        .into_iter()
        .flatten()
        .map(|t| t + limits.window_secs * 1000)
        .fold(now, i64::max);
    Ok(((until - now).max(1000) as u64).div_ceil(1000))
}

/// A successful sign-in forgives the attempts of that email from that address (and
/// only those: a stranger's failures elsewhere stay theirs).
pub async fn forgive(db: &Db, key: &str, ip: &str) -> Result<(), AppError> {
    crate::write_tx!(db, single conn => sqlx::query("DELETE FROM login_failures WHERE email = $1 AND ip = $2")
        .bind(key).bind(ip).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
    Ok(())
}

/// Stores `renewed` for `user` (the same password hashed with today's settings),
/// unless the hash changed meanwhile.
pub async fn renew_password_hash(
    db: &Db,
    user: i64,
    old: &str,
    renewed: &str,
) -> Result<(), AppError> {
    crate::write_tx!(db, single conn => sqlx::query(
        "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3"
    ).bind(renewed).bind(user).bind(old).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
    Ok(())
}

/// Forgets failures older than the window (run periodically).
pub async fn prune_failures(db: &Db, window_secs: i64) -> Result<u64, AppError> {
    let before = now_ms() - window_secs * 1000;
    let r = crate::write_tx!(db, single conn => sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
        .bind(before).execute(&mut *conn).await.map(|r| r.rows_affected()).map_err(AppError::from))?;
    Ok(r)
}

// ---- preferences ------------------------------------------------------------------

/// A choice `user_id` made that should follow them (e.g. `ticket_view` = `list`).
pub async fn preference(db: &Db, user_id: i64, name: &str) -> Result<Option<String>, AppError> {
    Ok(db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT value FROM user_preferences WHERE user_id = $1 AND name = $2"
    ).bind(user_id).bind(name).fetch_optional(pool).await)?)
}

pub async fn set_preference(
    db: &Db,
    user_id: i64,
    name: &str,
    value: &str,
) -> Result<(), AppError> {
    crate::write_tx!(db, single conn => sqlx::query(
        "INSERT INTO user_preferences (user_id, name, value) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value"
    ).bind(user_id).bind(name).bind(value).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
    Ok(())
}

/// The board or the list: the one a person chose last opens for them next time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketView {
    Board,
    List,
}

/// Saves `chosen` ("board" or "list", from a `view=` link) as the user's choice, and
/// returns the choice in force.
pub async fn remember_view(
    db: &Db,
    user_id: i64,
    chosen: Option<&str>,
) -> Result<TicketView, AppError> {
    const KEY: &str = "ticket_view";
    match chosen {
        Some("board") => {
            set_preference(db, user_id, KEY, "board").await?;
            Ok(TicketView::Board)
        }
        Some("list") => {
            set_preference(db, user_id, KEY, "list").await?;
            Ok(TicketView::List)
        }
        _ => Ok(match preference(db, user_id, KEY).await?.as_deref() {
            Some("list") => TicketView::List,
            _ => TicketView::Board,
        }),
    }
}
