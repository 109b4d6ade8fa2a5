//! The portal's pages (and the other small server-rendered pages: forgot and reset
//! password, email verification, Admin → Outbox), rendered on the server to HTML
//! that the browser places as it is. Their forms are plain HTML forms: a server
//! function or a portal route answers with a redirect, a refusal comes back in the
//! address (`__path`/`__err`, and `typed_*` for what was typed), and the page shows
//! the message next to the field it is about, tied with `aria-describedby`.

use leptos::prelude::*;

use super::store::{self, ListQuery, PortalSort, StatusFilter, Viewer};
use crate::auth::model::CurrentUser;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::teams::pages::AdminNav;
use crate::tickets::page::datetime;

/// A page rendered on the server: its title and its HTML.
pub use crate::pages::Rendered;

/// The query string of the page's address, decoded.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        Query(crate::tickets::filter::parse_query(raw))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
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

    /// What was typed in `name` when the form was refused.
    pub fn typed(&self, name: &str) -> String {
        self.get(&format!("typed_{name}"))
            .unwrap_or_default()
            .to_string()
    }
}

/// A labelled input with its hint and error tied to it (`aria-describedby`).
#[allow(clippy::too_many_arguments)]
pub fn input(
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    value: String,
    error: Option<String>,
    hint: Option<&'static str>,
    required: bool,
    autocomplete: &'static str,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let invalid = error.is_some();
    view! {
        <div class="field" class:has-error=invalid>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <input id=id name=name type=kind value=value required=required autocomplete=autocomplete
                aria-invalid=if invalid { "true" } else { "false" }
                aria-describedby=(!described.is_empty()).then(|| described.join(" "))/>
            <p class="field-error" id=error_id>{error}</p>
        </div>
    }
}

/// The message of an error that belongs to none of `fields`, as a form-level alert.
fn form_alert(error: &Option<AppError>, fields: &[&str]) -> Option<impl IntoView> {
    error
        .as_ref()
        .filter(|e| e.field().is_none_or(|f| !fields.contains(&f)))
        .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
}

fn message_for(error: &Option<AppError>, field: &str) -> Option<String> {
    error.as_ref().and_then(|e| e.message_for(field))
}

fn page(title: impl Into<String>, body: impl IntoView) -> Rendered {
    Rendered {
        title: title.into(),
        html: body.to_html(),
    }
}

/// Renders the server page at `path`, or NotFound. Each page checks who may see it.
pub async fn render(path: &str, raw_query: &str) -> Result<Rendered, AppError> {
    let q = Query::parse(raw_query);
    let state = crate::state::app_state()?;
    let db = &state.db;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["forgot"] => Ok(forgot_page(&q)),
        ["reset"] => {
            let token = q.get("token").unwrap_or_default().to_string();
            let usable = crate::auth::links::reset_link_usable(db, &token).await?;
            Ok(reset_page(&q, token, usable))
        }
        ["portal", "verify"] => {
            let token = q.get("token").unwrap_or_default();
            let outcome = crate::auth::links::verify_email(db, token).await;
            let signed_in = crate::auth::session::current_user().await?.is_some();
            Ok(verified_page(outcome.map(|_| ()), signed_in))
        }
        ["admin", "people"] => {
            crate::auth::policy::require_user(Access::Admin).await?;
            let people = crate::admin::api::list_people().await?;
            Ok(crate::admin::people::people_page(people, &q))
        }
        ["admin", "customers"] => {
            crate::auth::policy::require_user(Access::Admin).await?;
            let text = q.get("q").unwrap_or_default().to_string();
            let before = q.get("before").and_then(|b| b.parse().ok());
            let rows = store::customer_accounts(db, &text, before, 50).await?;
            Ok(customers_page(rows, &q, text))
        }
        ["admin", "outbox"] => {
            crate::auth::policy::require_user(Access::Admin).await?;
            let before = q.get("before").and_then(|b| b.parse().ok());
            let mails = crate::mail::list(db, before, 50).await?;
            Ok(outbox_page(mails))
        }
        ["portal", rest @ ..] => {
            let user = crate::auth::policy::require_user(Access::Portal).await?;
            let viewer = store::viewer(db, &user).await?;
            match rest {
                [] => portal_home(db, &user, &viewer, &q).await,
                ["new"] => {
                    let teams = store::portal_teams(db).await?;
                    Ok(new_ticket_page(
                        &viewer,
                        &q,
                        teams,
                        state.settings.upload_limit_bytes,
                    ))
                }
                ["tickets", number] => {
                    let number: i64 = number
                        .trim_start_matches('#')
                        .parse()
                        .map_err(|_| AppError::NotFound)?;
                    let t = store::ticket(db, &viewer, number)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    Ok(ticket_page(t, &q, state.settings.upload_limit_bytes))
                }
                _ => Err(AppError::NotFound),
            }
        }
        _ => Err(AppError::NotFound),
    }
}

