//! What the portal shows (its viewer, tickets and lists) and its form rules, shared
//! by the browser (as the customer types) and the server (before anything is
//! written).

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::tickets::conversation::model::MessageBody;
use crate::tickets::model::TicketTitle;

/// A new request's description: a message body, with the portal's own words for an
/// empty one (decided on the input, not on the body rule's message).
pub fn request_description(raw: &str) -> Result<MessageBody, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::validation(
            "description",
            "Describe what you need help with.",
        ));
    }
    MessageBody::parse(raw).map_err(|e| {
        AppError::validation(
            "description",
            e.message_for("body").unwrap_or_else(|| e.to_string()),
        )
    })
}

/// The message for one field of a portal form as typed so far (None: fine).
pub fn field_problem(field: &str, value: &str) -> Option<String> {
    let result = match field {
        "title" => TicketTitle::parse(value).map(|_| ()),
        "description" => request_description(value).map(|_| ()),
        "body" => MessageBody::parse(value).map(|_| ()),
        _ => Ok(()),
    };
    result.err().map(|e| e.to_string())
}

// ---- what the portal shows ----------------------------------------------------------

/// A customer may reopen their ticket for this long after it was closed.
pub const REOPEN_WINDOW_MS: i64 = 14 * 24 * 3_600_000;

/// Who is looking at the portal, resolved from their account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub verified: bool,
    /// The customer record with the account's email (None: no record yet).
    pub customer_id: Option<i64>,
    /// The companies the customer belongs to, their primary one first.
    pub companies: Vec<ViewerCompany>,
}

/// A company the portal's viewer belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ViewerCompany {
    pub id: i64,
    pub name: String,
    /// They manage it: they also see every ticket that is for it.
    pub manager: bool,
}

impl Viewer {
    /// A verified account with a customer record: it may see and write tickets.
    pub fn active_customer(&self) -> Option<i64> {
        self.customer_id.filter(|_| self.verified)
    }

    /// Whether they manage at least one company.
    pub fn manages_any(&self) -> bool {
        self.companies.iter().any(|c| c.manager)
    }

    /// The names of the companies they manage, joined for a heading ("A and B").
    pub fn managed_names(&self) -> String {
        let names: Vec<&str> = self
            .companies
            .iter()
            .filter(|c| c.manager)
            .map(|c| c.name.as_str())
            .collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// The company a new request of theirs is for, from the form's `company` field:
    /// one of theirs (the only one needs no choice), none when they belong to none.
    pub fn request_company(&self, typed: &str) -> Result<Option<i64>, AppError> {
        if self.companies.is_empty() {
            return Ok(None);
        }
        if self.companies.len() == 1 {
            return Ok(Some(self.companies[0].id));
        }
        typed
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| self.companies.iter().any(|c| c.id == *id))
            .map(Some)
            .ok_or_else(|| {
                AppError::validation("company", "Choose which company this request is for.")
            })
    }
}

/// Open or closed, as the customer filters their list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusFilter {
    All,
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalSort {
    /// Last activity, newest first.
    Updated,
    /// Created, newest first.
    Created,
}

impl StatusFilter {
    /// From the address (`status=`): open unless it says closed or all.
    pub fn parse(raw: &str) -> StatusFilter {
        match raw {
            "closed" => StatusFilter::Closed,
            "all" => StatusFilter::All,
            _ => StatusFilter::Open,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Closed => "closed",
            StatusFilter::All => "all",
        }
    }
}

impl PortalSort {
    /// From the address (`sort=`): last update unless it says created.
    pub fn parse(raw: &str) -> PortalSort {
        match raw {
            "created" => PortalSort::Created,
            _ => PortalSort::Updated,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PortalSort::Created => "created",
            PortalSort::Updated => "updated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PortalRow {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub customer: String,
    pub stage: String,
    pub label: Option<String>,
    pub kind: String,
    pub created_at: i64,
    pub activity_at: i64,
}

impl PortalRow {
    /// The status a customer reads: the stage's customer label, or its name.
    pub fn status(&self) -> &str {
        self.label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&self.stage)
    }

    pub fn sort_key(&self, sort: PortalSort) -> (i64, i64) {
        match sort {
            PortalSort::Updated => (self.activity_at, self.id),
            PortalSort::Created => (self.created_at, self.id),
        }
    }
}

/// A ticket as its customer sees it: no internal field, public messages only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalTicket {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub description: String,
    /// The description as HTML, from the server's sanitizing Markdown renderer.
    pub description_html: String,
    pub customer: String,
    /// Written by someone else of the viewer's company (a manager looking).
    pub someone_elses: bool,
    pub status: String,
    pub kind: String,
    pub team_id: i64,
    pub created_at: i64,
    pub activity_at: i64,
    pub completed_at: Option<i64>,
    pub merged_into: Option<i64>,
    pub messages: Vec<crate::tickets::conversation::model::Message>,
}

impl PortalTicket {
    pub fn closed(&self) -> bool {
        self.completed_at.is_some()
    }

    /// Closed less than [`REOPEN_WINDOW_MS`] ago.
    pub fn reopenable(&self, now: i64) -> bool {
        self.completed_at
            .is_some_and(|at| now - at < REOPEN_WINDOW_MS)
            && self.merged_into.is_none()
    }
}

/// A team customers may ask in the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PortalTeam {
    pub id: i64,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_says_what_is_missing_in_its_own_words() {
        assert_eq!(
            field_problem("description", "  ").as_deref(),
            Some("Describe what you need help with.")
        );
        assert!(field_problem("title", "").is_some());
        assert_eq!(field_problem("title", "Printer on fire"), None);
        assert_eq!(field_problem("priority", ""), None);
    }
}
