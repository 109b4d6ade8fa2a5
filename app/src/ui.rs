//! Shared UI pieces: form fields, errors, the app shell, status pages.

pub mod field;
pub mod layout;
pub mod status;

pub use field::{Field, FormError};
pub use layout::{AppShell, AuthCard};
pub use status::{set_status, ErrorPanel, ForbiddenPage, NotFoundPage};

/// Percent-encodes a string for use as one query parameter value.
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Leaves the single-page app and loads `path` afresh from the server: used after
/// sign-in and sign-out, when every piece of state belongs to a different person.
pub fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode_query_value("/board?team=2&x=a b"),
            "/board%3Fteam%3D2%26x%3Da%20b"
        );
    }
}
