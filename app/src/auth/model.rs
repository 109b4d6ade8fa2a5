//! Account types shared by browser and server, with their validation. The same
//! `parse` functions run in the browser as the user types and on the server before
//! anything is written.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Lead,
    Agent,
    Customer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Lead, Role::Agent, Role::Customer];
    /// Roles an admin may give a staff account.
    pub const STAFF: [Role; 3] = [Role::Agent, Role::Lead, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Lead => "lead",
            Role::Agent => "agent",
            Role::Customer => "customer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Lead => "Team lead",
            Role::Agent => "Agent",
            Role::Customer => "Customer",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AppError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| AppError::validation("role", "Choose a role."))
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Customer)
    }

    /// Where this role lands after signing in.
    pub fn home(self) -> &'static str {
        if self.is_staff() {
            "/board"
        } else {
            "/portal"
        }
    }
}

/// The signed-in person, as the browser sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn initials(&self) -> String {
        self.name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect()
    }
}

/// What every page needs to know before it renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<CurrentUser>,
    /// No admin exists yet: every page leads to `/setup`.
    pub needs_setup: bool,
    /// What was typed in the last form refused without JavaScript (see [`KeptForm`]).
    pub kept: Option<KeptForm>,
    /// The signed-in person's time zone as their browser last reported it (an IANA
    /// name), in which pages show times (`ui::time`).
    pub time_zone: Option<String>,
}

pub use crate::ui::KeptForm;

/// An email address, trimmed and lower-cased (emails are unique case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, AppError> {
        let s = raw.trim().to_lowercase();
        let invalid =
            || AppError::validation("email", "Enter an email address like name@example.com.");
        if s.is_empty() {
            return Err(AppError::validation("email", "Enter an email address."));
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.contains('@') || domain.len() < 3 || !domain.contains('.') {
            return Err(invalid());
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(invalid());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<PersonName, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(AppError::validation("name", "Enter a name."));
        }
        if s.chars().count() > Self::MAX {
            return Err(AppError::validation(
                "name",
                format!("Use at most {} characters.", Self::MAX),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(AppError::validation(
                "name",
                "The name contains characters that cannot be shown.",
            ));
        }
        Ok(PersonName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: at least 12 characters. The upper bound keeps hashing cheap for
/// the server whatever a client sends.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub const MIN: usize = 12;
    pub const MAX: usize = 1024;

    pub fn parse(password: &str, confirm: &str) -> Result<NewPassword, AppError> {
        if let Some(message) = password_problem(password) {
            return Err(AppError::validation("password", message));
        }
        if let Some(message) = confirm_problem(password, confirm) {
            return Err(AppError::validation("confirm", message));
        }
        Ok(NewPassword(password.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What is wrong with a name as typed so far (None while empty or fine): the check a
/// form runs as the person types, with the server's rule.
pub fn name_problem(typed: &str) -> Option<String> {
    (!typed.is_empty())
        .then(|| PersonName::parse(typed).err().map(|e| e.to_string()))
        .flatten()
}

/// What is wrong with an email as typed so far: said only once it looks like an
/// address (an `@` with something after it), with the server's rule.
pub fn email_problem(typed: &str) -> Option<String> {
    (typed.contains('@') && !typed.ends_with('@'))
        .then(|| Email::parse(typed).err().map(|e| e.to_string()))
        .flatten()
}

/// What is wrong with a new password, if anything (used live while typing).
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n == 0 {
        Some(format!(
            "Choose a password of at least {} characters.",
            NewPassword::MIN
        ))
    } else if n < NewPassword::MIN {
        let more = NewPassword::MIN - n;
        Some(format!(
            "Use at least {} characters ({more} more).",
            NewPassword::MIN
        ))
    } else if n > NewPassword::MAX {
        Some(format!("Use at most {} characters.", NewPassword::MAX))
    } else {
        None
    }
}

/// What is wrong with the confirmation of a new password, if anything.
pub fn confirm_problem(password: &str, confirm: &str) -> Option<String> {
    if confirm.is_empty() {
        Some("Type the password again.".into())
    } else if password != confirm {
        Some("The passwords do not match.".into())
    } else {
        None
    }
}

/// Keeps a post-sign-in destination on this site: a local path only, so a crafted
/// `?next=` cannot send people elsewhere.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let local = n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\");
    let clean = !n.chars().any(|c| c.is_control() || c == '\\');
    (local && clean && n.len() <= 2000 && !n.starts_with("/login") && !n.starts_with("/setup"))
        .then(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn an_email_without_at_sign_is_rejected() {
        assert!(Email::parse("ada.example.com").is_err());
    }

    #[test]
    fn an_email_without_a_dotted_domain_is_rejected() {
        for bad in [
            "ada@",
            "@example.com",
            "ada@localhost",
            "ada@.com",
            "ada@example..com",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn a_password_shorter_than_twelve_characters_is_rejected_with_how_many_more() {
        let e = NewPassword::parse("short", "short").unwrap_err();
        assert_eq!(
            e.message_for("password").unwrap(),
            "Use at least 12 characters (7 more)."
        );
    }

    #[test]
    fn a_mismatched_confirmation_is_reported_on_the_confirm_field() {
        let e = NewPassword::parse("correct horse battery", "correct horse").unwrap_err();
        assert!(e.message_for("confirm").is_some());
    }

    #[test]
    fn a_long_enough_matching_password_is_accepted() {
        assert!(NewPassword::parse("correct horse battery", "correct horse battery").is_ok());
    }

    #[test]
    fn a_new_password_is_never_printed() {
        let p = NewPassword::parse("correct horse battery", "correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn a_blank_or_overlong_name_is_rejected() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert_eq!(
            PersonName::parse(" Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn next_only_accepts_local_paths() {
        assert_eq!(
            safe_next(Some("/board?team=2")).as_deref(),
            Some("/board?team=2")
        );
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("/login")), None);
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn roles_round_trip_and_land_on_their_home() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(Role::Customer.home(), "/portal");
        assert_eq!(Role::Agent.home(), "/board");
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn initials_come_from_the_first_two_words() {
        let u = CurrentUser {
            id: 1,
            name: "ada byron lovelace".into(),
            email: "a@b.co".into(),
            role: Role::Agent,
        };
        assert_eq!(u.initials(), "AB");
    }
}
