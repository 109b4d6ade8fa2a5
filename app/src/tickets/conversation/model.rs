//! Messages as the browser and the server both see them, and the rules for writing one.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How long the author of an internal note may still delete it.
pub const NOTE_DELETE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// What a message is: a reply the customer sees, or a note only staff see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    Reply,
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Reply => "reply",
            MessageKind::Note => "note",
        }
    }

    pub fn parse(raw: &str) -> Result<MessageKind, AppError> {
        match raw {
            "reply" => Ok(MessageKind::Reply),
            "note" => Ok(MessageKind::Note),
            _ => Err(AppError::validation(
                "kind",
                "Choose “Reply to customer” or “Internal note”.",
            )),
        }
    }

    pub fn internal(self) -> bool {
        self == MessageKind::Note
    }

    /// The label on the message in the thread.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::Reply => "Reply",
            MessageKind::Note => "Internal note",
        }
    }

    /// What the send button says it will do.
    pub fn send_label(self) -> &'static str {
        match self {
            MessageKind::Reply => "Send reply",
            MessageKind::Note => "Add internal note",
        }
    }
}

/// A message body: Markdown, not blank, at most [`MessageBody::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX: usize = 20_000;

    pub fn parse(raw: &str) -> Result<MessageBody, AppError> {
        // Leading and trailing blank lines go; indentation of the first line stays
        // (it may be code).
        let s = raw.trim_end().trim_start_matches(['\n', '\r']);
        if s.trim().is_empty() {
            return Err(AppError::validation("body", "Write a message first."));
        }
        let n = s.chars().count();
        if n > Self::MAX {
            return Err(AppError::validation(
                "body",
                format!(
                    "Use at most {} characters ({} too many).",
                    Self::MAX,
                    n - Self::MAX
                ),
            ));
        }
        Ok(MessageBody(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who wrote a message, as the thread shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Author {
    Staff(String),
    Customer(String),
    /// An account since removed, or a system message.
    Unknown,
}

impl Author {
    pub fn name(&self) -> &str {
        match self {
            Author::Staff(n) | Author::Customer(n) => n,
            Author::Unknown => "Unknown",
        }
    }
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    pub author: Author,
    /// Empty once deleted.
    pub body: String,
    /// The body as HTML, made on the server by the sanitizing Markdown renderer
    /// (`ui::markdown`); empty once deleted.
    pub body_html: String,
    pub created_at: i64,
    /// Who deleted it and when (internal notes only).
    pub deleted: Option<(String, i64)>,
    /// Until when the viewer may delete it (their own internal note), if at all.
    pub deletable_until: Option<i64>,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message (or uploaded for one not yet sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

impl Attachment {
    /// Where it is downloaded: the name is in the address so a saved file keeps it.
    pub fn url(&self) -> String {
        format!(
            "/attachments/{}/{}",
            self.id,
            crate::ui::encode_query_value(&self.name).replace('/', "%2F")
        )
    }

    /// Shown inline as a thumbnail: raster images only (an SVG can carry script).
    pub fn is_image(&self) -> bool {
        is_inline_image(&self.content_type)
    }
}

/// Image types safe to show inline.
pub fn is_inline_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// "512 B", "14.2 kB", "3.1 MB".
pub fn human_size(bytes: i64) -> String {
    // Integer arithmetic only: float formatting would add kilobytes to the WASM.
    let b = bytes.max(0);
    if b < 1000 {
        format!("{b} B")
    } else if b < 999_950 {
        let tenths = (b + 50) / 100;
        format!("{}.{} kB", tenths / 10, tenths % 10)
    } else {
        let tenths = (b + 50_000) / 100_000;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

/// A file name as stored and offered for download: no path, no control characters,
/// at most 200 characters; never empty.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned
    }
}

/// The message for a file over the size limit, naming the limit.
/// A customer's file past what their daily upload quota has left.
pub fn over_quota_message(name: &str, left_bytes: u64) -> String {
    format!(
        "“{name}” is larger than the {:.1} MB you can still upload today.",
        left_bytes as f64 / (1024.0 * 1024.0)
    )
}

/// A customer who used up their upload quota for now.
pub fn quota_used_message(retry_after_secs: u64) -> String {
    format!(
        "You have uploaded as much as you can for now: try again in {}.",
        crate::error::wait_text(retry_after_secs)
    )
}

pub fn too_large_message(name: &str, limit_bytes: u64) -> String {
    format!(
        "“{name}” is too large: files can be at most {} MB.",
        limit_bytes / (1024 * 1024)
    )
}

impl Message {
    /// The accessible name of the message: "Internal note by Ada Lovelace".
    pub fn accessible_name(&self) -> String {
        let what = match (&self.author, self.kind) {
            (_, MessageKind::Note) => "Internal note",
            (Author::Customer(_), MessageKind::Reply) => "Message",
            (_, MessageKind::Reply) => "Reply",
        };
        format!("{what} by {}", self.author.name())
    }
}

/// A ticket's thread as the staff ticket page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub messages: Vec<Message>,
    /// What the composer starts on: the kind the viewer last used on this ticket.
    pub compose: MessageKind,
    /// The largest file the server accepts, so the browser can refuse one first.
    pub upload_limit: u64,
    /// Who is looking (drafts are kept per person).
    pub viewer_id: i64,
    /// The viewer's unsent draft for this ticket, if any.
    pub draft: Option<crate::tickets::drafts::ServerDraft>,
    /// The canned replies of the ticket's team.
    pub canned: Vec<crate::teams::canned::CannedReply>,
    /// What canned replies' placeholders become on this ticket.
    pub placeholders: crate::teams::canned::Placeholders,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_message_is_refused() {
        assert!(MessageBody::parse(" \n \n").is_err());
    }

    #[test]
    fn a_message_keeps_its_inner_lines_and_loses_trailing_blank_ones() {
        assert_eq!(
            MessageBody::parse("\n  code\nnext\n\n").unwrap().as_str(),
            "  code\nnext"
        );
    }

    #[test]
    fn an_overlong_message_says_by_how_much() {
        let e = MessageBody::parse(&"x".repeat(MessageBody::MAX + 3)).unwrap_err();
        assert!(e.message_for("body").unwrap().contains("3 too many"));
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b\"c.txt"), "abc.txt");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(human_size(14_200), "14.2 kB");
        assert!(!is_inline_image("image/svg+xml"));
    }

    #[test]
    fn kinds_parse_from_their_form_values_only() {
        assert_eq!(MessageKind::parse("note").unwrap(), MessageKind::Note);
        assert!(MessageKind::parse("internal").is_err());
    }

    #[test]
    fn messages_are_named_by_kind_and_author() {
        let m = Message {
            id: 1,
            kind: MessageKind::Note,
            author: Author::Staff("Ada".into()),
            body: "x".into(),
            body_html: "<p>x</p>".into(),
            created_at: 0,
            deleted: None,
            deletable_until: None,
            attachments: vec![],
        };
        assert_eq!(m.accessible_name(), "Internal note by Ada");
        let reply = Message {
            kind: MessageKind::Reply,
            ..m.clone()
        };
        assert_eq!(reply.accessible_name(), "Reply by Ada");
    }
}