// ---- accounts ---------------------------------------------------------------------

fn forgot_page(q: &Query) -> Rendered {
    let error = q.error_for("password/forgot");
    let sent = q.get("sent").is_some();
    page(
        "Forgot password · Grip",
        view! {
            <div class="auth-card">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"G"</span><span class="brand-name">"Grip"</span></div>
                <h1>"Forgot your password?"</h1>
                {if sent {
                    view! {
                        <p role="status" class="notice">"If an account uses that email, we have sent it a link to choose a new password. The link works once, for one hour."</p>
                        <p><a href="/login">"Back to sign in"</a></p>
                    }.into_any()
                } else {
                    view! {
                        <p class="muted">"Enter your account's email and we will send you a link to choose a new password."</p>
                        <form method="post" action="/api/password/forgot">
                            {input("Email", "email", "email", q.typed("email"), message_for(&error, "email"), None, true, "email")}
                            {form_alert(&error, &["email"])}
                            <button type="submit" class="button primary wide">"Send the link"</button>
                        </form>
                        <p><a href="/login">"Back to sign in"</a></p>
                    }.into_any()
                }}
            </div>
        },
    )
}

fn reset_page(q: &Query, token: String, usable: bool) -> Rendered {
    let error = q.error_for("password/reset");
    page(
        "Choose a new password · Grip",
        view! {
            <div class="auth-card">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"G"</span><span class="brand-name">"Grip"</span></div>
                <h1>"Choose a new password"</h1>
                {if usable || error.is_some() {
                    view! {
                        <p class="muted">"This signs you out on every other device."</p>
                        <form method="post" action="/api/password/reset">
                            <input type="hidden" name="token" value=token/>
                            {input("New password", "password", "password", String::new(), message_for(&error, "password"),
                                Some("At least 12 characters. A few unrelated words make a strong password."), true, "new-password")}
                            {input("Confirm password", "confirm", "password", String::new(), message_for(&error, "confirm"), None, true, "new-password")}
                            {form_alert(&error, &["password", "confirm"])}
                            <button type="submit" class="button primary wide">"Set the new password"</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <p class="form-error" role="alert">"This link has expired or was already used."</p>
                        <p><a class="button secondary" href="/forgot">"Send a new link"</a></p>
                    }.into_any()
                }}
            </div>
        },
    )
}

fn verified_page(outcome: Result<(), AppError>, signed_in: bool) -> Rendered {
    page(
        "Confirm your email · Grip",
        view! {
            <div class="auth-card">
                <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"G"</span><span class="brand-name">"Grip"</span></div>
                {match outcome {
                    Ok(()) => view! {
                        <h1>"Your email is confirmed"</h1>
                        <p role="status">"Thank you. You can now submit requests and follow them."</p>
                        <p><a class="button primary" href=if signed_in { "/portal" } else { "/login?next=%2Fportal" }>
                            {if signed_in { "Go to my tickets" } else { "Sign in" }}
                        </a></p>
                    }.into_any(),
                    Err(e) => view! {
                        <h1>"This link does not work"</h1>
                        <p class="form-error" role="alert">{e.to_string()}</p>
                        <p>{if signed_in {
                            view! { <a href="/portal">"Go to the portal to have the email sent again"</a> }.into_any()
                        } else {
                            view! { <a href="/login?next=%2Fportal">"Sign in to have the email sent again"</a> }.into_any()
                        }}</p>
                    }.into_any(),
                }}
            </div>
        },
    )
}

