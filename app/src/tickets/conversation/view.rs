//! The thread and the composer on the staff ticket page.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::api::PostMessage;
use super::model::{Author, Conversation, MessageBody, MessageKind};
use super::upload::{FileTray, Tray};
use crate::tickets::drafts::{Drafts, Scope};
use crate::ui::FormError;

/// A ticket's conversation: every message in time order, replies and internal notes
/// told apart by label and colour, and the composer below.
#[component]
pub fn ConversationPanel(ticket_id: i64, conversation: Conversation) -> impl IntoView {
    let messages = RwSignal::new(conversation.messages);
    let post = ServerAction::<PostMessage>::new();
    let body = RwSignal::new(String::new());
    let tray = Tray::new(Some(ticket_id), conversation.upload_limit);
    let drafts = Drafts::new(
        conversation.viewer_id,
        Scope::Ticket(ticket_id),
        conversation.draft.clone(),
        body,
    );
    let initial_text = body.get_untracked();
    let canned = StoredValue::new(conversation.canned.clone());
    // The canned-reply menu: open or not, its search, and whether it was opened by
    // typing "/" (the typed "/query" is then replaced by the reply).
    let menu_open = RwSignal::new(false);
    let menu_query = RwSignal::new(String::new());
    let slash = RwSignal::new(false);
    let on_text = move |_| {
        drafts.edited();
        let text = body.get_untracked();
        let line = text.rsplit('\n').next().unwrap_or("");
        match line.strip_prefix('/') {
            Some(q) if !q.contains(char::is_whitespace) && !canned.with_value(|c| c.is_empty()) => {
                slash.set(true);
                menu_query.set(q.to_string());
                menu_open.set(true);
            }
            _ if slash.get_untracked() => {
                slash.set(false);
                menu_open.set(false);
            }
            _ => {}
        }
    };
    let placeholders = StoredValue::new(conversation.placeholders.clone());
    let insert = move |id: i64| {
        let from_slash = slash.get_untracked();
        let reply = canned.with_value(|all| all.iter().find(|r| r.id == id).cloned());
        if let Some(reply) = reply {
            let text = placeholders.with_value(|p| crate::teams::canned::fill(&reply.body, p));
            body.update(|b| {
                if from_slash {
                    if let Some(at) = b.rfind('/') {
                        b.truncate(at);
                    }
                } else if !b.is_empty() && !b.ends_with('\n') {
                    b.push_str("\n\n");
                }
                b.push_str(&text);
            });
            drafts.edited();
        }
        menu_open.set(false);
        slash.set(false);
        menu_query.set(String::new());
    };

    // A sent message joins the thread and empties the composer; a refused one leaves
    // the text where it was.
    Effect::new(move |_| {
        if let Some(Ok(m)) = post.value().get() {
            messages.update(|all| {
                if !all.iter().any(|x| x.id == m.id) {
                    all.push(m);
                }
            });
            body.set(String::new());
            tray.clear();
            // The server dropped its copy with the send.
            drafts.clear(false);
        }
    });

    let post_error = Signal::derive(move || post.value().get().and_then(|r| r.err()));
    // A refused deletion (a plain form in each note) comes back with its message, as
    // Leptos puts it in the address.
    let notice = crate::ui::failure(ServerAction::<super::api::DeleteNote>::new().value());
    let body_error = move || {
        post_error
            .get()
            .and_then(|e| e.message_for("body"))
            .or_else(|| {
                let text = body.get();
                (text.chars().count() > MessageBody::MAX)
                    .then(|| MessageBody::parse(&text).err().map(|e| e.to_string()))
                    .flatten()
            })
    };
    let initial_reply = conversation.compose == MessageKind::Reply;
    // Files dropped anywhere on the composer are attached.
    let on_dragover = move |ev: web_sys::DragEvent| ev.prevent_default();
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            super::upload::add_files(tray, files);
        }
    };
    let count = move || {
        let n = messages.with(|m| m.len());
        match n {
            0 => "No messages yet".to_string(),
            1 => "1 message".to_string(),
            n => format!("{n} messages"),
        }
    };

    view! {
        <section class="card conversation" aria-labelledby="conversation-heading">
            <div class="section-head">
                <h2 id="conversation-heading">"Conversation"</h2>
                <span class="muted">{count}</span>
            </div>
            <ol class="thread">
                <For each=move || messages.get() key=|m| (m.id, m.deleted.is_some()) children=|m| {
                    let note = m.kind == MessageKind::Note;
                    let from_customer = matches!(m.author, Author::Customer(_));
                    view! {
                        <li class="message" class:note=note class:from-customer=from_customer>
                            <super::render::MessageArticle message=m/>
                        </li>
                    }
                }/>
            </ol>
            {move || notice.get().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            <ActionForm action=post attr:class="composer" attr:aria-label="Write a message"
                on:dragover=on_dragover on:drop=on_drop>
                <input type="hidden" name="ticket_id" value=ticket_id/>
                // The choice is shown by CSS (`:has(:checked)`), so the right button,
                // hint and colour follow it with or without JavaScript; the button
                // pressed sends its own `kind`.
                <fieldset class="compose-kind">
                    <legend>"Send as"</legend>
                    <label class="choice">
                        <input type="radio" id="compose-as-reply" name="compose_as" value="reply" checked=initial_reply/>
                        "Reply to customer"
                    </label>
                    <label class="choice note-choice">
                        <input type="radio" id="compose-as-note" name="compose_as" value="note" checked=!initial_reply/>
                        "Internal note"
                    </label>
                </fieldset>
                <div class="field" class:has-error=move || body_error().is_some()>
                    <label for="compose-body">"Message"</label>
                    <textarea id="compose-body" name="body" rows="6"
                        aria-describedby="compose-body-hint compose-body-error"
                        on:input=on_text
                        bind:value=body>{initial_text}</textarea>
                    <p class="hint" id="compose-body-hint">
                        <span class="for-reply">"The customer will see this reply. "</span>
                        <span class="for-note">"Only staff will see this note. "</span>
                        "Markdown: **bold**, *italic*, `code`, lists and links."
                    </p>
                    <p class="field-error" id="compose-body-error" aria-live="polite">{body_error}</p>
                </div>
                <CannedMenu replies=canned open=menu_open query=menu_query on_choose=insert/>
                <FileTray tray/>
                <FormError error=post_error/>
                <div class="form-actions">
                    <button type="submit" name="kind" value="reply" class="button primary send-reply"
                        disabled=move || post.pending().get() || tray.busy()>{MessageKind::Reply.send_label()}</button>
                    <button type="submit" name="kind" value="note" class="button primary note-button send-note"
                        disabled=move || post.pending().get() || tray.busy()>{MessageKind::Note.send_label()}</button>
                    <span class="muted" role="status">{move || post.pending().get().then_some("Sending…")}</span>
                    <span class="draft-status muted" role="status" aria-live="polite">{move || drafts.status.get().label()}</span>
                    {move || (!body.get().is_empty()).then(|| view! {
                        <button type="button" class="button link discard-draft" on:click=move |_| {
                            body.set(String::new());
                            drafts.clear(true);
                        }>"Discard draft"</button>
                    })}
                </div>
            </ActionForm>
        </section>
    }
}

