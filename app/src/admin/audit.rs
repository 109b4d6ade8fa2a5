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
use crate::ui::{encode_query_value, ErrorPanel, FormError};

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

/// One month of the trail moved to a file in the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditArchive {
    /// YYYY-MM (UTC).
    pub month: String,
    pub row_count: i64,
    /// The compressed file's size.
    pub bytes: i64,
    pub archived_at: i64,
    /// When its rows were put back into the database, if they were.
    pub restored_at: Option<i64>,
}

/// How long rows stay in the database, and the months archived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveOverview {
    /// None: forever.
    pub retention_months: Option<u32>,
    pub archives: Vec<AuditArchive>,
}

/// How many rows one page of Admin → Audit shows.
pub const AUDIT_PAGE: i64 = 50;

/// The kinds of record the trail has, for the filter.
pub const ENTITIES: [(&str, &str); 8] = [
    ("ticket", "Tickets"),
    ("customer", "Customers"),
    ("company", "Companies"),
    ("team", "Teams"),
    ("stage", "Stages"),
    ("user", "People"),
    ("setting", "Settings"),
    ("audit", "Audit archives"),
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

/// Admin → Audit: the retention and the archived months.
#[server(prefix = "/api", endpoint = "admin/audit/archives")]
pub async fn audit_archives() -> Result<ArchiveOverview, AppError> {
    crate::api::respond(
        async {
            let (_, state) = crate::api::start(Access::Admin).await?;
            crate::audit::archive::overview(&state.db).await
        }
        .await,
    )
}

/// Sets how many months audit rows stay in the database (empty: forever). Months
/// past it are archived at once, in the background, and from then on by the
/// server's housekeeping.
#[server(prefix = "/api", endpoint = "admin/audit/retention")]
pub async fn set_audit_retention(months: String) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            let parsed = crate::audit::archive::parse_retention(&months);
            let result = match parsed {
                Ok(m) => crate::audit::archive::set_retention(&state.db, admin.id, m)
                    .await
                    .map(|()| m),
                Err(e) => Err(e),
            };
            match result {
                Ok(kept) => {
                    let (db, dir) = (state.db.clone(), state.settings.audit_archive_dir.clone());
                    tokio::spawn(async move {
                        let now = crate::store::now_ms();
                        if let Err(e) = crate::audit::archive::archive_due(&db, &dir, now).await {
                            tracing::warn!(error = %e, "audit archiving failed");
                        }
                    });
                    let saved = kept.map_or("forever".to_string(), |m| m.to_string());
                    Ok(crate::api::finish_form(&format!(
                        "/admin/audit?retention={saved}"
                    )))
                }
                Err(e) => {
                    crate::api::refuse_if_plain(
                        <SetAuditRetention as leptos::server_fn::ServerFn>::PATH,
                        e,
                        &[("months", months.as_str())],
                    )
                    .await
                }
            }
        }
        .await,
    )
}

/// An admin's action on an archived month (`month`, as the form names it; NotFound
/// unless it is YYYY-MM, since it becomes a file name): `work` runs it; the answer
/// goes back to Admin → Audit with `done=month`, a refusal as forms are refused.
#[cfg(feature = "ssr")]
async fn on_month<F, Fut>(
    month: &str,
    path: &'static str,
    done: &str,
    work: F,
) -> Result<String, AppError>
where
    F: FnOnce(crate::state::AppState, i64, crate::audit::archive::Month) -> Fut,
    Fut: std::future::Future<Output = Result<i64, AppError>>,
{
    let (admin, state) = crate::api::start(Access::Admin).await?;
    let result = match crate::audit::archive::Month::parse(month) {
        Some(m) => work(state, admin.id, m).await,
        None => Err(AppError::NotFound),
    };
    match result {
        Ok(_) => Ok(crate::api::finish_form(&format!(
            "/admin/audit?{done}={month}"
        ))),
        Err(e) => crate::api::refuse_if_plain(path, e, &[]).await,
    }
}

/// Puts an archived month's rows back into the database.
#[server(prefix = "/api", endpoint = "admin/audit/restore")]
pub async fn restore_audit_month(month: String) -> Result<String, AppError> {
    use leptos::server_fn::ServerFn;
    crate::api::respond(
        on_month(
            &month,
            RestoreAuditMonth::PATH,
            "restored",
            |state, admin, m| async move {
                crate::audit::archive::restore_month(
                    &state.db,
                    &state.settings.audit_archive_dir,
                    m,
                    admin,
                )
                .await
            },
        )
        .await,
    )
}

