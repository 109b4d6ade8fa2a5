//! Shared UI pieces: form fields, errors, the app shell, status pages.

pub mod field;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod status;
pub mod time;

pub use field::{Field, FormError};

pub use layout::AuthCard;
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

/// What was typed in field `name` of the form posted to `path` when the server
/// refused it without JavaScript: kept in the session (see `KeptForm`), offered while
/// the page's address names that refusal (`__path`). None otherwise.
pub fn kept_value(path: &str, name: &str) -> Option<String> {
    let query = leptos_router::hooks::use_query_map();
    let refused_here = query.with_untracked(|q| q.get_str("__path") == Some(path));
    if !refused_here {
        return None;
    }
    use_context::<RefusedForm>()?
        .0
        .with_untracked(|kept| kept.as_ref()?.value(path, name))
}

/// The form the session kept after a refusal without JavaScript, provided with the
/// session (`auth::pages::provide_auth`) for [`kept_value`].
#[derive(Clone, Copy)]
pub struct RefusedForm(pub Signal<Option<KeptForm>>);

/// What was typed in a form posted without JavaScript that the server refused. Leptos
/// sends the browser back to the page with the error in the address (`__path`,
/// `__err`); the typed text stays out of the address: it is kept in the server-side
/// session for a few minutes, and the page puts it back in the form posted to
/// `path` while the address names that refusal. Passwords are never kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptForm {
    /// The endpoint the form posted to (a server function's path, or a portal route).
    pub path: String,
    /// Field name and typed value.
    pub fields: Vec<(String, String)>,
    /// When it was kept (epoch ms).
    pub at: i64,
}

impl KeptForm {
    /// How long a kept form is offered back: long enough to come back from a refusal.
    pub const FRESH_MS: i64 = 10 * 60_000;

    /// The value typed in `name` of the form posted to `path`, if this is that form.
    pub fn value(&self, path: &str, name: &str) -> Option<String> {
        (self.path == path)
            .then(|| self.fields.iter().find(|(k, _)| k == name))
            .flatten()
            .map(|(_, v)| v.clone())
    }
}

/// The error of an action's last run (its `value()`), if it failed: with
/// JavaScript, the answer of the call; without, the refusal Leptos put in the address.
pub fn failure<T, V>(value: V) -> Signal<Option<crate::error::AppError>>
where
    V: With<Value = Option<Result<T, crate::error::AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// Runs `then` with the answer each time an action (its `value()`) succeeds; not
/// when the page loads.
pub fn on_success<T, V>(value: V, then: impl Fn(T) + 'static)
where
    V: With<Value = Option<Result<T, crate::error::AppError>>> + 'static,
    T: Clone + 'static,
{
    Effect::new(move |_| {
        let done = value.with(|v| match v {
            Some(Ok(done)) => Some(done.clone()),
            _ => None,
        });
        if let Some(done) = done {
            then(done);
        }
    });
}

/// A field's message as the person types: the server's message for `field` when the
/// last call was refused there, otherwise what `rule` (the server's own check) says
/// of the value typed so far.
pub fn live_message(
    server: Signal<Option<crate::error::AppError>>,
    field: &'static str,
    value: RwSignal<String>,
    rule: fn(&str) -> Option<String>,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        server
            .get()
            .and_then(|e| e.message_for(field))
            .or_else(|| value.with(|v| rule(v)))
    })
}

/// The ticket number in the page's address (`:number`, with or without `#`).
pub fn number_param() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .read()
            .get("number")
            .and_then(|n| n.trim_start_matches('#').parse::<i64>().ok())
    }
}

/// The message of `error` when it belongs to none of `fields` (a form-level alert).
pub fn message_outside(
    error: Signal<Option<crate::error::AppError>>,
    fields: &'static [&'static str],
) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .filter(|e| e.field().is_none_or(|f| !fields.contains(&f)))
            .map(|e| e.to_string())
    })
}

/// The message of `error` for `field`.
pub fn message_at(
    error: Signal<Option<crate::error::AppError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.message_for(field)))
}

/// The bytes a query parameter value keeps as they are (RFC 3986 unreserved, and `/`
/// so that paths stay readable in `next=` addresses).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a string for use as one query parameter value.
pub fn encode_query_value(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// Decodes `%XX` escapes (and, in a query string, `+` as a space). No input can make
/// it fail: malformed escapes stay as they are, invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let s = if plus_is_space {
        std::borrow::Cow::Owned(s.replace('+', " "))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
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
