//! Server functions behind Admin → People. Admins only.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::error::AppError;

/// One account as the admin list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub created_at: i64,
}

/// Every staff account (customers are managed on the customer pages).
#[server(prefix = "/api", endpoint = "admin/people")]
pub async fn list_people() -> Result<Vec<Person>, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            require_user(Access::Admin).await?;
            let state = crate::state::app_state()?;
            let rows = crate::auth::store::list_users(&state.db, &Role::STAFF).await?;
            Ok(rows
                .into_iter()
                .map(|r| Person {
                    role: r.role(),
                    id: r.id,
                    name: r.name,
                    email: r.email,
                    active: r.active,
                    created_at: r.created_at,
                })
                .collect())
        }
        .await,
    )
}

/// Creates a staff account (agent, lead or admin) with an initial password.
#[server(prefix = "/api", endpoint = "admin/people/create")]
pub async fn create_person(
    name: String,
    email: String,
    role: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    use crate::auth::model::{Email, NewPassword, PersonName};
    use crate::auth::policy::Access;
    let typed = [
        ("name", name.clone()),
        ("email", email.clone()),
        ("role", role.clone()),
    ];
    let result = crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            let name = PersonName::parse(&name)?;
            let email = Email::parse(&email)?;
            let role = Role::parse(&role)?;
            if !role.is_staff() {
                return Err(AppError::validation(
                    "role",
                    "Staff accounts are agents, team leads or admins.",
                ));
            }
            let password = NewPassword::parse(&password, &confirm)?;
            let hash = crate::auth::password::hash_password(password.expose().to_string()).await?;
            let new = crate::auth::store::NewUser {
                name: &name,
                email: &email,
                role,
                password_hash: &hash,
            };
            let id = crate::auth::store::create_user(&state.db, new, Some(admin.id), false).await?;
            // New staff join the default team until Admin → Teams places them elsewhere.
            let team = crate::teams::store::default_team_id(&state.db).await?;
            crate::teams::store::add_member(&state.db, team, id).await?;
            tracing::info!(
                actor = admin.id,
                user_id = id,
                role = role.as_str(),
                "account created"
            );
            Ok(crate::api::finish_form(&format!(
                "/admin/people?created={}",
                crate::ui::encode_query_value(&format!(
                    "{} can now sign in as {}.",
                    name.as_str(),
                    role.label()
                ))
            )))
        }
        .await,
    );
    match result {
        // A plain form post goes back to the page with the message by its field and
        // what was typed (never the passwords).
        Err(e)
            if crate::api::is_plain_form_post()
                && !matches!(e, AppError::Unauthorized | AppError::Forbidden) =>
        {
            let typed: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
            crate::api::refuse_form("/api/admin/people/create", e, &typed).await
        }
        other => other,
    }
}

#[cfg(feature = "ssr")]
async fn load_other_person(
    admin_id: i64,
    user_id: i64,
) -> Result<crate::auth::store::UserRow, AppError> {
    let state = crate::state::app_state()?;
    let user = crate::auth::store::find_user(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.role().is_staff() {
        return Err(AppError::NotFound);
    }
    if user.id == admin_id {
        return Err(AppError::validation(
            "person",
            "You cannot change your own account here; ask another admin.",
        ));
    }
    Ok(user)
}

/// Gives a staff account another role.
#[server(prefix = "/api", endpoint = "admin/people/role")]
pub async fn change_role(user_id: i64, role: String) -> Result<(), AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            let role = Role::parse(&role)?;
            if !role.is_staff() {
                return Err(AppError::validation(
                    "role",
                    "Staff accounts are agents, team leads or admins.",
                ));
            }
            let user = load_other_person(admin.id, user_id).await?;
            crate::auth::store::set_role(&state.db, admin.id, &user, role).await
        }
        .await,
    )
}

/// Deactivates (signs out for good, keeps the history) or reactivates an account.
#[server(prefix = "/api", endpoint = "admin/people/active")]
pub async fn set_person_active(user_id: i64, active: bool) -> Result<(), AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            let user = load_other_person(admin.id, user_id).await?;
            crate::auth::store::set_active(&state.db, admin.id, &user, active).await
        }
        .await,
    )
}

/// Admin → Outbox: every email Grip sends, newest first, 50 at a time (`before`: the
/// last id of the page before).
#[server(prefix = "/api", endpoint = "admin/outbox")]
pub async fn outbox(before: Option<i64>) -> Result<Vec<crate::mail::OutboxMail>, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            require_user(Access::Admin).await?;
            let state = crate::state::app_state()?;
            crate::mail::list(&state.db, before, OUTBOX_PAGE).await
        }
        .await,
    )
}

/// How many emails one page of Admin → Outbox lists.
pub const OUTBOX_PAGE: i64 = 50;
