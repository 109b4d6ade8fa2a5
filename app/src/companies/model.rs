//! What the browser and the server share about companies: the rows and pages the
//! server functions answer, and the rules a company record's fields keep (checked as
//! the agent types and again on the server, with the same code).

use serde::{Deserialize, Serialize};

use crate::customers::model::{CustomerTicket, HistoryEntry, Owner};
use crate::error::AppError;

/// One company in the list of `/companies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CompanyRow {
    pub id: i64,
    pub name: String,
    /// Its domains, comma-separated (empty: none).
    pub domains: Option<String>,
    pub owner: Option<String>,
    pub members: i64,
    pub open_tickets: i64,
}

/// What the list of `/companies` is filtered by (the address's query string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CompanyFilter {
    /// Words in the name, a domain or the notes (each word's start).
    pub q: String,
    /// An owner's id, "me", or "none".
    pub owner: String,
    pub tag: String,
}

/// One page of the company list, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyList {
    pub rows: Vec<CompanyRow>,
    /// The cursor of the next page (`after=`, a company id), when there is one.
    pub next: Option<String>,
    pub owners: Vec<Owner>,
    pub viewer_id: i64,
}

/// A company record as its page shows and edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRecord {
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
    /// A new customer with an address at one of the domains joins the company.
    pub auto_join: bool,
    pub notes: String,
    pub tags: Vec<String>,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A member of a company (a customer), with their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CompanyMember {
    pub customer_id: i64,
    pub name: String,
    pub email: String,
    /// "member" or "manager".
    pub role: String,
    /// This is the customer's primary company.
    pub primary_company: bool,
}

/// A company a customer belongs to, as the customer's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Membership {
    pub company_id: i64,
    pub name: String,
    pub role: String,
    pub primary_company: bool,
}

/// Everything the page of one company shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyPage {
    pub record: CompanyRecord,
    pub members: Vec<CompanyMember>,
    /// Its tickets on the viewer's boards: not done first, then newest.
    pub tickets: Vec<CustomerTicket>,
    pub ticket_count: i64,
    pub history: Vec<HistoryEntry>,
    pub owners: Vec<Owner>,
    /// Whether the viewer may delete the record (admins).
    pub can_delete: bool,
}

/// The role a member has: a manager sees every ticket that is for the company in the
/// portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberRole {
    Member,
    Manager,
}

impl MemberRole {
    pub fn parse(raw: &str) -> Result<MemberRole, AppError> {
        match raw.trim() {
            "member" | "" => Ok(MemberRole::Member),
            "manager" => Ok(MemberRole::Manager),
            _ => Err(AppError::validation("role", "Choose member or manager.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Manager => "manager",
        }
    }
}

/// The fields of a company record as typed, checked: what create and update store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyFields {
    pub name: String,
    pub domains: Vec<String>,
    pub auto_join: bool,
    pub notes: String,
    pub tags: Vec<String>,
}

impl CompanyFields {
    pub const NAME_MAX: usize = 120;
    pub const DOMAINS_MAX: usize = 20;

    /// Checks every field; the first problem found, named by its field.
    pub fn parse(
        name: &str,
        domains: &str,
        auto_join: bool,
        notes: &str,
        tags: &str,
    ) -> Result<CompanyFields, AppError> {
        let name = check_company_name(name)?;
        let domains = parse_domains(domains)?;
        if auto_join && domains.is_empty() {
            return Err(AppError::validation(
                "domains",
                "Add a domain for new customers to join the company by.",
            ));
        }
        let notes = crate::customers::model::check_notes(notes)?;
        let tags = crate::tickets::model::parse_tags(tags)?;
        Ok(CompanyFields {
            name,
            domains,
            auto_join,
            notes,
            tags,
        })
    }
}

/// A company's name: 1 to 120 characters, trimmed.
pub fn check_company_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > CompanyFields::NAME_MAX {
        return Err(AppError::validation(
            "name",
            "A company name has 1 to 120 characters.",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::validation(
            "name",
            "The name contains characters that cannot be shown.",
        ));
    }
    Ok(name.to_string())
}

/// Email domains, one per line (or separated by commas or spaces), lower-cased, a
/// leading "@" dropped, without repeats: names of two or more labels of letters,
/// digits and hyphens ("example.com", "mail.example.co.uk").
pub fn parse_domains(raw: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for part in raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let domain = part.trim_start_matches('@').to_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let shaped = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                (1..=63).contains(&l.len())
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()));
        if !shaped {
            let shown: String = part.chars().take(60).collect();
            return Err(AppError::validation(
                "domains",
                format!("“{shown}” is not a domain such as example.com."),
            ));
        }
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    if out.len() > CompanyFields::DOMAINS_MAX {
        return Err(AppError::validation(
            "domains",
            format!("Use at most {} domains.", CompanyFields::DOMAINS_MAX),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lower_cased_without_at_signs_or_repeats() {
        assert_eq!(
            parse_domains("@Example.com, example.com\nmail.example.co.uk").unwrap(),
            vec!["example.com", "mail.example.co.uk"]
        );
        assert_eq!(parse_domains("  ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_word_or_an_address_is_not_a_domain() {
        for bad in [
            "localhost",
            "ada@example.com",
            "-x.com",
            "exa mple",
            "x..com",
            "1.2.3.4",
        ] {
            let e = parse_domains(bad).err();
            assert_eq!(e.as_ref().and_then(|e| e.field()), Some("domains"), "{bad}");
        }
    }

    #[test]
    fn joining_by_domain_needs_a_domain_and_a_name_is_required() {
        let e = CompanyFields::parse("Acme", "", true, "", "").unwrap_err();
        assert_eq!(e.field(), Some("domains"));
        let e = CompanyFields::parse("  ", "acme.test", true, "", "").unwrap_err();
        assert_eq!(e.field(), Some("name"));
        let ok = CompanyFields::parse(" Acme ", "ACME.test", true, " n ", "B2B, b2b").unwrap();
        assert_eq!(ok.name, "Acme");
        assert_eq!(ok.domains, vec!["acme.test"]);
        assert_eq!(ok.notes, "n");
        assert_eq!(ok.tags, vec!["b2b"]);
    }

    #[test]
    fn roles_are_member_or_manager() {
        assert_eq!(MemberRole::parse("manager").unwrap(), MemberRole::Manager);
        assert_eq!(MemberRole::parse("").unwrap(), MemberRole::Member);
        assert_eq!(
            MemberRole::parse("owner").unwrap_err().field(),
            Some("role")
        );
    }
}
