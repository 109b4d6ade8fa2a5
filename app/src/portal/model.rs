//! The portal's form rules, shared by the browser (as the customer types) and the
//! server (before anything is written).

use crate::error::AppError;
use crate::tickets::conversation::model::MessageBody;
use crate::tickets::model::TicketTitle;

/// A new request's description: a message body, with the portal's own words.
pub fn request_description(raw: &str) -> Result<MessageBody, AppError> {
    MessageBody::parse(raw).map_err(|e| {
        let message = e.message_for("body").unwrap_or_default();
        AppError::validation(
            "description",
            if message == "Write a message first." {
                "Describe what you need help with.".to_string()
            } else {
                message
            },
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
