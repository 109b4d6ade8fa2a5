//! The signed-in user, kept in a tower-sessions session stored in Grip's database.

use tower_sessions::Session;

use super::model::{CurrentUser, KeptForm};
use crate::error::AppError;
use crate::state::app_state;

const USER_ID_KEY: &str = "user_id";
/// When this session was signed in (epoch ms): a password reset voids every session
/// signed in before it (`users.sessions_after`).
const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// When this session was last marked active (epoch ms); see [`keep_alive`].
const ACTIVE_AT_KEY: &str = "active_at";
/// What was typed in the last form refused without JavaScript ([`KeptForm`]).
const KEPT_FORM_KEY: &str = "kept_form";

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
    user_of(&session, &state.db, state.settings.session_idle_minutes).await
}

/// The user of a session, for routes outside Leptos (attachments) that get the
/// session from axum directly. The same rule as [`current_user`].
pub async fn user_of(
    session: &Session,
    db: &crate::store::Db,
    idle_minutes: i64,
) -> Result<Option<CurrentUser>, AppError> {
    let id: Option<i64> = session.get(USER_ID_KEY).await.map_err(AppError::internal)?;
    let Some(id) = id else { return Ok(None) };
    let signed_in_at: i64 = session
        .get(SIGNED_IN_AT_KEY)
        .await
        .map_err(AppError::internal)?
        .unwrap_or(0);
    match super::store::find_user(db, id).await? {
        Some(u) if u.active && signed_in_at >= u.sessions_after => {
            keep_alive(session, signed_in_at, idle_minutes).await?;
            Ok(Some(u.into_current()))
        }
        _ => Ok(None),
    }
}

/// Sessions end after `idle_minutes` without a request, but the session store only
/// moves a session's expiry when the session is saved, and an unchanged session is not
/// saved: without this, a person working every day was signed out `idle_minutes` after
/// signing in. So a request marks the session active (and so saves it, with a new
/// expiry and cookie) once the last mark is older than [`refresh_after_ms`] — a write
/// now and then, not one per request.
async fn keep_alive(
    session: &Session,
    signed_in_at: i64,
    idle_minutes: i64,
) -> Result<(), AppError> {
    let now = crate::store::now_ms();
    let active_at: i64 = session
        .get(ACTIVE_AT_KEY)
        .await
        .map_err(AppError::internal)?
        .unwrap_or(signed_in_at);
    if now - active_at >= refresh_after_ms(idle_minutes) {
        session
            .insert(ACTIVE_AT_KEY, now)
            .await
            .map_err(AppError::internal)?;
    }
    Ok(())
}

/// How old the last activity mark may get before a request renews it: a 24th of the
/// idle time (so a session never ends more than ~4 % early), between one minute and
/// one hour.
fn refresh_after_ms(idle_minutes: i64) -> i64 {
    (idle_minutes.saturating_mul(60_000) / 24).clamp(60_000, 3_600_000)
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

/// Keeps what was typed in a form refused without JavaScript (posted to `path`), in
/// the session of `session`, for the page the browser is sent back to.
pub async fn keep_form_in(
    session: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> Result<(), AppError> {
    let kept = KeptForm {
        path: path.to_string(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        at: crate::store::now_ms(),
    };
    session
        .insert(KEPT_FORM_KEY, kept)
        .await
        .map_err(AppError::internal)
}

/// [`keep_form_in`] this request's session (no session layer: nothing is kept).
pub async fn keep_form(path: &str, fields: &[(&str, &str)]) -> Result<(), AppError> {
    match session().await {
        Ok(session) => keep_form_in(&session, path, fields).await,
        Err(_) => Ok(()),
    }
}

/// The form kept in `session`, while it is fresh. It is not removed on reading (the
/// page and its data are read by more than one call of the same page load): a later
/// refusal replaces it, it goes stale after [`KeptForm::FRESH_MS`], sign-out deletes
/// it, and a page only uses it while its address names that refusal.
pub async fn kept_form_in(session: &Session) -> Result<Option<KeptForm>, AppError> {
    let kept: Option<KeptForm> = session
        .get(KEPT_FORM_KEY)
        .await
        .map_err(AppError::internal)?;
    Ok(kept.filter(|k| crate::store::now_ms() - k.at <= KeptForm::FRESH_MS))
}

/// [`kept_form_in`] this request's session.
pub async fn kept_form() -> Result<Option<KeptForm>, AppError> {
    match session().await {
        Ok(session) => kept_form_in(&session).await,
        Err(_) => Ok(None),
    }
}

/// Ends the session and deletes it from the store.
pub async fn sign_out() -> Result<(), AppError> {
    let session = session().await?;
    session.flush().await.map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::refresh_after_ms;

    #[test]
    fn activity_is_renewed_a_24th_of_the_idle_time_after_the_last_mark_within_bounds() {
        // A week of idle time: renewed at most hourly.
        assert_eq!(refresh_after_ms(7 * 24 * 60), 3_600_000);
        // Two hours: every five minutes.
        assert_eq!(refresh_after_ms(120), 300_000);
        // Ten minutes: not more often than once a minute.
        assert_eq!(refresh_after_ms(10), 60_000);
        assert_eq!(refresh_after_ms(i64::MAX), 3_600_000);
    }
}
