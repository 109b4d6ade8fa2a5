//! Messages rendered to HTML on the server: the browser places them as they are, so
//! the WASM bundle carries no code for them (it has a size budget). Every text node
//! is escaped by the renderer; the body comes from `ui::markdown`, which builds its
//! HTML from a parsed tree, never from what was typed.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::tachys::view::RenderHtml;

use super::api::DeleteNote;
use super::model::{human_size, Author, Message};
use crate::tickets::page::datetime;

/// A message as the thread shows it: label, author, time, body, attachments, and
/// "Delete note" while its author may still delete it.
pub fn article_html(message: &Message, now: i64) -> String {
    let message = message.clone();
    let name = message.accessible_name();
    let from_customer = matches!(message.author, Author::Customer(_));
    let label = if from_customer {
        "Customer"
    } else {
        message.kind.label()
    };
    let author = message.author.name().to_string();
    let when = datetime(message.created_at);
    let deletable = message.deleted.is_none() && message.deletable_until.is_some_and(|u| u > now);
    let id = message.id;
    let content = match message.deleted {
        Some((by, at)) => view! {
            <p class="message-deleted muted">{format!("Internal note deleted by {by} at {}.", datetime(at))}</p>
        }
        .into_any(),
        None => {
            let files = message.attachments;
            view! {
                // Built by the server's Markdown renderer, which escapes all text.
                <div class="message-body" inner_html=crate::ui::markdown::to_html(&message.body)></div>
                {(!files.is_empty()).then(|| view! {
                    <ul class="attachments" aria-label="Attachments">
                        {files.into_iter().map(|a| {
                            let url = a.url();
                            let thumb = a.is_image().then(|| format!("{url}?inline=1"));
                            let size = human_size(a.size);
                            let label = format!("Download {} ({size})", a.name);
                            view! {
                                <li>
                                    <a href=url download=a.name.clone() aria-label=label>
                                        {thumb.map(|src| view! { <img class="thumb" src=src alt="" loading="lazy"/> })}
                                        <span class="file-name">{a.name.clone()}</span>
                                    </a>
                                    <span class="muted">" "{size}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            }
            .into_any()
        }
    };
    view! {
            <article aria-label=name>
                <header class="message-head">
                    <span class="message-kind">{label}</span>
                    <span class="message-author">{author}</span>
                    <time class="muted">{when}</time>
                    {deletable.then(|| view! {
                        // A plain form: the page comes back without the note.
                        <form method="post" action=DeleteNote::PATH class="inline-form">
                            <input type="hidden" name="message_id" value=id/>
                            <button type="submit" class="button link">"Delete note"</button>
                        </form>
                    })}
                </header>
                {content}
            </article>
    }
    .to_html()
}
