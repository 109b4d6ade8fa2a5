//! Drafts that save themselves: what an agent types in a ticket's composer (or the
//! new-ticket form) is saved a few seconds after typing stops and at least every 30
//! seconds while typing goes on. While the network is down the draft is kept in the
//! browser's local storage and sent when the connection returns. Sending or
//! discarding the message clears it.
//!
//! The timing and the offline queue are plain logic ([`Autosave`], [`LocalDraft`]) so
//! they can be tested without a server; the component wires them to timers, the
//! `online` event and the server functions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Save this long after the last keystroke…
pub const QUIET_MS: f64 = 2_000.0;
/// …and at least this often while typing goes on.
pub const MAX_WAIT_MS: f64 = 30_000.0;
/// Longest draft kept.
pub const MAX_CHARS: usize = 100_000;

/// When a draft is due to be saved: after a quiet spell, or when it has waited too long.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Autosave {
    /// When the first unsaved change was made.
    dirty_since: Option<f64>,
    /// When the latest change was made.
    last_edit: Option<f64>,
}

impl Autosave {
    pub fn edited(&mut self, now: f64) {
        self.dirty_since.get_or_insert(now);
        self.last_edit = Some(now);
    }

    pub fn dirty(&self) -> bool {
        self.dirty_since.is_some()
    }

    /// Whether to save now.
    pub fn due(&self, now: f64) -> bool {
        match (self.dirty_since, self.last_edit) {
            (Some(first), Some(last)) => now - last >= QUIET_MS || now - first >= MAX_WAIT_MS,
            _ => false,
        }
    }

    /// How long until [`Autosave::due`] turns true if nothing else is typed.
    pub fn wait(&self, now: f64) -> Option<f64> {
        let (first, last) = (self.dirty_since?, self.last_edit?);
        let quiet = last + QUIET_MS - now;
        let max = first + MAX_WAIT_MS - now;
        Some(quiet.min(max).max(0.0))
    }

    /// A save of everything typed up to `started` went through.
    pub fn saved(&mut self, started: f64) {
        if self.last_edit.is_some_and(|l| l <= started) {
            *self = Autosave::default();
        } else if self.dirty_since.is_some() {
            // Typed again while saving: what was typed since is still unsaved.
            self.dirty_since = Some(started);
        }
    }
}

/// What the little indicator beside the composer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftStatus {
    Idle,
    Saving,
    /// Saved at this local time ("10:42").
    Saved(String),
    /// Not sent: kept in this browser until the connection returns.
    Offline,
    Failed(String),
}

impl DraftStatus {
    pub fn label(&self) -> String {
        match self {
            DraftStatus::Idle => String::new(),
            DraftStatus::Saving => "Saving…".into(),
            DraftStatus::Saved(at) => format!("Draft saved {at}"),
            DraftStatus::Offline => "Offline — kept on this device".into(),
            DraftStatus::Failed(m) => format!("Draft not saved: {m}"),
        }
    }
}

/// A draft as kept in local storage: its text, when it was typed, and whether the
/// server has it yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalDraft {
    pub content: String,
    pub saved_at: i64,
    pub pending: bool,
}

/// The local-storage key of a draft: per user and place, so two people sharing a
/// browser never see each other's drafts. Every draft kept in the browser (the
/// composer, New ticket, the portal's forms) uses it and [`LocalDraft`].
/// Signing out clears them all (`auth::api::logout`).
pub fn storage_key(user_id: i64, scope: &str) -> String {
    format!("grip.draft.{user_id}.{scope}")
}

/// Which draft to show on load: the newer of the server's and the browser's.
pub fn newer(
    server: Option<&ServerDraft>,
    local: Option<&LocalDraft>,
) -> Option<(String, i64, bool)> {
    match (server, local) {
        (Some(s), Some(l)) if l.saved_at > s.updated_at => {
            Some((l.content.clone(), l.saved_at, l.pending))
        }
        (Some(s), _) => Some((s.content.clone(), s.updated_at, false)),
        (None, Some(l)) => Some((l.content.clone(), l.saved_at, l.pending)),
        (None, None) => None,
    }
}

