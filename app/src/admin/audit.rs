//! Admin → Audit (`/admin/audit`): every audit row across tickets, customers, teams,
//! stages and people — who, when, what, old and new value, and from which address and
//! browser — filtered by who, kind of record, field and days, newest first, 50 to a
//! page, and the same rows as CSV (`/admin/audit.csv`, streamed by the server).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::teams::pages::AdminNav;
use crate::ui::time::{datetime, iso};
use crate::ui::{encode_query_value, ErrorPanel};

/// What Admin → Audit is filtered by: the query string of its page and of the CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// A word of the actor's name or email.
    #[serde(default)]
    pub who: String,
    /// The kind of record: ticket, customer, team, stage, user.
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub field: String,
    /// Days (YYYY-MM-DD, UTC), both included.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

impl AuditFilter {
    /// The filter as a query string (no leading `?`).
    pub fn query(&self) -> String {
        [
            ("who", &self.who),
            ("entity", &self.entity),
            ("field", &self.field),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// One audit row as Admin → Audit shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditLine {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The ticket's number, when the record is a ticket.
    pub ticket_number: Option<i64>,
}

/// How many rows one page of Admin → Audit shows.
pub const AUDIT_PAGE: i64 = 50;

/// The kinds of record the trail has, for the filter.
pub const ENTITIES: [(&str, &str); 6] = [
    ("ticket", "Tickets"),
    ("customer", "Customers"),
    ("company", "Companies"),
    ("team", "Teams"),
    ("stage", "Stages"),
    ("user", "People"),
];

/// Admin → Audit: one page of the trail, newest first, before the row `before`.
#[server(prefix = "/api", endpoint = "admin/audit")]
pub async fn audit_trail(
    who: String,
    entity: String,
    field: String,
    from: String,
    to: String,
    before: Option<i64>,
) -> Result<Vec<AuditLine>, AppError> {
    crate::api::respond(
        async {
            let (_, state) = crate::api::start(Access::Admin).await?;
            let filter = AuditFilter {
                who,
                entity,
                field,
                from,
                to,
            };
            crate::audit::audit_page(&state.db, &filter, before, AUDIT_PAGE).await
        }
        .await,
    )
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            (
                AuditFilter {
                    who: get("who"),
                    entity: get("entity"),
                    field: get("field"),
                    from: get("from"),
                    to: get("to"),
                },
                q.get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        })
    };
    // A refused filter is shown by its field with the form still there, so the answer,
    // good or bad, is the page's data.
    let data = Resource::new(params, |(f, before)| async move {
        Ok::<_, AppError>(audit_trail(f.who, f.entity, f.field, f.from, f.to, before).await)
    });
    view! {
        <Title text="Audit · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render={move |answer: Result<Vec<AuditLine>, AppError>| view! { <AuditView answer filter=params().0/> }.into_any()}/>
    }
}

/// Where a row's record is seen, when it has a page.
fn record_link(l: &AuditLine) -> Option<String> {
    match l.entity.as_str() {
        "ticket" => l.ticket_number.map(|n| format!("/tickets/{n}")),
        "customer" => Some(format!("/customers/{}", l.entity_id)),
        "company" => Some(format!("/companies/{}", l.entity_id)),
        "team" | "stage" => Some("/admin/teams".into()),
        "user" => Some("/admin/people".into()),
        _ => None,
    }
}

