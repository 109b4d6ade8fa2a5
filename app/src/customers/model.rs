//! What the browser and the server share about customers: the rows and pages the
//! server functions answer, and the rules a customer record's fields must keep
//! (checked as the agent types and again on the server, with the same code).

use serde::{Deserialize, Serialize};

use crate::auth::model::{Email, PersonName};
use crate::error::AppError;

/// A customer found by the search of New ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
}

/// A customer's portal account as Admin → Customers lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccountRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub verified_at: Option<i64>,
    pub customer_id: Option<i64>,
    pub company: Option<String>,
    pub company_manager: Option<bool>,
}

/// One customer in the list of `/customers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    pub owner: Option<String>,
    pub open_tickets: i64,
    pub created_at: i64,
}

/// An agent or admin who may own customers (the list's filter and the record's
/// "Owner" choice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Owner {
    pub id: i64,
    pub name: String,
}

/// The order of the customer list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CustomerSort {
    /// By name, A to Z.
    #[default]
    Name,
    /// Newest customers first.
    Newest,
}

impl CustomerSort {
    pub fn parse(s: &str) -> CustomerSort {
        match s {
            "newest" => CustomerSort::Newest,
            _ => CustomerSort::Name,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerSort::Name => "name",
            CustomerSort::Newest => "newest",
        }
    }
}

/// What the list of `/customers` is filtered by (every part optional; the address's
/// query string, so a filtered list can be linked and works without JavaScript).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CustomerFilter {
    /// Words that must each appear in the name, an email, the phone, the company or
    /// the notes.
    pub q: String,
    pub company: String,
    /// An owner's id, "me", or "none" (no owner).
    pub owner: String,
    /// Only customers with at least one ticket not done.
    pub open: bool,
    pub tag: String,
    /// Created on or after / on or before these days (YYYY-MM-DD, UTC).
    pub from: String,
    pub to: String,
    pub sort: CustomerSort,
}

/// One page of the customer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerList {
    pub rows: Vec<CustomerRow>,
    /// The cursor of the next page (`after=`), when there is one.
    pub next: Option<String>,
    pub owners: Vec<Owner>,
    pub viewer_id: i64,
}

/// A customer record as its page shows and edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub id: i64,
    pub name: String,
    /// The primary address (mail goes there).
    pub email: String,
    /// Other addresses that also find this customer.
    pub aliases: Vec<String>,
    pub phone: String,
    pub time_zone: String,
    pub language: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    /// The primary company's name.
    pub company: Option<String>,
    /// Whether they manage their primary company.
    pub company_manager: bool,
    /// Every company they belong to, the primary first.
    pub companies: Vec<crate::companies::model::Membership>,
    /// Whether the customer has a portal account.
    pub has_account: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One of a customer's tickets on their page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CustomerTicket {
    pub number: i64,
    pub title: String,
    pub team: String,
    pub stage: String,
    /// open, waiting or done.
    pub stage_kind: String,
    pub priority: String,
    pub updated_at: i64,
}

/// A message of one of the customer's tickets, in the timeline of their page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TimelineEntry {
    pub number: i64,
    pub title: String,
    pub author: Option<String>,
    /// Written by the customer (not staff).
    pub from_customer: bool,
    pub internal: bool,
    /// The start of the message, as plain text.
    pub excerpt: String,
    pub at: i64,
}

/// One change in a record's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct HistoryEntry {
    pub actor: Option<String>,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: i64,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Everything the page of one customer shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    /// Set (and nothing else) when the customer was merged into another: the id of
    /// the record that holds them now, where their page leads.
    pub moved_to: Option<i64>,
    pub record: CustomerRecord,
    /// Their tickets on the viewer's boards: not done first, then newest.
    pub tickets: Vec<CustomerTicket>,
    /// How many of their tickets there are on the viewer's boards in all.
    pub ticket_count: i64,
    pub timeline: Vec<TimelineEntry>,
    pub history: Vec<HistoryEntry>,
    pub owners: Vec<Owner>,
    /// Whether the viewer may delete the record (admins).
    pub can_delete: bool,
    /// The customers merged into this one, newest first.
    pub merges: Vec<MergeEntry>,
}