/// The new-ticket form's fields as one draft text: `name<US>value` pairs separated by
/// `<RS>` (ASCII unit and record separators, which nobody types).
pub fn encode_fields(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}\u{1f}{v}"))
        .collect::<Vec<_>>()
        .join("\u{1e}")
}

/// The value of `name` in a text made by [`encode_fields`].
pub fn field_of(encoded: &str, name: &str) -> Option<String> {
    encoded
        .split('\u{1e}')
        .filter_map(|pair| pair.split_once('\u{1f}'))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A draft as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerDraft {
    pub content: String,
    pub updated_at: i64,
}

/// Where a draft belongs: a ticket's composer or the new-ticket form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Ticket(i64),
    NewTicket,
}

/// The key of the "New ticket" form's draft.
pub const NEW_TICKET_KEY: &str = "new-ticket";

impl Scope {
    pub fn key(self) -> String {
        match self {
            Scope::Ticket(id) => format!("ticket:{id}"),
            Scope::NewTicket => NEW_TICKET_KEY.into(),
        }
    }

    pub fn parse(raw: &str) -> Result<Scope, AppError> {
        if raw == NEW_TICKET_KEY {
            return Ok(Scope::NewTicket);
        }
        raw.strip_prefix("ticket:")
            .and_then(|id| id.parse().ok())
            .map(Scope::Ticket)
            .ok_or_else(|| AppError::validation("scope", "Unknown draft."))
    }
}

/// Saves the signed-in staff member's draft for `scope`. `saved_at` is when it was
/// typed (the browser's clock); an older draft never replaces a newer one.
#[server(prefix = "/api", endpoint = "drafts/save")]
pub async fn save_draft(scope: String, content: String, saved_at: i64) -> Result<(), AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let scope = Scope::parse(&scope)?;
            if content.chars().count() > MAX_CHARS {
                return Err(AppError::validation(
                    "content",
                    "This draft is too long to keep.",
                ));
            }
            if let Scope::Ticket(id) = scope {
                if !crate::auth::policy::ticket_visible(&state.db, &user, id).await? {
                    return Err(AppError::NotFound);
                }
            }
            store::save(&state.db, user.id, &scope.key(), &content, saved_at).await
        }
        .await,
    )
}

/// Throws away the signed-in staff member's draft for `scope`.
#[server(prefix = "/api", endpoint = "drafts/discard")]
pub async fn discard_draft(scope: String) -> Result<(), AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let scope = Scope::parse(&scope)?;
            store::discard(&state.db, user.id, &scope.key()).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::ServerDraft;
    use crate::db;
    use crate::error::AppError;
    use crate::store::Db;

    pub async fn save(
        db: &Db,
        user: i64,
        scope: &str,
        content: &str,
        at: i64,
    ) -> Result<(), AppError> {
        crate::write_tx!(db, single conn => sqlx::query(
            "INSERT INTO drafts (user_id, scope, content, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, scope) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at
             WHERE drafts.updated_at <= excluded.updated_at"
        ).bind(user).bind(scope).bind(content).bind(at).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
        Ok(())
    }

    pub async fn load(db: &Db, user: i64, scope: &str) -> Result<Option<ServerDraft>, AppError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            content: String,
            updated_at: i64,
        }
        let row = db!(db, pool => sqlx::query_as::<_, Row>(
            "SELECT content, updated_at FROM drafts WHERE user_id = $1 AND scope = $2"
        ).bind(user).bind(scope).fetch_optional(pool).await)?;
        Ok(row.map(|r| ServerDraft {
            content: r.content,
            updated_at: r.updated_at,
        }))
    }

    pub async fn discard(db: &Db, user: i64, scope: &str) -> Result<(), AppError> {
        crate::write_tx!(db, single conn => sqlx::query("DELETE FROM drafts WHERE user_id = $1 AND scope = $2")
            .bind(user).bind(scope).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))?;
        Ok(())
    }
}

