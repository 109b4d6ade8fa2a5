//! The company pages of staff: the list (`/companies`), a new company
//! (`/companies/new`) and a company's page (`/companies/:id`). Forms are
//! `ActionForm`s bound to their server functions: they work without JavaScript, check
//! fields as they are typed with the server's rules, and keep what was typed when a
//! save is refused.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    company_details, list_companies, AddCompanyMember, CreateCompany, DeleteCompany,
    RemoveCompanyMember, UpdateCompany,
};
use super::model::{
    check_company_name, parse_domains, CompanyList, CompanyMember, CompanyPage, CompanyRecord,
};
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::customers::api::customer_owners;
use crate::customers::model::Owner;
use crate::customers::pages::{
    owner_field, record_field, rule_none, rule_tags, FieldSpec, History, RecordTickets, Rule,
};
use crate::error::AppError;
use crate::ui::{encode_query_value, failure, kept_value, load_page, ErrorPanel, FormError};

/// The query parameters of the list's filter, in the order of its form.
const FILTER_KEYS: [&str; 3] = ["q", "owner", "tag"];

/// `/companies`: every company, found by words (name, domain, notes), owner and tag,
/// by name, 50 at a time.
#[component]
pub fn CompaniesPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            let mut v: Vec<String> = FILTER_KEYS
                .iter()
                .map(|k| q.get(k).unwrap_or_default())
                .collect();
            v.push(q.get("after").unwrap_or_default());
            v
        })
    };
    // A refused filter (an owner that is not one) is shown next to its field, with
    // the list's form still there.
    let data = Resource::new(params, |p| async move {
        let [q, owner, tag, after] = <[String; 4]>::try_from(p).unwrap_or_default();
        Ok::<_, AppError>(list_companies(q, owner, tag, after.parse().ok()).await)
    });
    view! {
        <Title text="Companies · Grip"/>
        <ProtectedWith access=Access::Staff data
            render={move |answer: Result<CompanyList, AppError>| view! { <CompanyListView answer/> }.into_any()}/>
    }
}

