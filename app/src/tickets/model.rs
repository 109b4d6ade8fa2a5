//! Ticket types shared by browser and server, with their validation.

pub use crate::teams::model::{parse_stage_name, Stage, StageKind};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Normal => "Normal",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }

    pub fn parse(s: &str) -> Result<Priority, AppError> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| AppError::validation("priority", "Choose a priority."))
    }
}

/// A ticket title: required, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTitle(String);

impl TicketTitle {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<TicketTitle, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(AppError::validation("title", "Give the ticket a title."));
        }
        let n = s.chars().count();
        if n > Self::MAX {
            return Err(AppError::validation(
                "title",
                format!(
                    "Use at most {} characters ({} too many).",
                    Self::MAX,
                    n - Self::MAX
                ),
            ));
        }
        Ok(TicketTitle(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tags typed as "billing, VIP, billing": trimmed, lower-cased, without repeats.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, AppError> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        if t.chars().count() > 40 {
            return Err(AppError::validation(
                "tags",
                "Keep each tag to 40 characters.",
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(AppError::validation(
                "tags",
                "Tags cannot contain control characters.",
            ));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if tags.len() > 20 {
        return Err(AppError::validation("tags", "Use at most 20 tags."));
    }
    Ok(tags)
}

/// A due date typed as YYYY-MM-DD (a date input), as the end of that day in UTC,
/// in epoch milliseconds. Empty: no due date.
pub fn parse_due_date(raw: &str) -> Result<Option<i64>, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crate::ui::time::end_of_day(s)
        .map(Some)
        .ok_or_else(|| AppError::validation("due", "Enter the date as YYYY-MM-DD."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_title_is_refused_next_to_the_title() {
        assert_eq!(
            TicketTitle::parse("   ").unwrap_err().field(),
            Some("title")
        );
    }

    #[test]
    fn a_title_over_200_characters_says_how_many_too_many() {
        let e = TicketTitle::parse(&"é".repeat(203)).unwrap_err();
        assert!(e.to_string().contains("3 too many"), "{e}");
        assert!(TicketTitle::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn tags_are_trimmed_lower_cased_and_unique() {
        assert_eq!(
            parse_tags(" Billing, vip ,billing,, ").unwrap(),
            vec!["billing", "vip"]
        );
        assert!(parse_tags(&"x".repeat(41)).is_err());
    }

    #[test]
    fn a_due_date_is_the_end_of_that_day_in_utc() {
        assert_eq!(parse_due_date("").unwrap(), None);
        assert_eq!(parse_due_date("1970-01-01").unwrap(), Some(86_400_000 - 1));
        assert_eq!(
            parse_due_date("2000-03-01").unwrap(),
            Some(951_868_800_000 + 86_400_000 - 1)
        );
        for bad in ["2026-02-30", "2026-13-01", "tomorrow", "2026-1"] {
            assert_eq!(
                parse_due_date(bad).unwrap_err().field(),
                Some("due"),
                "{bad}"
            );
        }
    }

    #[test]
    fn priorities_and_stage_kinds_round_trip() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()).unwrap(), p);
        }
        assert!(Priority::parse("meh").is_err());
        assert_eq!(StageKind::parse("done").unwrap(), StageKind::Done);
    }
}