/// A customer merged into another, as the survivor's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeEntry {
    pub id: i64,
    pub merged_id: i64,
    /// "Name <address>" of the merged customer.
    pub name: String,
    /// How many tickets moved.
    pub tickets: i64,
    pub at: i64,
    pub undone: bool,
    /// Less than a day old and not undone.
    pub can_undo: bool,
}

/// Two customers who are likely the same person; the first is the older (the one a
/// merge keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicatePair {
    pub keep_id: i64,
    pub keep_name: String,
    pub keep_email: String,
    pub other_id: i64,
    pub other_name: String,
    pub other_email: String,
    /// "same phone" or "same name and company".
    pub reason: String,
}

/// The fields of a customer record as typed, checked: what create and update store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFields {
    pub name: String,
    pub email: String,
    pub aliases: Vec<String>,
    pub phone: String,
    pub time_zone: String,
    pub language: String,
    pub notes: String,
    pub tags: Vec<String>,
}

/// The form as typed (field name → text), for [`CustomerFields::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedCustomer<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub aliases: &'a str,
    pub phone: &'a str,
    pub time_zone: &'a str,
    pub language: &'a str,
    pub notes: &'a str,
    pub tags: &'a str,
}

impl CustomerFields {
    pub const NOTES_MAX: usize = 10_000;
    pub const ALIASES_MAX: usize = 20;

    /// Checks every field; the first problem found, named by its field.
    pub fn parse(t: &TypedCustomer<'_>) -> Result<CustomerFields, AppError> {
        let name = PersonName::parse(t.name)?.as_str().to_string();
        let email = Email::parse(t.email)?.as_str().to_string();
        let aliases = parse_aliases(t.aliases, &email)?;
        let phone = check_phone(t.phone)?;
        let time_zone = check_time_zone(t.time_zone)?;
        let language = check_language(t.language)?;
        let notes = check_notes(t.notes)?;
        let tags = crate::tickets::model::parse_tags(t.tags)?;
        Ok(CustomerFields {
            name,
            email,
            aliases,
            phone,
            time_zone,
            language,
            notes,
            tags,
        })
    }
}

/// Notes about a record (a customer's, a company's): trimmed, at most
/// [`CustomerFields::NOTES_MAX`] characters, lines and tabs but no other control
/// characters.
pub fn check_notes(raw: &str) -> Result<String, AppError> {
    let notes = raw.trim().to_string();
    if notes.chars().count() > CustomerFields::NOTES_MAX {
        return Err(AppError::validation(
            "notes",
            format!("Keep notes to {} characters.", CustomerFields::NOTES_MAX),
        ));
    }
    if notes
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::validation(
            "notes",
            "The notes contain characters that cannot be shown.",
        ));
    }
    Ok(notes)
}

/// Other addresses, one per line (or separated by commas or spaces), lower-cased,
/// without repeats and without the primary address.
pub fn parse_aliases(raw: &str, primary: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for part in raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let email = Email::parse(part).map_err(|_| {
            AppError::validation(
                "aliases",
                format!("“{}” is not an email address.", clip(part, 60)),
            )
        })?;
        let email = email.as_str().to_string();
        if email != primary && !out.contains(&email) {
            out.push(email);
        }
    }
    if out.len() > CustomerFields::ALIASES_MAX {
        return Err(AppError::validation(
            "aliases",
            format!(
                "Use at most {} other addresses.",
                CustomerFields::ALIASES_MAX
            ),
        ));
    }
    Ok(out)
}

/// A phone number as people write it: digits with spaces, dashes, dots, brackets, a
/// leading + and an extension ("x12"). Empty is fine.
pub fn check_phone(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let allowed = s
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -.()/x".contains(c) || (c == '+' && i == 0));
    if !allowed || !(3..=20).contains(&digits) || s.len() > 40 {
        return Err(AppError::validation(
            "phone",
            "Enter a phone number like +49 30 1234567 (digits, spaces, dashes, brackets).",
        ));
    }
    Ok(s.to_string())
}

