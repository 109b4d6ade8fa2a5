//! Admin → Outbox (`/admin/outbox`): every email Grip sends, newest first, with its
//! state (sent, retrying, failed, or kept when no SMTP server is set).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::admin::api::{outbox, OUTBOX_PAGE};
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::mail::OutboxMail;
use crate::teams::pages::AdminNav;
use crate::ui::time::datetime;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let data = Resource::new(before, outbox);
    view! {
        <Title text="Outbox · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render={move |mails: Vec<OutboxMail>| view! { <OutboxView mails/> }.into_any()}/>
    }
}

/// How a mail's state reads.
fn status_label(m: &OutboxMail) -> &'static str {
    match m.status.as_str() {
        "sent" => "Sent",
        "pending" if m.attempts > 0 => "Retrying",
        "pending" => "Sending",
        "failed" => "Failed",
        _ => "Kept",
    }
}

#[component]
fn OutboxView(mails: Vec<OutboxMail>) -> impl IntoView {
    let next = (mails.len() as i64 == OUTBOX_PAGE)
        .then(|| {
            mails
                .last()
                .map(|m| format!("/admin/outbox?before={}", m.id))
        })
        .flatten();
    let empty = mails.is_empty();
    view! {
        <div class="page-head"><h1>"Admin"</h1><AdminNav current="outbox"/></div>
        <h2>"Outbox"</h2>
        <p class="muted">"Every email Grip sends, newest first. Without an SMTP server (smtp_host) mail is kept here, marked “Kept”."</p>
        {empty.then(|| view! { <section class="card empty-state"><p>"No mail yet."</p></section> })}
        <ol class="outbox">
            {mails.into_iter().map(|m| {
                let status = status_label(&m);
                view! {
                    <li class="card outbox-mail">
                        <div class="outbox-head">
                            <span class=format!("badge status-{}", m.status)>{status}</span>" "
                            <strong>{m.subject.clone()}</strong>
                        </div>
                        <p class="muted">{format!("To {} · {}", m.to_addr, datetime(m.created_at))}
                            {m.sent_at.map(|s| format!(" · sent {}", datetime(s)))}
                            {(m.attempts > 0).then(|| format!(" · {} attempt(s)", m.attempts))}</p>
                        {m.last_error.map(|e| view! { <p class="form-error">{format!("Last error: {e}")}</p> })}
                        <details>
                            <summary>"Show the message"</summary>
                            <pre class="mail-body">{m.body}</pre>
                        </details>
                    </li>
                }
            }).collect_view()}
        </ol>
        {next.map(|href| view! { <p><a class="button secondary" href=href>"Older mail"</a></p> })}
    }
}
