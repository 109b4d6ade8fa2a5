//! Server functions for signing in and out and for first-run setup.

use leptos::prelude::*;

use super::model::SessionInfo;
use crate::error::AppError;

/// Who is signed in, and whether the installation still needs its first admin.
#[server(prefix = "/api", endpoint = "session")]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            let needs_setup = super::store::needs_setup(&state.db).await?;
            let user = super::session::current_user().await?;
            Ok(SessionInfo { user, needs_setup })
        }
        .await,
    )
}

/// Creates the first admin account and signs it in. Only while no admin exists;
/// afterwards it answers 404 like the page.
#[server(prefix = "/api", endpoint = "setup")]
pub async fn setup_admin(
    name: String,
    email: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    use super::model::{Email, NewPassword, PersonName, Role};
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            if !super::store::needs_setup(&state.db).await? {
                return Err(AppError::NotFound);
            }
            let name = PersonName::parse(&name)?;
            let email = Email::parse(&email)?;
            let password = NewPassword::parse(&password, &confirm)?;
            let hash = super::password::hash_password(password.expose().to_string()).await?;
            let new = super::store::NewUser {
                name: &name,
                email: &email,
                role: Role::Admin,
                password_hash: &hash,
            };
            let id = super::store::create_user(&state.db, new, None, true).await?;
            super::session::sign_in(id).await?;
            tracing::info!(user_id = id, "first admin created");
            Ok(crate::api::finish_form("/board"))
        }
        .await,
    )
}

/// Signs in with email and password. Returns where to go next.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use super::model::{safe_next, Email};
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            let ip = crate::state::client_ip();
            // Throttle on what was typed, normalised the same way accounts are stored, so
            // "Ada@x.com" and "ada@x.com" count together.
            let email_key = email.trim().to_lowercase();
            let s = &state.settings;
            if let Some(wait) = super::store::throttle_wait(
                &state.db,
                &email_key,
                &ip,
                s.login_max_failures,
                s.login_window_secs,
            )
            .await?
            {
                tracing::warn!(%ip, "sign-in throttled");
                return Err(AppError::RateLimited {
                    retry_after_secs: wait,
                });
            }
            let user = match Email::parse(&email) {
                Ok(e) => super::store::find_user_by_email(&state.db, &e).await?,
                Err(_) => None,
            };
            let hash = user
                .as_ref()
                .filter(|u| u.active)
                .map(|u| u.password_hash.clone());
            let ok = super::password::verify_password(password, hash).await?;
            let Some(user) = user.filter(|_| ok) else {
                super::store::record_failure(&state.db, &email_key, &ip).await?;
                return Err(AppError::InvalidCredentials);
            };
            super::store::clear_failures(&state.db, &email_key).await?;
            super::session::sign_in(user.id).await?;
            let home = user.role().home();
            let target = safe_next(next.as_deref())
                .filter(|n| user.role().is_staff() || n.starts_with("/portal"))
                .unwrap_or_else(|| home.to_string());
            tracing::info!(user_id = user.id, "signed in");
            Ok(crate::api::finish_form(&target))
        }
        .await,
    )
}

/// Signs out: the session is deleted on the server, not just forgotten by the browser.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<String, AppError> {
    crate::api::respond(
        async {
            super::session::sign_out().await?;
            Ok(crate::api::finish_form("/login"))
        }
        .await,
    )
}
