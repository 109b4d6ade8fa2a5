//! Server functions for signing in and out and for first-run setup.

use leptos::prelude::*;

use super::model::SessionInfo;
use crate::error::AppError;

/// Every request of a form anyone may send (`form`: registration, "forgot
/// password", using a reset link) counts against the client address:
/// `login_max_failures` per window, then 429 with how long to wait.
#[cfg(feature = "ssr")]
async fn limit_per_address(state: &crate::state::AppState, form: &str) -> Result<(), AppError> {
    let key = format!("{form}:{}", crate::state::client_ip());
    let s = &state.settings;
    let limits = super::store::Limits {
        per_pair: s.login_max_failures,
        per_address: s.login_max_failures,
        window_secs: s.login_window_secs,
    };
    super::store::attempt(&state.db, &key, &key, limits)
        .await?
        .map_err(|wait| AppError::RateLimited {
            retry_after_secs: wait,
        })
}

/// The password chosen on an emailed link's page (finishing a registration,
/// resetting a password), hashed: checked against the rules first, the use counted
/// against the client address, and a spent or made-up link (`usable` false) refused
/// before the slow hash.
#[cfg(feature = "ssr")]
async fn link_password(
    state: &crate::state::AppState,
    password: &str,
    confirm: &str,
    usable: impl std::future::Future<Output = Result<bool, AppError>>,
) -> Result<String, AppError> {
    let password = super::model::NewPassword::parse(password, confirm)?;
    limit_per_address(state, "link").await?;
    if !usable.await? {
        return Err(super::links::link_spent());
    }
    super::password::hash_password(password.expose().to_string()).await
}

/// Who is signed in, and whether the installation still needs its first admin.
#[server(prefix = "/api", endpoint = "session")]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            let needs_setup = super::store::needs_setup(&state.db).await?;
            let user = super::session::current_user().await?;
            let kept = super::session::kept_form().await?;
            let time_zone = match &user {
                Some(u) => super::store::time_zone(&state.db, u.id).await?,
                None => None,
            };
            Ok(SessionInfo {
                user,
                needs_setup,
                kept,
                time_zone,
            })
        }
        .await,
    )
}

/// Remembers the time zone the signed-in person's browser reports, so pages
/// rendered on the server show times in it. An unknown zone is refused.
#[server(prefix = "/api", endpoint = "account/time-zone")]
pub async fn remember_time_zone(zone: String) -> Result<(), AppError> {
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(crate::auth::policy::Access::SignedIn).await?;
            if !crate::ui::time::known_zone(&zone) {
                return Err(AppError::validation("zone", "This time zone is not known."));
            }
            super::store::set_time_zone(&state.db, user.id, &zone).await
        }
        .await,
    )
}

/// Creates the first admin from `/setup` and signs it in (only while no admin exists;
/// afterwards 404 like the page).
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

/// "Create an account" in the portal (`/portal/register`): a name and an email. The
/// answer is the same whether or not the email has an account; the emailed link
/// leads to the page where its owner chooses the password ([`finish_registration`]).
/// Throttled per client address; 404 while setup is pending.
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(name: String, email: String) -> Result<String, AppError> {
    use super::model::{Email, PersonName};
    use leptos::server_fn::ServerFn;
    let result = async {
        let state = crate::state::app_state()?;
        if super::store::needs_setup(&state.db).await? {
            return Err(AppError::NotFound);
        }
        let parsed_name = PersonName::parse(&name)?;
        let parsed_email = Email::parse(&email)?;
        limit_per_address(&state, "register").await?;
        super::links::start_registration(
            &state.db,
            &state.outbox,
            &parsed_name,
            &parsed_email,
            &state.settings.site_url,
        )
        .await?;
        Ok(crate::api::finish_form("/portal/register?sent=1"))
    }
    .await;
    crate::api::keep_if_refused(
        Register::PATH,
        &result,
        &[("name", &name), ("email", &email)],
    )
    .await;
    crate::api::respond(result)
}

/// Finishes a registration from its emailed link: sets the chosen password, confirms
/// the account and signs this browser in. Returns where to go.
#[server(prefix = "/api", endpoint = "register/finish")]
pub async fn finish_registration(
    token: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            let usable = async {
                Ok(super::links::registration_email(&state.db, &token)
                    .await?
                    .is_some())
            };
            let hash = link_password(&state, &password, &confirm, usable).await?;
            let id = super::links::finish_registration(&state.db, &token, &hash).await?;
            super::session::sign_in(id).await?;
            tracing::info!(user_id = id, "customer registered");
            Ok(crate::api::finish_form("/portal"))
        }
        .await,
    )
}

