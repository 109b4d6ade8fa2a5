//! The portal's pages (`/portal`, `/portal/new`, `/portal/tickets/{number}`):
//! components rendered on the server and hydrated like every page. Their forms
//! (`portal::forms`) post as they are (a reply or a request carries files, and goes
//! to a route of the server), with or without JavaScript; a refusal comes back with
//! the error in the address (`__path`/`__err`, as Leptos puts it) and what was typed
//! kept in the session (`KeptForm`), and the page shows the message next to its
//! field, tied with `aria-describedby`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use super::api::{
    portal_home, portal_new_form, portal_ticket, PortalHomeData, PortalNewData, PortalTicketData,
};
use super::forms::{ReplyForm, RequestForm};
use super::model::{PortalSort, StatusFilter, Viewer};
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::ui::time::{date, datetime};

/// The query string of the page's address, decoded, and what was typed in a form
/// refused without JavaScript (kept in the session, see `KeptForm`).
pub struct Query {
    pairs: Vec<(String, String)>,
    kept: Option<crate::auth::model::KeptForm>,
}

impl Query {
    /// The page's own address and the session's kept form (inside a page component).
    pub fn current() -> Query {
        let search = use_location().search.get_untracked();
        let kept = use_context::<crate::auth::pages::AuthContext>()
            .and_then(|auth| auth.session.get_untracked())
            .and_then(|info| info.ok())
            .and_then(|info| info.kept);
        Query::parse(search.trim_start_matches('?'), kept)
    }

    pub fn parse(raw: &str, kept: Option<crate::auth::model::KeptForm>) -> Query {
        Query {
            pairs: crate::tickets::filter::parse_query(raw),
            kept,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The error a form posted to `endpoint` came back with, if it did.
    pub fn error_for(&self, endpoint: &str) -> Option<AppError> {
        use leptos::server_fn::error::ServerFnUrlError;
        let path = self.get("__path")?;
        if !path.ends_with(endpoint) {
            return None;
        }
        Some(ServerFnUrlError::<AppError>::decode_err(self.get("__err")?))
    }

    /// What was typed in `name` when the form the address names (`__path`) was
    /// refused.
    pub fn typed(&self, name: &str) -> String {
        self.get("__path")
            .zip(self.kept.as_ref())
            .and_then(|(path, kept)| kept.value(path, name))
            .unwrap_or_default()
    }
}

/// A page: its title and its content.
fn page(title: impl Into<String>, body: impl IntoView + 'static) -> AnyView {
    let title = title.into();
    view! { <Title text=title/>{body} }.into_any()
}

/// `/portal`: the customer's tickets (a company manager's: their company's), filtered
/// by status, sorted, searched, 25 a page.
#[component]
pub fn PortalHomePage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("status").unwrap_or_default(),
                    q.get("sort").unwrap_or_default(),
                    q.get("q").unwrap_or_default(),
                    q.get("after").unwrap_or_default(),
                )
            })
        },
        |(status, sort, text, after)| portal_home(status, sort, text, after),
    );
    view! {
        <ProtectedWith access=Access::Portal data
            render=|home: PortalHomeData| home_view(home, &Query::current())/>
    }
}

/// `/portal/new`: a new request, with files.
#[component]
pub fn PortalNewPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| portal_new_form());
    view! {
        <ProtectedWith access=Access::Portal data
            render=|form: PortalNewData| {
                new_ticket_page(&form.viewer, &Query::current(), form.teams, form.upload_limit)
            }/>
    }
}

