//! One message as a thread shows it (the agent's ticket page and the portal): label,
//! author, time, body, attachments, and "Delete note" while its author may still
//! delete it. The body is the one piece of HTML placed as such: the server's
//! sanitizing Markdown renderer made it (`ui::markdown`), nothing typed reaches the
//! page as markup.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::api::DeleteNote;
use super::model::{human_size, Attachment, Author, Message};
use crate::ui::time::{datetime, iso};

/// A message of a thread. "Delete note" is offered while `deletable_until` is set
/// (the server clears it once the time is over, so both renders agree).
#[component]
pub fn MessageArticle(message: Message) -> impl IntoView {
    let name = message.accessible_name();
    let from_customer = matches!(message.author, Author::Customer(_));
    let label = if from_customer {
        "Customer"
    } else {
        message.kind.label()
    };
    let author = message.author.name().to_string();
    let when = datetime(message.created_at);
    let when_iso = iso(message.created_at);
    let deletable = message.deleted.is_none() && message.deletable_until.is_some();
    let id = message.id;
    let content = match message.deleted {
        Some((by, at)) => view! {
            <p class="message-deleted muted">{format!("Internal note deleted by {by} at {}.", datetime(at))}</p>
        }
        .into_any(),
        None => view! {
            // Made by the server's sanitizing Markdown renderer.
            <div class="message-body" inner_html=message.body_html></div>
            <AttachmentList files=message.attachments/>
        }
        .into_any(),
    };
    view! {
        <article aria-label=name>
            <header class="message-head">
                <span class="message-kind">{label}</span>
                <span class="message-author">{author}</span>
                <time class="muted" datetime=when_iso>{when}</time>
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
}

/// A message's files: each a download link, raster images with their small preview
/// (made by the server when the file was stored; the full image only on opening).
#[component]
fn AttachmentList(files: Vec<Attachment>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        view! {
            <ul class="attachments" aria-label="Attachments">
                {files.into_iter().map(|a| {
                    let url = a.url();
                    let thumb = a.is_image().then(|| format!("{url}?preview=1"));
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
        }
    })
}
