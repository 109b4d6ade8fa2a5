//! The signed-in user, kept in a tower-sessions session stored in Grip's database.

use tower_sessions::Session;

use super::model::CurrentUser;
use crate::error::AppError;
use crate::state::app_state;

const USER_ID_KEY: &str = "user_id";
/// When this session was signed in (epoch ms): a password reset voids every session
/// signed in before it (`users.sessions_after`).
const SIGNED_IN_AT_KEY: &str = "signed_in_at";

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// The user of this request's session, if the account still exists and is active.
/// Loaded from the database on every request so a deactivation or role change takes
/// effect at once.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    let Ok(session) = session().await else {
        // No session layer (e.g. a route outside it): nobody is signed in.
        return Ok(None);
    };
    let state = app_state()?;
    user_of(&session, &state.db).await
}

/// The user of a session, for routes outside Leptos (attachments) that get the
/// session from axum directly. The same rule as [`current_user`].
pub async fn user_of(
    session: &Session,
    db: &crate::store::Db,
) -> Result<Option<CurrentUser>, AppError> {
    let id: Option<i64> = session.get(USER_ID_KEY).await.map_err(AppError::internal)?;
    let Some(id) = id else { return Ok(None) };
    let signed_in_at: i64 = session
        .get(SIGNED_IN_AT_KEY)
        .await
        .map_err(AppError::internal)?
        .unwrap_or(0);
    match super::store::find_user(db, id).await? {
        Some(u) if u.active && signed_in_at >= u.sessions_after => Ok(Some(u.into_current())),
        _ => Ok(None),
    }
}

/// Starts a signed-in session. The session id is cycled so an id planted before
/// sign-in is worthless after it.
pub async fn sign_in(user_id: i64) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(AppError::internal)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(AppError::internal)?;
    session
        .insert(SIGNED_IN_AT_KEY, crate::store::now_ms())
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

/// Ends the session and deletes it from the store.
pub async fn sign_out() -> Result<(), AppError> {
    let session = session().await?;
    session.flush().await.map_err(AppError::internal)
}