/// The email a registration link was sent to, while the link can be used (the page
/// that finishes the registration shows it).
#[server(prefix = "/api", endpoint = "register/check")]
pub async fn check_registration_link(token: String) -> Result<Option<String>, AppError> {
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            super::links::registration_email(&state.db, &token).await
        }
        .await,
    )
}

/// For an account the old registration left unconfirmed (its password chosen by
/// whoever typed the email): emails its address a registration link, whose page sets
/// the password anew (see `links::start_registration`).
#[server(prefix = "/api", endpoint = "verify/resend")]
pub async fn resend_verification() -> Result<String, AppError> {
    use super::model::{Email, PersonName};
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            let user = super::session::current_user()
                .await?
                .ok_or(AppError::Unauthorized)?;
            let row = super::store::find_user(&state.db, user.id)
                .await?
                .ok_or(AppError::Unauthorized)?;
            if row.verified_at.is_none() {
                super::links::start_registration(
                    &state.db,
                    &state.outbox,
                    &PersonName::parse(&row.name)?,
                    &Email::parse(&row.email)?,
                    &state.settings.site_url,
                )
                .await?;
            }
            Ok(crate::api::finish_form("/portal?resent=1"))
        }
        .await,
    )
}

/// "Forgot password": the same answer whether or not the email has an account.
#[server(prefix = "/api", endpoint = "password/forgot")]
pub async fn forgot_password(email: String) -> Result<String, AppError> {
    use super::model::Email;
    use leptos::server_fn::ServerFn;
    let result = async {
        let state = crate::state::app_state()?;
        let parsed = Email::parse(&email)?;
        limit_per_address(&state, "forgot").await?;
        super::links::request_reset(&state.db, &state.outbox, &parsed, &state.settings.site_url)
            .await?;
        Ok(crate::api::finish_form("/forgot?sent=1"))
    }
    .await;
    crate::api::keep_if_refused(ForgotPassword::PATH, &result, &[("email", &email)]).await;
    crate::api::respond(result)
}

/// Sets a new password from a reset link (once, within the hour), signs out every
/// other session of the account and signs this browser in.
#[server(prefix = "/api", endpoint = "password/reset")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            let usable = super::links::reset_link_usable(&state.db, &token);
            let hash = link_password(&state, &password, &confirm, usable).await?;
            let id = super::links::reset_password(&state.db, &token, &hash).await?;
            super::session::sign_in(id).await?;
            let home = super::store::find_user(&state.db, id)
                .await?
                .map(|u| u.role().home())
                .unwrap_or("/");
            tracing::info!(user_id = id, "password reset");
            Ok(crate::api::finish_form(home))
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
            // Counted per (email, address), so a stranger cannot lock the owner out,
            // and per address; recorded before the password is checked.
            let limits = super::store::Limits {
                per_pair: s.login_max_failures,
                per_address: s.login_max_failures * 3,
                window_secs: s.login_window_secs,
            };
            if let Err(wait) = super::store::attempt(&state.db, &email_key, &ip, limits).await? {
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
            let typed = password.clone();
            let ok = super::password::verify_password(password, hash).await?;
            let Some(user) = user.filter(|_| ok) else {
                // The attempt stays recorded: it was a failure.
                return Err(AppError::InvalidCredentials);
            };
            super::store::forgive(&state.db, &email_key, &ip).await?;
            if super::password::needs_rehash(&user.password_hash) {
                let renewed = super::password::hash_password(typed).await?;
                super::store::renew_password_hash(
                    &state.db,
                    user.id,
                    &user.password_hash,
                    &renewed,
                )
                .await?;
            }
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

/// Signs out: the session is deleted on the server, not just forgotten by the browser,
/// and the browser is told to clear what the site keeps in its storage (the drafts
/// kept there belong to the person signing out): `Clear-Site-Data: "storage"`, with
/// or without JavaScript, at no cost to the page's code.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<String, AppError> {
    crate::api::respond(
        async {
            super::session::sign_out().await?;
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.insert_header(
                    http::header::HeaderName::from_static("clear-site-data"),
                    http::HeaderValue::from_static("\"storage\""),
                );
            }
            Ok(crate::api::finish_form("/login"))
        }
        .await,
    )
}