/// "Canned reply": the team's prepared texts, searched as you type (in the menu, or
/// after "/" in the message). Browser only, like the uploads.
#[component]
fn CannedMenu(
    replies: StoredValue<Vec<crate::teams::canned::CannedReply>>,
    open: RwSignal<bool>,
    query: RwSignal<String>,
    on_choose: impl Fn(i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let shown = move || {
        let q = query.get();
        replies.with_value(|all| {
            all.iter()
                .filter(|r| r.matches(&q))
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    move || {
        (hydrated.get() && !replies.with_value(|r| r.is_empty())).then(|| {
            view! {
                <div class="canned-menu">
                    <button type="button" class="button secondary small" aria-expanded=move || open.get().to_string()
                        aria-controls="canned-panel" on:click=move |_| open.update(|o| *o = !*o)>"Canned reply"</button>
                    <div id="canned-panel" class="canned-panel" hidden=move || !open.get()>
                        <label for="canned-search" class="visually-hidden">"Search canned replies"</label>
                        <input id="canned-search" type="search" placeholder="Search canned replies"
                            prop:value=move || query.get()
                            on:input=move |ev| query.set(event_target_value(&ev))/>
                        <ul class="canned-options" aria-label="Canned replies">
                            {move || {
                                let list = shown();
                                if list.is_empty() {
                                    view! { <li class="muted">"No canned reply matches."</li> }.into_any()
                                } else {
                                    list.into_iter().map(|r| {
                                        let id = r.id;
                                        let preview: String = r.body.chars().take(80).collect();
                                        view! {
                                            <li>
                                                <button type="button" class="canned-option" on:click=move |_| on_choose(id)>
                                                    <strong>{r.title}</strong>
                                                    <span class="muted">{preview}</span>
                                                </button>
                                            </li>
                                        }
                                    }).collect_view().into_any()
                                }
                            }}
                        </ul>
                    </div>
                </div>
            }
        })
    }
}