/// `/portal/tickets/{number}`: one ticket, its public conversation, a reply, closing
/// and reopening.
#[component]
pub fn PortalTicketRoutePage() -> impl IntoView {
    let number = crate::ui::number_param();
    let data = Resource::new(number, |number| async move {
        match number {
            Some(n) => portal_ticket(n).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <ProtectedWith access=Access::Portal data
            render=|p: PortalTicketData| ticket_page(p, &Query::current())/>
    }
}

// ---- the portal ---------------------------------------------------------------------

/// Why a customer cannot submit yet (an account the old registration left
/// unconfirmed), with "Email me a link" (or nothing to say).
fn verification_notice(viewer: &Viewer, q: &Query) -> Option<impl IntoView> {
    if viewer.verified {
        return None;
    }
    let error = q.error_for("verify/resend");
    let resent = q.get("resent").is_some();
    let email = viewer.email.clone();
    Some(view! {
        <section class="card notice-card" aria-labelledby="verify-heading">
            <h2 id="verify-heading">"Confirm your email to continue"</h2>
            <p>{format!("We will send a link to {email}. Open it and choose your password there to submit requests and see your tickets.")}</p>
            {resent.then(|| view! { <p role="status" class="notice">"Sent: check your inbox (and the spam folder)."</p> })}
            {error.map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            <form method="post" action="/api/verify/resend">
                <button type="submit" class="button secondary">"Email me a link"</button>
            </form>
        </section>
    })
}

fn home_view(home: PortalHomeData, q: &Query) -> AnyView {
    let PortalHomeData {
        viewer,
        staff,
        rows,
        more,
        open,
        closed,
    } = home;
    let viewer = &viewer;
    let status = StatusFilter::parse(q.get("status").unwrap_or_default());
    let sort = PortalSort::parse(q.get("sort").unwrap_or_default());
    let text = q.get("q").unwrap_or_default().to_string();
    let after = q.get("after").filter(|a| !a.is_empty());
    let next = more
        .then(|| rows.last().map(|r| r.sort_key(sort)))
        .flatten()
        .map(|(v, id)| {
            format!(
                "/portal?status={}&sort={}&q={}&after={v}.{id}",
                status.as_str(),
                sort.as_str(),
                crate::ui::encode_query_value(&text)
            )
        });
    let manager = viewer.manages_any();
    let notice = verification_notice(viewer, q);
    let can_submit = viewer.active_customer().is_some();
    let empty = rows.is_empty();
    let first_page = after.is_none();
    let heading = if manager {
        format!("My tickets and those of {}", viewer.managed_names())
    } else {
        "My tickets".to_string()
    };
    page(
        "My tickets · Grip",
        view! {
            <div class="page-head">
                <h1>{heading}</h1>
                {can_submit.then(|| view! { <a class="button primary" href="/portal/new">"New request"</a> })}
            </div>
            {notice}
            {staff.then(|| view! {
                <p class="card muted">"This is the customer portal. Staff accounts have no tickets here: customers see their own requests on this page."</p>
            })}
            {can_submit.then(|| view! {
                <form method="get" action="/portal" class="filter-bar portal-filter" role="search" aria-label="Filter my tickets">
                    <div class="field">
                        <label for="portal-status">"Status"</label>
                        <select id="portal-status" name="status">
                            <option value="open" selected=status == StatusFilter::Open>{format!("Open ({open})")}</option>
                            <option value="closed" selected=status == StatusFilter::Closed>{format!("Closed ({closed})")}</option>
                            <option value="all" selected=status == StatusFilter::All>{format!("All ({})", open + closed)}</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="portal-sort">"Sort by"</label>
                        <select id="portal-sort" name="sort">
                            <option value="updated" selected=sort == PortalSort::Updated>"Last update"</option>
                            <option value="created" selected=sort == PortalSort::Created>"Date opened"</option>
                        </select>
                    </div>
                    <div class="field grow">
                        <label for="portal-q">"Search"</label>
                        <input id="portal-q" name="q" type="search" value=text.clone() placeholder="Number or words"/>
                    </div>
                    <button type="submit" class="button secondary">"Show"</button>
                </form>
            })}
            {(can_submit && empty).then(|| view! {
                <section class="card empty-state">
                    <p>{if first_page { "No tickets here." } else { "No more tickets." }}</p>
                </section>
            })}
            {(!empty).then(|| view! {
                <ul class="portal-list" aria-label="Tickets">
                    {rows.into_iter().map(|r| {
                        let done = r.kind == "done";
                        let status = r.status().to_string();
                        view! {
                            <li class="card portal-row">
                                <a class="portal-title" href=format!("/portal/tickets/{}", r.number)>
                                    <span class="muted">{format!("#{}", r.number)}</span>" "{r.title.clone()}
                                </a>
                                <span class="badge" class:done=done>{status}</span>
                                <span class="muted portal-meta">
                                    {manager.then(|| format!("{} · ", r.customer))}
                                    {format!("updated {} · opened {}", date(r.activity_at), date(r.created_at))}
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {next.map(|href| view! { <p><a class="button secondary" href=href>"Next page"</a></p> })}
        },
    )
}

fn new_ticket_page(
    viewer: &Viewer,
    q: &Query,
    teams: Vec<super::model::PortalTeam>,
    upload_limit: u64,
) -> AnyView {
    let notice = verification_notice(viewer, q);
    if viewer.active_customer().is_none() {
        return page(
            "New request · Grip",
            view! {
                <div class="page-head"><h1>"New request"</h1></div>
                {notice}
                {viewer.verified.then(|| view! { <p class="card">"Staff accounts submit tickets from the board."</p> })}
            },
        );
    }
    let refused = q.error_for("portal/new");
    let typed = ["title", "description", "priority", "team", "company"]
        .into_iter()
        .map(|n| (n.to_string(), q.typed(n)))
        .collect();
    let draft_key = crate::tickets::drafts::storage_key(viewer.user_id, "portal-new");
    let companies = viewer.companies.clone();
    page(
        "New request · Grip",
        view! {
            <div class="page-head"><h1>"New request"</h1></div>
            <RequestForm draft_key teams companies upload_limit typed refused/>
        },
    )
}

fn ticket_page(p: PortalTicketData, q: &Query) -> AnyView {
    let PortalTicketData {
        ticket: t,
        viewer_id,
        upload_limit,
        now,
    } = p;
    let draft_key =
        crate::tickets::drafts::storage_key(viewer_id, &format!("portal-reply-{}", t.number));
    let reply_error = q.error_for(&format!("portal/tickets/{}/reply", t.number));
    let state_error = q
        .error_for("portal/close")
        .or_else(|| q.error_for("portal/reopen"));
    let submitted = q.get("submitted").is_some();
    let sent = q.get("sent").is_some();
    let number = t.number;
    let closed = t.closed();
    let reopenable = t.reopenable(now);
    let ticket_id = t.id;
    let description = t.description_html.clone();
    let has_description = !t.description.trim().is_empty();
    let messages = t.messages.clone();
    page(
        format!("#{} {} · Grip", t.number, t.title),
        view! {
            {submitted.then(|| view! {
                <section class="card confirm-card" role="status" aria-labelledby="submitted-heading">
                    <h2 id="submitted-heading">{format!("Thank you: your request #{number} is in")}</h2>
                    <p>"We have emailed you its number and a link to this page. You will hear from us here and by email."</p>
                </section>
            })}
            <div class="page-head">
                <h1 class="ticket-heading">{format!("#{} {}", t.number, t.title)}</h1>
                <a class="button secondary" href="/portal">"All my tickets"</a>
            </div>
            <p class="ticket-summary muted">
                <span class="badge" class:done=closed>{t.status.clone()}</span>
                {format!(" · opened {}", datetime(t.created_at))}
                {t.someone_elses.then(|| format!(" · by {}", t.customer))}
                {t.merged_into.map(|n| format!(" · merged into #{n}"))}
            </p>
            <section class="card conversation" aria-labelledby="conversation-heading">
                <h2 id="conversation-heading">"Conversation"</h2>
                <ol class="thread">
                    {has_description.then(|| view! {
                        <li class="message from-customer">
                            <article aria-label=format!("Request by {}", t.customer)>
                                <header class="message-head">
                                    <span class="message-kind">"Request"</span>
                                    <span class="message-author">{t.customer.clone()}</span>
                                    <time class="muted" datetime=crate::ui::time::iso(t.created_at)>{datetime(t.created_at)}</time>
                                </header>
                                <div class="message-body" inner_html=description></div>
                            </article>
                        </li>
                    })}
                    {messages.into_iter().map(|m| {
                        let customer = matches!(m.author, crate::tickets::conversation::model::Author::Customer(_));
                        view! {
                            <li class="message" class:from-customer=customer>
                                <crate::tickets::conversation::render::MessageArticle message=m/>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                {sent.then(|| view! { <p role="status" class="notice">"Your reply was sent."</p> })}
                {if closed {
                    view! {
                        <div class="closed-note">
                            <p>{if t.merged_into.is_some() {
                                "This request was merged into another one; it is closed."
                            } else if reopenable {
                                "This ticket is closed. If the problem is back, reopen it (possible for 14 days after closing)."
                            } else {
                                "This ticket is closed. Please open a new request if you need more help."
                            }}</p>
                            {reopenable.then(|| view! {
                                <form method="post" action="/api/portal/reopen">
                                    <input type="hidden" name="number" value=number/>
                                    <button type="submit" class="button secondary">"Reopen this ticket"</button>
                                </form>
                            })}
                            {(!reopenable).then(|| view! { <a class="button primary" href="/portal/new">"New request"</a> })}
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <ReplyForm number ticket_id draft_key upload_limit typed=q.typed("body")
                            refused=reply_error/>
                        <form method="post" action="/api/portal/close" class="solved-form">
                            <input type="hidden" name="number" value=number/>
                            <button type="submit" class="button secondary">"This is solved: close the ticket"</button>
                        </form>
                    }.into_any()
                }}
                {state_error.map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            </section>
        },
    )
}