#[component]
fn AuditView(answer: Result<Vec<AuditLine>, AppError>, filter: AuditFilter) -> impl IntoView {
    let rows = match answer {
        Ok(rows) => Ok(rows),
        Err(e @ AppError::Validation { .. }) => {
            crate::ui::set_status(422);
            Err(e)
        }
        Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
    };
    let error = rows.as_ref().err().cloned();
    let (from_error, to_error) = (
        error.as_ref().and_then(|e| e.message_for("from")),
        error.as_ref().and_then(|e| e.message_for("to")),
    );
    let (from_bad, to_bad) = (from_error.is_some(), to_error.is_some());
    let rows = rows.unwrap_or_default();
    let query = filter.query();
    let csv = if query.is_empty() {
        "/admin/audit.csv".to_string()
    } else {
        format!("/admin/audit.csv?{query}")
    };
    let next = (rows.len() as i64 == AUDIT_PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten()
        .map(|before| {
            let sep = if query.is_empty() { "" } else { "&" };
            format!("/admin/audit?{query}{sep}before={before}")
        });
    let empty = rows.is_empty();
    let entity_now = filter.entity.clone();
    view! {
        <div class="page-head"><h1>"Admin"</h1><AdminNav current="audit"/></div>
        <h2>"Audit trail"</h2>
        <p class="muted">"Every change to tickets, customers, teams, stages and people: who, when, what it was and became, and from which address and browser."</p>
        <form method="get" action="/admin/audit" class="filter-bar" role="search" aria-label="Filter the audit trail">
            <div class="field grow">
                <label for="audit-who">"Who"</label>
                <input id="audit-who" name="who" type="search" value=filter.who.clone() placeholder="Name or email"/>
            </div>
            <div class="field">
                <label for="audit-entity">"Record"</label>
                <select id="audit-entity" name="entity">
                    <option value="" selected=entity_now.is_empty()>"Any"</option>
                    {ENTITIES.iter().map(|(v, label)| {
                        let selected = entity_now == *v;
                        view! { <option value=*v selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-field">"Field"</label>
                <input id="audit-field" name="field" value=filter.field.clone() placeholder="e.g. phone"/>
            </div>
            <div class="field" class:has-error=from_bad>
                <label for="audit-from">"From"</label>
                <input id="audit-from" name="from" type="date" value=filter.from.clone()
                    aria-invalid=from_bad.then_some("true") aria-describedby="audit-from-error"/>
                <p class="field-error" id="audit-from-error">{from_error}</p>
            </div>
            <div class="field" class:has-error=to_bad>
                <label for="audit-to">"Until"</label>
                <input id="audit-to" name="to" type="date" value=filter.to.clone()
                    aria-invalid=to_bad.then_some("true") aria-describedby="audit-to-error"/>
                <p class="field-error" id="audit-to-error">{to_error}</p>
            </div>
            <button type="submit" class="button secondary">"Apply"</button>
            <a class="button secondary" href=csv download="audit.csv">"Download CSV"</a>
        </form>
        {empty.then(|| view! { <section class="card empty-state"><p>"No changes match."</p></section> })}
        {(!empty).then(|| view! {
            <div class="table-wrap">
                <table class="tickets-table" aria-label="Audit trail">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Record"</th>
                            <th scope="col">"Change"</th>
                            <th scope="col">"Before"</th>
                            <th scope="col">"After"</th>
                            <th scope="col">"From"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|l| {
                            let record = match l.ticket_number {
                                Some(n) => format!("Ticket #{n}"),
                                None => format!("{} {}", l.entity, l.entity_id),
                            };
                            let link = record_link(&l);
                            let change = match &l.field {
                                Some(f) => format!("{} {}", l.action, f.replace('_', " ")),
                                None => l.action.clone(),
                            };
                            view! {
                                <tr>
                                    <td><time datetime=iso(l.at)>{datetime(l.at)}</time></td>
                                    <td>{l.actor.unwrap_or_else(|| "Grip".into())}</td>
                                    <td>{match link {
                                        Some(href) => view! { <a href=href>{record}</a> }.into_any(),
                                        None => view! { <span>{record}</span> }.into_any(),
                                    }}</td>
                                    <td>{change}</td>
                                    <td class="audit-value">{l.old_value.unwrap_or_default()}</td>
                                    <td class="audit-value">{l.new_value.unwrap_or_default()}</td>
                                    <td class="audit-origin">
                                        {l.client_ip.unwrap_or_default()}
                                        {l.user_agent.map(|ua| view! { <span class="muted">{ua}</span> })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        {next.map(|href| view! { <nav class="pager" aria-label="Older changes"><a class="button secondary" href=href>"Older"</a></nav> })}
    }
    .into_any()
}
