//! Shared UI pieces: form fields, errors, the app shell, status pages.

pub mod field;
pub mod layout;
pub mod markdown;
pub mod status;

pub use field::{Field, FormError};

pub use layout::{AppShell, AuthCard};
use leptos::prelude::*;
pub use status::{set_status, ErrorPanel, ForbiddenPage, NotFoundPage};

/// The error a plain form post to the server function at `path` came back with:
/// Leptos puts it in the address (`__path`, `__err`) when it sends the browser back.
/// For forms that need no code in the browser beyond showing that message.
pub fn url_error(path: &'static str) -> Signal<Option<crate::error::AppError>> {
    use leptos::server_fn::error::ServerFnUrlError;
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || {
        query.with(|q| {
            (q.get_str("__path") == Some(path))
                .then(|| {
                    q.get_str("__err")
                        .map(ServerFnUrlError::<crate::error::AppError>::decode_err)
                })
                .flatten()
        })
    })
}

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
