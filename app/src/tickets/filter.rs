//! The ticket filter shared by the board and the list. It lives in the URL
//! (`?assignee=me&priority=high&q=refund`), so a filtered view can be bookmarked and
//! shared; the browser and the server read it with the same code.

use super::model::Priority;
use crate::ui::encode_query_value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// The signed-in user.
    Me,
    Unassigned,
    Person(i64),
}

impl AssigneeFilter {
    pub fn as_param(self) -> String {
        match self {
            AssigneeFilter::Me => "me".into(),
            AssigneeFilter::Unassigned => "none".into(),
            AssigneeFilter::Person(id) => id.to_string(),
        }
    }

    fn parse(s: &str) -> Option<AssigneeFilter> {
        match s {
            "me" => Some(AssigneeFilter::Me),
            "none" => Some(AssigneeFilter::Unassigned),
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(AssigneeFilter::Person),
        }
    }
}

/// What a board or list shows. Unknown or malformed values are ignored (a shared link
/// with a stale value still opens), and free text is capped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub assignee: Option<AssigneeFilter>,
    pub priority: Option<Priority>,
    /// Part of the customer's name or email, or of their company's name.
    pub customer: String,
    pub tag: String,
    pub overdue: bool,
    /// A ticket number (`1042` or `#1042`), or words found in the title, the
    /// description or any message (`crate::search`).
    pub text: String,
}

/// The query parameters a filter is made of.
pub const FILTER_PARAMS: [&str; 6] = ["assignee", "priority", "customer", "tag", "overdue", "q"];

const TEXT_MAX: usize = 100;

fn clean(s: &str) -> String {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(TEXT_MAX)
        .collect();
    t.trim().to_string()
}

impl TicketFilter {
    /// Reads a filter from query parameters (`get` returns a parameter's value).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> TicketFilter {
        TicketFilter {
            assignee: get("assignee").and_then(|a| AssigneeFilter::parse(a.trim())),
            priority: get("priority").and_then(|p| Priority::parse(&p).ok()),
            customer: get("customer").map(|c| clean(&c)).unwrap_or_default(),
            tag: get("tag")
                .map(|t| clean(&t).to_lowercase())
                .unwrap_or_default(),
            overdue: get("overdue").is_some_and(|o| matches!(o.trim(), "1" | "true" | "on")),
            text: get("q").map(|q| clean(&q)).unwrap_or_default(),
        }
    }

    /// Reads a filter from a raw query string (`a=1&b=x%20y`).
    pub fn from_query(query: &str) -> TicketFilter {
        let pairs = parse_query(query);
        TicketFilter::from_params(|k| {
            pairs
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == TicketFilter::default()
    }

    /// The filter as query parameters, in a fixed order (empty when nothing is set).
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(a) = self.assignee {
            parts.push(format!("assignee={}", a.as_param()));
        }
        if let Some(p) = self.priority {
            parts.push(format!("priority={}", p.as_str()));
        }
        for (name, value) in [
            ("customer", &self.customer),
            ("tag", &self.tag),
            ("q", &self.text),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode_query_value(value)));
            }
        }
        if self.overdue {
            parts.push("overdue=1".into());
        }
        parts.join("&")
    }

    /// The ticket number the free text names, if it is one (`1042` or `#1042`).
    pub fn number(&self) -> Option<i64> {
        self.text
            .strip_prefix('#')
            .unwrap_or(&self.text)
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
    }
}

/// Splits a query string into decoded pairs (`+` is a space, `%XX` a byte).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_the_round_trip_through_the_url() {
        let f = TicketFilter {
            assignee: Some(AssigneeFilter::Person(7)),
            priority: Some(Priority::High),
            customer: "Acme & Sons".into(),
            tag: "vip".into(),
            overdue: true,
            text: "refund 50%".into(),
        };
        let q = f.to_query();
        assert_eq!(TicketFilter::from_query(&q), f, "{q}");
        assert_eq!(TicketFilter::from_query(""), TicketFilter::default());
        assert_eq!(TicketFilter::default().to_query(), "");
    }

    #[test]
    fn bad_values_are_ignored_and_text_is_capped() {
        let f = TicketFilter::from_query(
            "assignee=-3&priority=meh&overdue=maybe&q=%ZZ&tag=VIP&customer=",
        );
        assert_eq!(f.assignee, None);
        assert_eq!(f.priority, None);
        assert!(!f.overdue);
        assert_eq!(f.text, "%ZZ");
        assert_eq!(f.tag, "vip");
        let long = TicketFilter::from_query(&format!("q={}", "a".repeat(500)));
        assert_eq!(long.text.len(), 100);
        assert_eq!(TicketFilter::from_query("q=%E2%82%AC+x").text, "€ x");
        assert_eq!(TicketFilter::from_query("q=50%").text, "50%");
    }

    #[test]
    fn the_free_text_may_name_a_ticket_number() {
        assert_eq!(TicketFilter::from_query("q=%231042").number(), Some(1042));
        assert_eq!(TicketFilter::from_query("q=1042").number(), Some(1042));
        assert_eq!(TicketFilter::from_query("q=printer").number(), None);
    }
}