/// The browser's side: local storage and the clock.
#[cfg(feature = "hydrate")]
pub mod browser {
    use super::LocalDraft;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn read(key: &str) -> Option<LocalDraft> {
        let raw = storage()?.get_item(key).ok().flatten()?;
        serde_json::from_str(&raw).ok()
    }

    pub fn write(key: &str, draft: &LocalDraft) {
        if let (Some(s), Ok(raw)) = (storage(), serde_json::to_string(draft)) {
            let _ = s.set_item(key, &raw);
        }
    }

    pub fn remove(key: &str) {
        if let Some(s) = storage() {
            let _ = s.remove_item(key);
        }
    }

    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }

    /// "10:42" in the browser's time zone.
    pub fn clock() -> String {
        let d = js_sys::Date::new_0();
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
}

/// The draft machinery of one text box: restores the newer of the server's and the
/// browser's draft into `text`, saves as the user types, queues offline, and says
/// what it is doing in `status`.
#[derive(Clone, Copy)]
pub struct Drafts {
    pub status: RwSignal<DraftStatus>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    key: StoredValue<String>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    scope: StoredValue<String>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    autosave: StoredValue<Autosave>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    text: RwSignal<String>,
}

impl Drafts {
    /// Sets up drafts for `text`. Call from a component; the browser part starts
    /// after hydration.
    pub fn new(
        user_id: i64,
        scope: Scope,
        server: Option<ServerDraft>,
        text: RwSignal<String>,
    ) -> Drafts {
        let restored = server.as_ref().map(|s| s.content.clone());
        if let Some(content) = restored {
            text.set(content);
        }
        let drafts = Drafts {
            status: RwSignal::new(DraftStatus::Idle),
            key: StoredValue::new(storage_key(user_id, &scope.key())),
            scope: StoredValue::new(scope.key()),
            autosave: StoredValue::new(Autosave::default()),
            text,
        };
        #[cfg(feature = "hydrate")]
        drafts.start(server);
        drafts
    }

    /// Call on every keystroke.
    pub fn edited(&self) {
        #[cfg(feature = "hydrate")]
        {
            let now = browser::now_ms();
            self.autosave.update_value(|a| a.edited(now));
            let content = self.text.get_untracked();
            // Kept locally at once, so a crash or a closed tab loses nothing.
            browser::write(
                &self.key.get_value(),
                &LocalDraft {
                    content,
                    saved_at: now as i64,
                    pending: true,
                },
            );
            self.schedule();
        }
    }