/// Moves a restored month's rows back to its archive file.
#[server(prefix = "/api", endpoint = "admin/audit/archive")]
pub async fn archive_audit_month(month: String) -> Result<String, AppError> {
    use leptos::server_fn::ServerFn;
    crate::api::respond(
        on_month(
            &month,
            ArchiveAuditMonth::PATH,
            "archived",
            |state, admin, m| async move {
                crate::audit::archive::archive_month(
                    &state.db,
                    &state.settings.audit_archive_dir,
                    m,
                    Some(admin),
                )
                .await
            },
        )
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
        let archives = audit_archives().await?;
        let trail = audit_trail(f.who, f.entity, f.field, f.from, f.to, before).await;
        Ok::<_, AppError>((trail, archives))
    });
    view! {
        <Title text="Audit · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render={move |(answer, archives): (Result<Vec<AuditLine>, AppError>, ArchiveOverview)| view! {
                <AuditView answer filter=params().0/>
                <Archives overview=archives/>
            }.into_any()}/>
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
        "setting" | "audit" => Some("/admin/audit".into()),
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
        <p class="muted">"Every change to tickets, customers, companies, teams, stages, people and settings: who, when, what it was and became, and from which address and browser."</p>
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
                            let record = match (l.ticket_number, l.entity.as_str()) {
                                (Some(n), _) => format!("Ticket #{n}"),
                                (None, "setting") => "Settings".to_string(),
                                (None, "audit") => "Audit archives".to_string(),
                                (None, entity) => format!("{entity} {}", l.entity_id),
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

/// Admin → Audit's retention form and list of archived months, each downloadable
/// and restorable (or archived again once restored).
#[component]
fn Archives(overview: ArchiveOverview) -> impl IntoView {
    use leptos::form::ActionForm;
    use leptos::server_fn::ServerFn;
    let retention = ServerAction::<SetAuditRetention>::new();
    let restore = ServerAction::<RestoreAuditMonth>::new();
    let archive = ServerAction::<ArchiveAuditMonth>::new();
    for value in [retention.value(), restore.value(), archive.value()] {
        crate::ui::on_success(value, move |path: String| crate::ui::load_page(&path));
    }
    let retention_error = crate::ui::failure(retention.value());
    let months_error =
        Signal::derive(move || retention_error.get().and_then(|e| e.message_for("months")));
    let restore_error = crate::ui::failure(restore.value());
    let archive_error = crate::ui::failure(archive.value());
    let query = use_query_map();
    // Only what the forms' answers put in the address is said (not any text a link
    // could carry): a month is YYYY-MM, a retention a number.
    let month_like = |m: &str| m.len() == 7 && m.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    let notice = query.with_untracked(|q| {
        if let Some(m) = q.get_str("restored").filter(|m| month_like(m)) {
            Some(format!("The rows of {m} are back in the trail."))
        } else if let Some(m) = q.get_str("archived").filter(|m| month_like(m)) {
            Some(format!("The rows of {m} were archived again."))
        } else {
            match q.get_str("retention") {
                Some("forever") => {
                    Some("Retention saved: every row stays in the database.".to_string())
                }
                Some(months) if months.parse::<u32>().is_ok() => Some(format!(
                    "Retention saved: months older than {months} are being archived."
                )),
                _ => None,
            }
        }
    });
    let months_now =
        crate::ui::kept_value(SetAuditRetention::PATH, "months").unwrap_or_else(|| {
            overview
                .retention_months
                .map(|m| m.to_string())
                .unwrap_or_default()
        });
    let archives = overview.archives;
    let list = if archives.is_empty() {
        view! { <p class="muted">"No month has been archived."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap">
                <table class="tickets-table" aria-label="Archived months">
                    <thead>
                        <tr>
                            <th scope="col">"Month"</th>
                            <th scope="col">"Rows"</th>
                            <th scope="col">"Size"</th>
                            <th scope="col">"Archived"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {archives.into_iter().map(|a| {
                            let month = a.month.clone();
                            let file = format!("/admin/audit/archives/{}", a.month);
                            let label = format!("Download {}", a.month);
                            let file_name = format!("grip-audit-{}.jsonl.gz", a.month);
                            let restored = a.restored_at;
                            view! {
                                <tr>
                                    <th scope="row">{a.month.clone()}</th>
                                    <td>{a.row_count}</td>
                                    <td>{crate::tickets::conversation::model::human_size(a.bytes)}</td>
                                    <td>
                                        <time datetime=iso(a.archived_at)>{datetime(a.archived_at)}</time>
                                        {restored.map(|r| view! {
                                            <span class="badge">"Restored " <time datetime=iso(r)>{datetime(r)}</time></span>
                                        })}
                                    </td>
                                    <td class="row-actions">
                                        <a href=file download=file_name rel="external" aria-label=label>"Download"</a>
                                        {match restored {
                                            None => view! {
                                                <ActionForm action=restore attr:class="inline-form">
                                                    <input type="hidden" name="month" value=month.clone()/>
                                                    <button type="submit" class="button secondary small"
                                                        aria-label=format!("Restore {month} into the trail")
                                                        disabled=move || restore.pending().get()>"Restore"</button>
                                                </ActionForm>
                                            }.into_any(),
                                            Some(_) => view! {
                                                <ActionForm action=archive attr:class="inline-form">
                                                    <input type="hidden" name="month" value=month.clone()/>
                                                    <button type="submit" class="button secondary small"
                                                        aria-label=format!("Archive {month} again")
                                                        disabled=move || archive.pending().get()>"Archive again"</button>
                                                </ActionForm>
                                            }.into_any(),
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="audit-archives-heading">
            <h2 id="audit-archives-heading">"Retention and archives"</h2>
            {notice.map(|n| view! { <p role="status" class="notice">{n}</p> })}
            <ActionForm action=retention attr:class="filter-bar" attr:aria-label="Audit retention">
                <div class="field" class:has-error=move || months_error.get().is_some()>
                    <label for="audit-retention">"Keep rows in the database for (months)"</label>
                    <input id="audit-retention" name="months" type="number" min="1" max="1200"
                        value=months_now placeholder="Forever"
                        aria-invalid=move || months_error.get().map(|_| "true")
                        aria-describedby="audit-retention-hint audit-retention-error"/>
                    <p class="hint" id="audit-retention-hint">"Older months move to compressed files in the data directory. Empty keeps every row."</p>
                    <p class="field-error" id="audit-retention-error">{move || months_error.get()}</p>
                </div>
                <button type="submit" class="button secondary" disabled=move || retention.pending().get()>
                    {move || if retention.pending().get() { "Saving…" } else { "Save retention" }}
                </button>
            </ActionForm>
            <FormError error=restore_error/>
            <FormError error=archive_error/>
            <p role="status" class="muted">
                {move || (restore.pending().get() || archive.pending().get())
                    .then_some("Working… a large month takes a while.")}
            </p>
            {list}
        </section>
    }
}