// ---- Admin → Outbox, Admin → Customers -------------------------------------------------

fn customers_page(rows: Vec<store::AccountRow>, q: &Query, text: String) -> Rendered {
    let error = q.error_for("admin/customers/company");
    let failed_row: Option<i64> = error
        .as_ref()
        .and_then(|_| q.typed("customer").parse().ok());
    let saved = q.get("saved").is_some();
    let next = (rows.len() == 50)
        .then(|| {
            rows.last().map(|r| {
                format!(
                    "/admin/customers?q={}&before={}",
                    crate::ui::encode_query_value(&text),
                    r.user_id
                )
            })
        })
        .flatten();
    let empty = rows.is_empty();
    page(
        "Customers · Admin · Grip",
        view! {
            <div class="page-head"><h1>"Admin"</h1><AdminNav current="customers"/></div>
            <h2>"Customer accounts"</h2>
            <p class="muted">"People who signed up in the portal. A company manager also sees, and answers, every ticket of their company."</p>
            <form method="get" action="/admin/customers" class="filter-bar" role="search" aria-label="Find customer accounts">
                <div class="field grow">
                    <label for="customers-q">"Name or email"</label>
                    <input id="customers-q" name="q" type="search" value=text/>
                </div>
                <button type="submit" class="button secondary">"Find"</button>
            </form>
            {saved.then(|| view! { <p role="status" class="notice">"Saved."</p> })}
            {empty.then(|| view! { <section class="card empty-state"><p>"No customer accounts."</p></section> })}
            <ul class="portal-list" aria-label="Customer accounts">
                {rows.into_iter().map(|r| {
                    let failed = failed_row.is_some() && failed_row == r.customer_id;
                    let company = if failed { q.typed("company") } else { r.company.clone().unwrap_or_default() };
                    let row_error = if failed { error.clone() } else { None };
                    let company_id = format!("company-{}", r.user_id);
                    let error_id = format!("company-{}-error", r.user_id);
                    let label = format!("Company of {}", r.name);
                    let manager_label = format!("{} manages the company", r.name);
                    view! {
                        <li class="card customer-row">
                            <div>
                                <strong>{r.name.clone()}</strong>" "<span class="muted">{r.email.clone()}</span>" "
                                <span class="badge">{if r.verified_at.is_some() { "Confirmed" } else { "Not confirmed" }}</span>
                            </div>
                            {match r.customer_id {
                                Some(cid) => view! {
                                    <form method="post" action="/api/admin/customers/company" class="inline-fields">
                                        <input type="hidden" name="customer_id" value=cid/>
                                        <label for=company_id.clone() class="visually-hidden">{label}</label>
                                        <input id=company_id name="company" value=company placeholder="Company"
                                            aria-describedby=error_id.clone() aria-invalid=if failed { "true" } else { "false" }/>
                                        <label class="choice">
                                            <input type="checkbox" name="manager" checked=r.company_manager.unwrap_or(false) aria-label=manager_label/>
                                            " Company manager"
                                        </label>
                                        <button type="submit" class="button secondary small">"Save"</button>
                                        <p class="field-error" id=error_id>{row_error.map(|e| e.to_string())}</p>
                                    </form>
                                }.into_any(),
                                None => view! { <p class="muted">"No customer record yet."</p> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {next.map(|href| view! { <p><a class="button secondary" href=href>"More"</a></p> })}
        },
    )
}

fn outbox_page(mails: Vec<crate::mail::OutboxMail>) -> Rendered {
    let next = (mails.len() == 50)
        .then(|| {
            mails
                .last()
                .map(|m| format!("/admin/outbox?before={}", m.id))
        })
        .flatten();
    let empty = mails.is_empty();
    page(
        "Outbox · Grip",
        view! {
            <div class="page-head"><h1>"Admin"</h1><AdminNav current="outbox"/></div>
            <h2>"Outbox"</h2>
            <p class="muted">"Every email Grip sends, newest first. Without an SMTP server (smtp_host) mail is kept here, marked “Kept”."</p>
            {empty.then(|| view! { <section class="card empty-state"><p>"No mail yet."</p></section> })}
            <ol class="outbox">
                {mails.into_iter().map(|m| {
                    let status = match m.status.as_str() {
                        "sent" => "Sent",
                        "pending" if m.attempts > 0 => "Retrying",
                        "pending" => "Sending",
                        "failed" => "Failed",
                        _ => "Kept",
                    };
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
        },
    )
}

// ---- the portal ---------------------------------------------------------------------

/// Why a customer cannot submit yet, with "Resend the email" (or nothing to say).
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
            <p>{format!("We sent a link to {email}. Open it to submit requests and see your tickets.")}</p>
            {resent.then(|| view! { <p role="status" class="notice">"Sent again: check your inbox (and the spam folder)."</p> })}
            {error.map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            <form method="post" action="/api/verify/resend">
                <button type="submit" class="button secondary">"Resend the email"</button>
            </form>
        </section>
    })
}

fn when(ms: i64) -> String {
    crate::board::page::date(ms)
}

async fn portal_home(
    db: &crate::store::Db,
    user: &CurrentUser,
    viewer: &Viewer,
    q: &Query,
) -> Result<Rendered, AppError> {
    let status = match q.get("status") {
        Some("closed") => StatusFilter::Closed,
        Some("all") => StatusFilter::All,
        _ => StatusFilter::Open,
    };
    let sort = match q.get("sort") {
        Some("created") => PortalSort::Created,
        _ => PortalSort::Updated,
    };
    let text = q.get("q").unwrap_or_default().to_string();
    let after = q.get("after").and_then(|a| {
        let (v, id) = a.split_once('.')?;
        Some((v.parse().ok()?, id.parse().ok()?))
    });
    const PAGE: i64 = 25;
    let list = ListQuery {
        status,
        sort,
        text: text.clone(),
        after,
        limit: PAGE + 1,
    };
    let mut rows = store::list(db, viewer, &list).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let (open, closed) = store::counts(db, viewer).await?;
    let status_value = match status {
        StatusFilter::Open => "open",
        StatusFilter::Closed => "closed",
        StatusFilter::All => "all",
    };
    let sort_value = if sort == PortalSort::Created {
        "created"
    } else {
        "updated"
    };
    let next = more
        .then(|| rows.last().map(|r| r.sort_key(sort)))
        .flatten()
        .map(|(v, id)| {
            format!(
                "/portal?status={status_value}&sort={sort_value}&q={}&after={v}.{id}",
                crate::ui::encode_query_value(&text)
            )
        });
    let manager = viewer.managed_company.is_some();
    let staff = user.role.is_staff();
    let notice = verification_notice(viewer, q);
    let can_submit = viewer.active_customer().is_some();
    let empty = rows.is_empty();
    let first_page = after.is_none();
    let heading = if manager {
        format!("Tickets of {}", viewer.company.clone().unwrap_or_default())
    } else {
        "My tickets".to_string()
    };
    Ok(page(
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
                                    {format!("updated {} · opened {}", when(r.activity_at), when(r.created_at))}
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {next.map(|href| view! { <p><a class="button secondary" href=href>"Next page"</a></p> })}
        },
    ))
}

fn new_ticket_page(
    viewer: &Viewer,
    q: &Query,
    teams: Vec<store::PortalTeam>,
    upload_limit: u64,
) -> Rendered {
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
    let error = q.error_for("portal/new");
    let priority = q.typed("priority");
    let team = q.typed("team");
    let limit_mb = upload_limit / (1024 * 1024);
    let several_teams = teams.len() > 1;
    page(
        "New request · Grip",
        view! {
            <div class="page-head"><h1>"New request"</h1></div>
            <form method="post" action="/portal/new" enctype="multipart/form-data" class="card portal-form"
                aria-label="New request" data-upload-limit=upload_limit.to_string()>
                {input("Title", "title", "text", q.typed("title"), message_for(&error, "title"),
                    Some("A few words that say what it is about."), true, "off")}
                <div class="field" class:has-error=message_for(&error, "description").is_some()>
                    <label for="field-description">"Description"</label>
                    <p class="hint" id="field-description-hint">"What happened, what you expected, and anything that helps us help you."</p>
                    <textarea id="field-description" name="description" rows="8"
                        aria-describedby="field-description-hint field-description-error">{q.typed("description")}</textarea>
                    <p class="field-error" id="field-description-error">{message_for(&error, "description")}</p>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="field-priority">"Priority"</label>
                        <select id="field-priority" name="priority" aria-describedby="field-priority-error">
                            <option value="low" selected=priority == "low">"Low"</option>
                            <option value="normal" selected=priority.is_empty() || priority == "normal">"Normal"</option>
                            <option value="high" selected=priority == "high">"High"</option>
                        </select>
                        <p class="field-error" id="field-priority-error">{message_for(&error, "priority")}</p>
                    </div>
                    {if several_teams {
                        view! {
                            <div class="field">
                                <label for="field-team">"What do you need help with?"</label>
                                <select id="field-team" name="team" aria-describedby="field-team-error">
                                    {teams.iter().map(|t| view! {
                                        <option value=t.id selected=team == t.id.to_string()>{t.name.clone()}</option>
                                    }).collect_view()}
                                </select>
                                <p class="field-error" id="field-team-error">{message_for(&error, "team")}</p>
                            </div>
                        }.into_any()
                    } else {
                        view! { <input type="hidden" name="team" value=teams.first().map(|t| t.id).unwrap_or_default()/> }.into_any()
                    }}
                </div>
                <div class="field" class:has-error=message_for(&error, "attachments").is_some()>
                    <label for="field-attachments">"Attachments"</label>
                    <p class="hint" id="field-attachments-hint">{format!("Optional. Up to {limit_mb} MB per file.")}</p>
                    <input id="field-attachments" name="attachments" type="file" multiple=true
                        aria-describedby="field-attachments-hint field-attachments-error"/>
                    <p class="field-error" id="field-attachments-error">{message_for(&error, "attachments")}</p>
                </div>
                {form_alert(&error, &["title", "description", "priority", "team", "attachments"])}
                <progress class="upload-progress" max="100" value="0" hidden=true aria-label="Sending"></progress>
                <div class="form-actions">
                    <button type="submit" class="button primary">"Submit request"</button>
                    <a href="/portal" class="button secondary">"Cancel"</a>
                </div>
            </form>
        },
    )
}

fn ticket_page(t: store::PortalTicket, q: &Query, upload_limit: u64) -> Rendered {
    let now = crate::store::now_ms();
    let reply_error = q.error_for(&format!("portal/tickets/{}/reply", t.number));
    let state_error = q
        .error_for("portal/close")
        .or_else(|| q.error_for("portal/reopen"));
    let submitted = q.get("submitted").is_some();
    let sent = q.get("sent").is_some();
    let number = t.number;
    let closed = t.closed();
    let reopenable = t.reopenable(now);
    let limit_mb = upload_limit / (1024 * 1024);
    let description = crate::ui::markdown::to_html(&t.description);
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
                                    <time class="muted">{datetime(t.created_at)}</time>
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
                        <form method="post" action=format!("/portal/tickets/{number}/reply") enctype="multipart/form-data"
                            class="composer portal-form" aria-label="Reply" data-upload-limit=upload_limit.to_string()>
                            <div class="field" class:has-error=message_for(&reply_error, "body").is_some()>
                                <label for="field-body">"Your reply"</label>
                                <textarea id="field-body" name="body" rows="5" required=true
                                    aria-describedby="field-body-error">{q.typed("body")}</textarea>
                                <p class="field-error" id="field-body-error">{message_for(&reply_error, "body")}</p>
                            </div>
                            <div class="field" class:has-error=message_for(&reply_error, "attachments").is_some()>
                                <label for="field-attachments">"Attachments"</label>
                                <p class="hint" id="field-attachments-hint">{format!("Optional. Up to {limit_mb} MB per file.")}</p>
                                <input id="field-attachments" name="attachments" type="file" multiple=true
                                    aria-describedby="field-attachments-hint field-attachments-error"/>
                                <p class="field-error" id="field-attachments-error">{message_for(&reply_error, "attachments")}</p>
                            </div>
                            {form_alert(&reply_error, &["body", "attachments"])}
                            <progress class="upload-progress" max="100" value="0" hidden=true aria-label="Sending"></progress>
                            <div class="form-actions">
                                <button type="submit" class="button primary">"Send reply"</button>
                            </div>
                        </form>
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