    /// The message was sent, or the draft thrown away: forget it everywhere.
    pub fn clear(&self, tell_server: bool) {
        self.autosave.set_value(Autosave::default());
        self.status.set(DraftStatus::Idle);
        #[cfg(feature = "hydrate")]
        {
            browser::remove(&self.key.get_value());
            if tell_server {
                let scope = self.scope.get_value();
                leptos::task::spawn_local(async move {
                    let _ = discard_draft(scope).await;
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = tell_server;
    }

    #[cfg(feature = "hydrate")]
    fn start(&self, server: Option<ServerDraft>) {
        let me = *self;
        // After hydration: the browser's copy may be newer than the server's (typed
        // offline, or the tab closed before the save).
        Effect::new(move |_| {
            let local = browser::read(&me.key.get_value());
            if let Some((content, _, pending)) = newer(server.as_ref(), local.as_ref()) {
                if me.text.get_untracked() != content {
                    me.text.set(content);
                }
                if pending {
                    me.autosave.update_value(|a| a.edited(0.0));
                    me.save_now();
                }
            }
        });
        let online = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            if matches!(me.status.get_untracked(), DraftStatus::Offline) {
                me.save_now();
            }
        });
        if let Some(w) = web_sys::window() {
            use wasm_bindgen::JsCast;
            let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        }
        online.forget();
    }

    #[cfg(feature = "hydrate")]
    fn schedule(&self) {
        let me = *self;
        let now = browser::now_ms();
        if let Some(wait) = self.autosave.with_value(|a| a.wait(now)) {
            set_timeout(
                move || {
                    if me.autosave.with_value(|a| a.due(browser::now_ms())) {
                        me.save_now();
                    }
                },
                std::time::Duration::from_millis(wait as u64 + 20),
            );
        }
    }

    #[cfg(feature = "hydrate")]
    fn save_now(&self) {
        let me = *self;
        if !self.autosave.with_value(Autosave::dirty) {
            return;
        }
        if matches!(self.status.get_untracked(), DraftStatus::Saving) {
            return;
        }
        let started = browser::now_ms();
        let content = self.text.get_untracked();
        let key = self.key.get_value();
        let scope = self.scope.get_value();
        self.status.set(DraftStatus::Saving);
        leptos::task::spawn_local(async move {
            let at = started as i64;
            match save_draft(scope, content.clone(), at).await {
                Ok(()) => {
                    me.autosave.update_value(|a| a.saved(started));
                    if !me.autosave.with_value(Autosave::dirty) {
                        browser::write(
                            &key,
                            &LocalDraft {
                                content,
                                saved_at: at,
                                pending: false,
                            },
                        );
                    }
                    me.status.set(DraftStatus::Saved(browser::clock()));
                    if me.autosave.with_value(Autosave::dirty) {
                        me.schedule();
                    }
                }
                Err(AppError::Unreachable) => {
                    browser::write(
                        &key,
                        &LocalDraft {
                            content,
                            saved_at: at,
                            pending: true,
                        },
                    );
                    me.status.set(DraftStatus::Offline);
                }
                Err(e) => me.status.set(DraftStatus::Failed(e.to_string())),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_waits_for_a_quiet_spell() {
        let mut a = Autosave::default();
        a.edited(0.0);
        a.edited(1_500.0);
        assert!(!a.due(3_000.0));
        assert!(a.due(3_500.0));
        assert_eq!(a.wait(3_000.0), Some(500.0));
    }

    #[test]
    fn steady_typing_is_saved_at_least_every_thirty_seconds() {
        let mut a = Autosave::default();
        let mut t = 0.0;
        while t < 29_000.0 {
            a.edited(t);
            assert!(!a.due(t));
            t += 1_000.0;
        }
        a.edited(30_000.0);
        assert!(a.due(30_000.0));
    }

    #[test]
    fn typing_during_a_save_stays_unsaved() {
        let mut a = Autosave::default();
        a.edited(0.0);
        a.edited(5_000.0);
        a.saved(4_000.0);
        assert!(a.dirty());
        a.saved(6_000.0);
        assert!(!a.dirty());
    }

    #[test]
    fn the_newer_draft_wins_on_load() {
        let server = ServerDraft {
            content: "server".into(),
            updated_at: 10,
        };
        let local = LocalDraft {
            content: "local".into(),
            saved_at: 20,
            pending: true,
        };
        assert_eq!(newer(Some(&server), Some(&local)).unwrap().0, "local");
        let old = LocalDraft {
            saved_at: 5,
            ..local
        };
        assert_eq!(newer(Some(&server), Some(&old)).unwrap().0, "server");
        assert_eq!(newer(None, None), None);
    }

    #[test]
    fn form_fields_round_trip_through_one_draft_text() {
        let text = encode_fields(&[
            ("title", "Printer".into()),
            ("description", "Line 1\nLine 2".into()),
        ]);
        assert_eq!(
            field_of(&text, "description").as_deref(),
            Some("Line 1\nLine 2")
        );
        assert_eq!(field_of(&text, "title").as_deref(), Some("Printer"));
        assert_eq!(field_of(&text, "tags"), None);
    }

    #[test]
    fn scopes_round_trip_and_refuse_anything_else() {
        assert_eq!(Scope::parse("ticket:42").unwrap(), Scope::Ticket(42));
        assert_eq!(
            Scope::parse(&Scope::NewTicket.key()).unwrap(),
            Scope::NewTicket
        );
        assert!(Scope::parse("ticket:x").is_err());
        assert!(Scope::parse("users").is_err());
        assert_eq!(
            DraftStatus::Offline.label(),
            "Offline — kept on this device"
        );
    }
}
