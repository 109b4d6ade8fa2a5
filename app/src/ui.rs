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

/// Decodes `%XX` escapes (and, in a query string, `+` as a space). Works on bytes, so
/// no input can make it panic; malformed escapes stay as they are.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    fn escapes_are_decoded_and_bad_ones_kept() {
        assert_eq!(
            super::percent_decode("r%C3%A9sum%C3%A9+1", true),
            "résumé 1"
        );
        assert_eq!(super::percent_decode("a+b%zz%4", false), "a+b%zz%4");
        assert_eq!(super::percent_decode("%é%41", false), "%éA");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode_query_value("/board?team=2&x=a b"),
            "/board%3Fteam%3D2%26x%3Da%20b"
        );
    }
}