#[component]
fn CompanyListView(answer: Result<CompanyList, AppError>) -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let list = match answer {
        Ok(list) => Ok(list),
        Err(e @ AppError::Validation { .. }) => {
            crate::ui::set_status(422);
            Err(e)
        }
        Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
    };
    let owner_error = list.as_ref().err().and_then(|e| e.message_for("owner"));
    let owner_bad = owner_error.is_some();
    let (owners, viewer_id) = list
        .as_ref()
        .map(|l| (l.owners.clone(), l.viewer_id))
        .unwrap_or_default();
    let owner_now = get("owner");
    let next = list
        .as_ref()
        .ok()
        .and_then(|l| l.next.clone())
        .map(|after| {
            let mut parts: Vec<String> = FILTER_KEYS
                .iter()
                .map(|k| (k, get(k)))
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={}", encode_query_value(&v)))
                .collect();
            parts.push(format!("after={after}"));
            format!("/companies?{}", parts.join("&"))
        });
    let rows = list.map(|l| l.rows).unwrap_or_default();
    let empty = rows.is_empty();
    let filtered = FILTER_KEYS.iter().any(|k| !get(k).is_empty());
    let deleted = !get("deleted").is_empty();
    let mut owner_options = vec![
        (String::new(), "Anyone".to_string()),
        ("me".into(), "My companies".into()),
        ("none".into(), "No owner".into()),
    ];
    owner_options.extend(
        owners
            .into_iter()
            .filter(|p| p.id != viewer_id)
            .map(|p| (p.id.to_string(), p.name)),
    );
    view! {
        <div class="page-head">
            <h1>"Companies"</h1>
            <a class="button primary" href="/companies/new">"New company"</a>
        </div>
        {deleted.then(|| view! { <p role="status" class="notice">"The company was deleted."</p> })}
        <form method="get" action="/companies" class="filter-bar" role="search" aria-label="Find companies">
            <div class="field grow">
                <label for="companies-q">"Search"</label>
                <input id="companies-q" name="q" type="search" value=get("q")
                    placeholder="Name, domain or notes"/>
            </div>
            <div class="field" class:has-error=owner_bad>
                <label for="companies-owner">"Owner"</label>
                <select id="companies-owner" name="owner">
                    {owner_options.into_iter().map(|(value, label)| {
                        let selected = owner_now == value;
                        view! { <option value=value selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
                <p class="field-error">{owner_error}</p>
            </div>
            <div class="field">
                <label for="companies-tag">"Tag"</label>
                <input id="companies-tag" name="tag" value=get("tag")/>
            </div>
            <button type="submit" class="button secondary">"Apply"</button>
            {filtered.then(|| view! { <a class="clear-filters" href="/companies">"Clear filters"</a> })}
        </form>
        {empty.then(|| view! {
            <section class="card empty-state">
                <p>{if filtered { "No company matches these filters." } else { "No companies yet." }}</p>
            </section>
        })}
        {(!empty).then(|| view! {
            <div class="table-wrap">
                <table class="tickets-table" aria-label="Companies">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Domains"</th>
                            <th scope="col">"Owner"</th>
                            <th scope="col">"Members"</th>
                            <th scope="col">"Open tickets"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row"><a href=format!("/companies/{}", r.id)>{r.name}</a></th>
                                <td>{r.domains.unwrap_or_default()}</td>
                                <td>{r.owner.unwrap_or_default()}</td>
                                <td>{r.members}</td>
                                <td>{r.open_tickets}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        {next.map(|href| view! { <nav class="pager" aria-label="More companies"><a class="button secondary" href=href>"Next page"</a></nav> })}
    }
    .into_any()
}

/// `/companies/new`: a new company record.
#[component]
pub fn NewCompanyPage() -> impl IntoView {
    let owners = Resource::new(|| (), |_| customer_owners());
    view! {
        <Title text="New company · Grip"/>
        <ProtectedWith access=Access::Staff data=owners render={|owners: Vec<Owner>| view! {
            <div class="page-head"><h1>"New company"</h1></div>
            <NewCompanyForm owners/>
        }.into_any()}/>
    }
}

#[component]
fn NewCompanyForm(owners: Vec<Owner>) -> impl IntoView {
    let create = ServerAction::<CreateCompany>::new();
    crate::ui::on_success(create.value(), move |path: String| load_page(&path));
    let error = failure(create.value());
    let blank = CompanyRecord {
        id: 0,
        name: String::new(),
        domains: Vec::new(),
        auto_join: false,
        notes: String::new(),
        tags: Vec::new(),
        owner_id: None,
        owner: None,
        created_at: 0,
        updated_at: 0,
    };
    view! {
        <section class="card form-card" aria-labelledby="new-company-heading">
            <h2 id="new-company-heading" class="visually-hidden">"Company details"</h2>
            <ActionForm action=create>
                <CompanyFieldsView record=blank owners error path=CreateCompany::PATH/>
                <FormError error=Signal::derive(move || error.get().filter(|e| e.field() == Some("form") || e.field().is_none()))/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Adding…" } else { "Add company" }}
                    </button>
                    <a class="button secondary" href="/companies">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

fn rule_company_name(v: &str) -> Option<String> {
    check_company_name(v).err().map(|e| e.to_string())
}
fn rule_domains(v: &str) -> Option<String> {
    parse_domains(v).err().map(|e| e.to_string())
}

/// The fields of a company record, shared by New company and the edit form.
#[component]
fn CompanyFieldsView(
    record: CompanyRecord,
    owners: Vec<Owner>,
    error: Signal<Option<AppError>>,
    path: &'static str,
) -> impl IntoView {
    let field = move |label: &'static str,
                      name: &'static str,
                      now: String,
                      rule: Rule,
                      kind: &'static str,
                      hint: Option<&'static str>| {
        let spec = FieldSpec {
            path,
            error,
            label,
            name,
            rule,
            kind,
            hint,
            required: name == "name",
            prefix: "company",
        };
        record_field(spec, now)
    };
    // A refused form without JavaScript puts the box back as it was posted.
    let auto_join = match kept_value(path, "name") {
        Some(_) => kept_value(path, "auto_join").is_some_and(|v| !v.is_empty()),
        None => record.auto_join,
    };
    let owner_now = kept_value(path, "owner")
        .unwrap_or_else(|| record.owner_id.map(|o| o.to_string()).unwrap_or_default());
    let CompanyRecord {
        name,
        domains,
        notes,
        tags,
        ..
    } = record;
    view! {
        {field("Name", "name", name, rule_company_name, "text", None)}
        {field("Domains", "domains", domains.join("\n"), rule_domains, "textarea",
            Some("One per line, such as example.com."))}
        <label class="choice">
            <input type="checkbox" name="auto_join" checked=auto_join/>
            " New customers with an address at these domains join this company"
        </label>
        <div class="field-row">
            {field("Tags", "tags", tags.join(", "), rule_tags, "text", Some("Separated by commas."))}
            {owner_field("company", owners, owner_now, error)}
        </div>
        {field("Notes", "notes", notes, rule_none, "textarea", Some("Seen by staff only."))}
    }
}

/// `/companies/:id`: one company's record, members, tickets and history.
#[component]
pub fn CompanyDetailPage() -> impl IntoView {
    let (data, changed, saved) = crate::customers::pages::record_page(company_details);
    view! {
        <Title text="Company · Grip"/>
        <ProtectedWith access=Access::Staff data
            render={move |page: CompanyPage| view! { <CompanyView page changed saved/> }.into_any()}/>
    }
}

#[component]
fn CompanyView(page: CompanyPage, changed: RwSignal<u32>, saved: RwSignal<bool>) -> impl IntoView {
    let CompanyPage {
        record,
        members,
        tickets,
        ticket_count,
        history,
        owners,
        can_delete,
    } = page;
    let update = ServerAction::<UpdateCompany>::new();
    let delete = ServerAction::<DeleteCompany>::new();
    let reload = move |_: String| {
        saved.set(true);
        changed.update(|n| *n += 1);
    };
    crate::ui::on_success(update.value(), reload);
    crate::ui::on_success(delete.value(), move |path: String| load_page(&path));
    let error = failure(update.value());
    let delete_error = failure(delete.value());
    let form_error = Signal::derive(move || {
        error
            .get()
            .filter(|e| matches!(e.field(), None | Some("form")))
    });
    let title = format!("{} · Companies · Grip", record.name);
    let more = (ticket_count as usize > tickets.len())
        .then(|| format!("Showing {} of {} tickets.", tickets.len(), ticket_count));
    let (id, version) = (record.id, record.updated_at);
    let summary = view! {
        <p class="ticket-summary">
            {(!record.domains.is_empty()).then(|| view! { <span>{record.domains.join(", ")}</span> })}
            {record.auto_join.then(|| view! { " "<span class="badge">"Joins by domain"</span> })}
            {record.owner.clone().map(|o| view! { " · "<span>"Owner: "{o}</span> })}
            {record.tags.iter().map(|t| view! { " "<span class="badge">{t.clone()}</span> }).collect_view()}
        </p>
    };
    view! {
        <Title text=title/>
        <div class="page-head">
            <h1 class="ticket-heading">{record.name.clone()}</h1>
            <a class="button secondary" href="/companies">"All companies"</a>
        </div>
        {summary}
        {move || saved.get().then(|| view! { <p role="status" class="notice">"Saved."</p> })}
        <div class="two-col">
            <div class="ticket-main">
                <section class="card" aria-labelledby="company-members-heading">
                    <h2 id="company-members-heading">{format!("Members ({})", members.len())}</h2>
                    <Members company=id members changed saved/>
                </section>
                <section class="card" aria-labelledby="company-tickets-heading">
                    <h2 id="company-tickets-heading">{format!("Tickets ({ticket_count})")}</h2>
                    <RecordTickets tickets label="Tickets of this company"/>
                    {more.map(|m| view! { <p class="muted">{m}</p> })}
                </section>
                <section class="card" aria-labelledby="company-history-heading">
                    <h2 id="company-history-heading">"History"</h2>
                    <History entries=history noun="company"/>
                </section>
            </div>
            <div class="ticket-side">
                <section class="card" aria-labelledby="company-edit-heading">
                    <h2 id="company-edit-heading">"Details"</h2>
                    <ActionForm action=update>
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <CompanyFieldsView record owners error path=UpdateCompany::PATH/>
                        <FormError error=form_error/>
                        <button type="submit" class="button primary" disabled=move || update.pending().get()>
                            {move || if update.pending().get() { "Saving…" } else { "Save company" }}
                        </button>
                    </ActionForm>
                </section>
                {can_delete.then(|| view! {
                    <section class="card" aria-labelledby="company-delete-heading">
                        <h2 id="company-delete-heading">"Delete"</h2>
                        <p class="muted">"Only a company no ticket is for can be deleted; its members stay as customers."</p>
                        <ActionForm action=delete>
                            <input type="hidden" name="id" value=id/>
                            <FormError error=delete_error/>
                            <button type="submit" class="button danger">"Delete company"</button>
                        </ActionForm>
                    </section>
                })}
            </div>
        </div>
    }
}

/// The members of a company with their roles: add someone by address (or change
/// their role), remove someone.
#[component]
fn Members(
    company: i64,
    members: Vec<CompanyMember>,
    changed: RwSignal<u32>,
    saved: RwSignal<bool>,
) -> impl IntoView {
    let add = ServerAction::<AddCompanyMember>::new();
    let remove = ServerAction::<RemoveCompanyMember>::new();
    let reload = move |_: String| {
        saved.set(true);
        changed.update(|n| *n += 1);
    };
    crate::ui::on_success(add.value(), reload);
    crate::ui::on_success(remove.value(), reload);
    let add_error = failure(add.value());
    let remove_error = failure(remove.value());
    let email_error = Signal::derive(move || add_error.get().and_then(|e| e.message_for("email")));
    let role_error = Signal::derive(move || add_error.get().and_then(|e| e.message_for("role")));
    let other_error = Signal::derive(move || {
        add_error
            .get()
            .filter(|e| !matches!(e.field(), Some("email") | Some("role")))
    });
    let kept_email = kept_value(AddCompanyMember::PATH, "email").unwrap_or_default();
    let list = if members.is_empty() {
        view! { <p class="muted">"No members yet."</p> }.into_any()
    } else {
        view! {
            <ul class="member-list" aria-label="Members of this company">
                {members.into_iter().map(|m| {
                    let label = format!("Remove {} from this company", m.name);
                    view! {
                        <li class="member-row">
                            <a href=format!("/customers/{}", m.customer_id)>{m.name.clone()}</a>
                            <span class="muted">{format!(" {}", m.email)}</span>
                            {(m.role == "manager").then(|| view! { " "<span class="badge">"Manager"</span> })}
                            {m.primary_company.then(|| view! { " "<span class="badge">"Primary company"</span> })}
                            <ActionForm action=remove attr:class="inline-form">
                                <input type="hidden" name="id" value=company/>
                                <input type="hidden" name="customer" value=m.customer_id/>
                                <button type="submit" class="button small secondary" aria-label=label>"Remove"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {list}
        <FormError error=remove_error/>
        <ActionForm action=add attr:class="member-add" attr:aria-label="Add a member">
            <input type="hidden" name="id" value=company/>
            <div class="field-row">
                <div class="field grow" class:has-error=move || email_error.get().is_some()>
                    <label for="member-email">"Customer’s email"</label>
                    <input id="member-email" name="email" type="email" required value=kept_email
                        aria-describedby="member-email-error"
                        aria-invalid=move || email_error.get().is_some().then_some("true")/>
                    <p class="field-error" id="member-email-error" aria-live="polite">{move || email_error.get()}</p>
                </div>
                <div class="field" class:has-error=move || role_error.get().is_some()>
                    <label for="member-role">"Role"</label>
                    <select id="member-role" name="role" aria-describedby="member-role-error">
                        <option value="member" selected=true>"Member"</option>
                        <option value="manager">"Manager (sees the company’s tickets in the portal; admins)"</option>
                    </select>
                    <p class="field-error" id="member-role-error" aria-live="polite">{move || role_error.get()}</p>
                </div>
            </div>
            <FormError error=other_error/>
            <button type="submit" class="button secondary" disabled=move || add.pending().get()>"Add member"</button>
        </ActionForm>
    }
}
