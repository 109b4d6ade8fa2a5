//! The one error type of Grip. Every variant is safe to show a user: database and
//! internal failures are logged in full on the server and reach the browser only as
//! `Internal { request_id }`, so support can find the log line.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("That page or record does not exist.")]
    NotFound,
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// A sign-in that failed. Deliberately does not say which part was wrong.
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("Too many failed attempts. Please wait {} before trying again.", wait_text(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error(
        "Something went wrong on our side. If it keeps happening, quote request id {request_id}."
    )]
    Internal { request_id: String },
    /// The request never reached Grip's code, or its answer could not be read
    /// (network down, server restarting).
    #[error("Grip could not be reached. Check your connection and try again.")]
    Unreachable,
    /// Grip is up but its database is not (a Postgres server down or restarting).
    #[error("Grip cannot reach its database just now, so nothing was changed. Please try again in a few seconds.")]
    Unavailable,
    /// The database or its disk is full: the write was refused whole.
    #[error("Grip's storage is full, so this was not saved. Please tell your administrator.")]
    StorageFull,
}

/// "14 minutes", "1 minute", "30 seconds": how long a rate-limited user must wait.
pub fn wait_text(secs: u64) -> String {
    if secs >= 90 {
        let minutes = secs.div_ceil(60);
        format!("{minutes} minutes")
    } else if secs > 60 {
        "1 minute".into()
    } else {
        let s = secs.max(1);
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    }
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field this error belongs next to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } | AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message for `field`, when this error belongs next to it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        (self.field() == Some(field)).then(|| self.to_string())
    }

    /// HTTP status of this error, for server functions and routes.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::Conflict { .. } => 409,
            AppError::Validation { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Internal { .. } => 500,
            AppError::Unreachable | AppError::Unavailable => 503,
            AppError::StorageFull => 507,
        }
    }

    /// Logs an unexpected failure with its full detail and returns the fixed message
    /// that may be shown to the user.
    #[cfg(feature = "ssr")]
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let request_id = crate::state::current_request_id();
        tracing::error!(%request_id, error = %detail, "internal error");
        AppError::Internal { request_id }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Unreachable,
            // Arguments that do not even parse (a forged or truncated form) are a bad
            // request, not a server fault.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::validation("form", "The form was incomplete. Please fill it in again.")
            }
            #[cfg(feature = "ssr")]
            other => AppError::internal(other),
            #[cfg(not(feature = "ssr"))]
            _ => AppError::Internal {
                request_id: "-".into(),
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match database_fault(&e) {
            Some(fault) => {
                tracing::warn!(error = %e, "database unavailable or full");
                fault
            }
            None => AppError::internal(e),
        }
    }
}

/// A failure of the database itself rather than of the statement: no connection
/// (refused, cut, timed out waiting for one, the server shutting down or starting:
/// Postgres class 08 and 57P01–57P03) is [`AppError::Unavailable`]; a full database
/// or disk (SQLite's SQLITE_FULL, Postgres's 53100) is [`AppError::StorageFull`].
#[cfg(feature = "ssr")]
pub fn database_fault(e: &sqlx::Error) -> Option<AppError> {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Some(AppError::Unavailable),
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            if code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03") {
                Some(AppError::Unavailable)
            } else if matches!(code.as_ref(), "13" | "53100") {
                Some(AppError::StorageFull)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_text_rounds_up_to_whole_minutes() {
        assert_eq!(wait_text(14 * 60 + 5), "15 minutes");
        assert_eq!(wait_text(61), "1 minute");
        assert_eq!(wait_text(30), "30 seconds");
        assert_eq!(wait_text(0), "1 second");
    }

    #[test]
    fn field_errors_are_found_only_next_to_their_field() {
        let e = AppError::validation("email", "Enter an email address.");
        assert_eq!(
            e.message_for("email").as_deref(),
            Some("Enter an email address.")
        );
        assert_eq!(e.message_for("password"), None);
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn rate_limited_says_how_long_to_wait() {
        let e = AppError::RateLimited {
            retry_after_secs: 600,
        };
        assert!(e.to_string().contains("10 minutes"));
        assert_eq!(e.status(), 429);
    }
}