/// An IANA time zone name such as "Europe/Berlin" or "UTC" by its shape; the server
/// also checks the tz database knows it. Empty is fine.
pub fn check_time_zone(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let shaped = s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    if !shaped {
        return Err(unknown_zone());
    }
    Ok(s.to_string())
}

/// The message for a time zone that is not one.
pub fn unknown_zone() -> AppError {
    AppError::validation(
        "time_zone",
        "Enter a time zone name such as Europe/Berlin or America/New_York.",
    )
}

/// A language tag such as "en", "de-AT" or "pt-BR" (BCP 47's common shape). Empty is
/// fine.
pub fn check_language(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !first_ok || !rest_ok || s.len() > 35 {
        return Err(AppError::validation(
            "language",
            "Enter a language code such as en, de or pt-BR.",
        ));
    }
    Ok(s.to_string())
}

/// At most `n` characters of `s`, with "…" when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> TypedCustomer<'static> {
        TypedCustomer {
            name: " Ada Lovelace ",
            email: "Ada@Example.com",
            aliases: "ada@home.example, ADA@example.com\nada@home.example",
            phone: "+44 20 7946 0958",
            time_zone: "Europe/London",
            language: "en-GB",
            notes: "Prefers email.",
            tags: "VIP, vip, analytical",
        }
    }

    #[test]
    fn a_whole_record_is_trimmed_and_lower_cased() {
        let f = CustomerFields::parse(&typed()).unwrap();
        assert_eq!(f.name, "Ada Lovelace");
        assert_eq!(f.email, "ada@example.com");
        assert_eq!(f.aliases, vec!["ada@home.example"]);
        assert_eq!(f.tags, vec!["vip", "analytical"]);
    }

    #[test]
    fn each_bad_field_is_named_and_empty_optional_fields_pass() {
        let field = |t: TypedCustomer<'static>| {
            CustomerFields::parse(&t)
                .err()
                .and_then(|e| e.field().map(str::to_string))
        };
        let base = typed();
        assert_eq!(
            field(TypedCustomer {
                name: " ",
                ..base.clone()
            })
            .as_deref(),
            Some("name")
        );
        assert_eq!(
            field(TypedCustomer {
                email: "ada",
                ..base.clone()
            })
            .as_deref(),
            Some("email")
        );
        assert_eq!(
            field(TypedCustomer {
                aliases: "a@b.c, nope",
                ..base.clone()
            })
            .as_deref(),
            Some("aliases")
        );
        assert_eq!(
            field(TypedCustomer {
                phone: "call me",
                ..base.clone()
            })
            .as_deref(),
            Some("phone")
        );
        assert_eq!(
            field(TypedCustomer {
                phone: "12",
                ..base.clone()
            })
            .as_deref(),
            Some("phone")
        );
        assert_eq!(
            field(TypedCustomer {
                time_zone: "berlin",
                ..base.clone()
            })
            .as_deref(),
            Some("time_zone")
        );
        assert_eq!(
            field(TypedCustomer {
                language: "english",
                ..base.clone()
            })
            .as_deref(),
            Some("language")
        );
        assert_eq!(
            field(TypedCustomer {
                notes: "a\u{7}b",
                ..base.clone()
            })
            .as_deref(),
            Some("notes")
        );
        let many: &'static str = Box::leak(
            (0..21)
                .map(|i| format!("t{i}"))
                .collect::<Vec<_>>()
                .join(",")
                .into_boxed_str(),
        );
        assert_eq!(
            field(TypedCustomer {
                tags: many,
                ..base.clone()
            })
            .as_deref(),
            Some("tags")
        );
        assert_eq!(
            field(TypedCustomer {
                phone: "",
                time_zone: "",
                language: "",
                aliases: "",
                ..base
            }),
            None
        );
    }
}
