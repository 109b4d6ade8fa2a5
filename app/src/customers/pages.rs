//! The customer pages of staff: the list (`/customers`), a new customer
//! (`/customers/new`) and a customer's own page (`/customers/:id`: contact details,
//! their tickets, the timeline of their messages, the record's history). Forms are
//! `ActionForm`s bound to their server functions: they work without JavaScript, check
//! each field as it is typed with the server's own rules, and keep what was typed when
//! a save is refused.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    customer_details, customer_owners, list_customers, possible_duplicates, CreateCustomer,
    DeleteCustomer, MergeCustomers, UndoCustomerMerge, UpdateCustomer,
};
use super::model::{
    check_language, check_phone, check_time_zone, parse_aliases, CustomerList, CustomerPage,
    CustomerRecord, DuplicatePair, HistoryEntry, MergeEntry, Owner, TimelineEntry,
};
use crate::auth::model::{Email, PersonName};
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::ui::time::{date, datetime, iso};
use crate::ui::{
    encode_query_value, failure, kept_value, live_message, load_page, ErrorPanel, FormError,
};

/// The query parameters of the list's filter, in the order of its form.
const FILTER_KEYS: [&str; 8] = ["q", "company", "owner", "open", "tag", "from", "to", "sort"];

/// `/customers`: every customer, found by words, company, owner, tag, open tickets
/// and when they were added; by name or newest first, 50 at a time.
#[component]
pub fn CustomersPage() -> impl IntoView {
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
    // A refused filter (a date that is not one) is shown next to its field, with the
    // list's form still there: the answer, good or bad, is the page's data.
    let data = Resource::new(params, |p| async move {
        let [q, company, owner, open, tag, from, to, sort, after] =
            <[String; 9]>::try_from(p).unwrap_or_default();
        Ok::<_, AppError>(
            list_customers(
                q,
                company,
                owner,
                !open.is_empty(),
                tag,
                from,
                to,
                sort,
                after.parse().ok(),
            )
            .await,
        )
    });
    view! {
        <Title text="Customers · Grip"/>
        <ProtectedWith access=Access::Staff data
            render={move |answer: Result<CustomerList, AppError>| view! { <CustomerListView answer/> }.into_any()}/>
    }
}

#[component]
fn CustomerListView(answer: Result<CustomerList, AppError>) -> impl IntoView {
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
    let error = list.as_ref().err().cloned();
    let message = move |f: &str| error.as_ref().and_then(|e| e.message_for(f));
    let (from_error, to_error, owner_error) = (message("from"), message("to"), message("owner"));
    let (from_bad, to_bad, owner_bad) = (
        from_error.is_some(),
        to_error.is_some(),
        owner_error.is_some(),
    );
    let (owners, viewer_id) = list
        .as_ref()
        .map(|l| (l.owners.clone(), l.viewer_id))
        .unwrap_or_default();
    let owner_now = get("owner");
    let sort_now = get("sort");
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
            format!("/customers?{}", parts.join("&"))
        });
    let rows = list.map(|l| l.rows).unwrap_or_default();
    let empty = rows.is_empty();
    let filtered = FILTER_KEYS
        .iter()
        .any(|k| *k != "sort" && !get(k).is_empty());
    let deleted = !get("deleted").is_empty();
    let owner_option = move |value: String, label: String| {
        let selected = owner_now == value;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let owner_options = {
        let mut o = vec![
            owner_option(String::new(), "Anyone".into()),
            owner_option("me".into(), "My customers".into()),
            owner_option("none".into(), "No owner".into()),
        ];
        o.extend(
            owners
                .into_iter()
                .filter(|p| p.id != viewer_id)
                .map(|p| owner_option(p.id.to_string(), p.name)),
        );
        o
    };
    view! {
        <div class="page-head">
            <h1>"Customers"</h1>
            <a class="button secondary" href="/customers/duplicates">"Possible duplicates"</a>
            <a class="button primary" href="/customers/new">"New customer"</a>
        </div>
        {deleted.then(|| view! { <p role="status" class="notice">"The customer was deleted."</p> })}
        <form method="get" action="/customers" class="filter-bar" role="search" aria-label="Find customers">
            <div class="field grow">
                <label for="customers-q">"Search"</label>
                <input id="customers-q" name="q" type="search" value=get("q")
                    placeholder="Name, email, phone, company or notes"/>
            </div>
            <div class="field">
                <label for="customers-company">"Company"</label>
                <input id="customers-company" name="company" value=get("company")/>
            </div>
            <div class="field" class:has-error=owner_bad>
                <label for="customers-owner">"Owner"</label>
                <select id="customers-owner" name="owner">{owner_options}</select>
                <p class="field-error">{owner_error}</p>
            </div>
            <div class="field">
                <label for="customers-tag">"Tag"</label>
                <input id="customers-tag" name="tag" value=get("tag")/>
            </div>
            <div class="field" class:has-error=from_bad>
                <label for="customers-from">"Added from"</label>
                <input id="customers-from" name="from" type="date" value=get("from")
                    aria-invalid=from_bad.then_some("true") aria-describedby="customers-from-error"/>
                <p class="field-error" id="customers-from-error">{from_error}</p>
            </div>
            <div class="field" class:has-error=to_bad>
                <label for="customers-to">"Added until"</label>
                <input id="customers-to" name="to" type="date" value=get("to")
                    aria-invalid=to_bad.then_some("true") aria-describedby="customers-to-error"/>
                <p class="field-error" id="customers-to-error">{to_error}</p>
            </div>
            <div class="field">
                <label for="customers-sort">"Order"</label>
                <select id="customers-sort" name="sort">
                    <option value="name" selected=sort_now != "newest">"Name"</option>
                    <option value="newest" selected=sort_now == "newest">"Newest first"</option>
                </select>
            </div>
            <label class="choice">
                <input type="checkbox" name="open" value="1" checked=!get("open").is_empty()/>
                " With open tickets"
            </label>
            <button type="submit" class="button secondary">"Apply"</button>
            {filtered.then(|| view! { <a class="clear-filters" href="/customers">"Clear filters"</a> })}
        </form>
        {empty.then(|| view! {
            <section class="card empty-state">
                <p>{if filtered { "No customer matches these filters." } else { "No customers yet." }}</p>
            </section>
        })}
        {(!empty).then(|| view! {
            <div class="table-wrap">
                <table class="tickets-table" aria-label="Customers">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Company"</th>
                            <th scope="col">"Owner"</th>
                            <th scope="col">"Open tickets"</th>
                            <th scope="col">"Added"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row"><a href=format!("/customers/{}", r.id)>{r.name}</a></th>
                                <td>{r.email}</td>
                                <td>{r.company.unwrap_or_default()}</td>
                                <td>{r.owner.unwrap_or_default()}</td>
                                <td>{r.open_tickets}</td>
                                <td><time datetime=iso(r.created_at)>{date(r.created_at)}</time></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        {next.map(|href| view! { <nav class="pager" aria-label="More customers"><a class="button secondary" href=href>"Next page"</a></nav> })}
    }
    .into_any()
}

/// `/customers/new`: a new customer record.
#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let owners = Resource::new(|| (), |_| customer_owners());
    view! {
        <Title text="New customer · Grip"/>
        <ProtectedWith access=Access::Staff data=owners render={|owners: Vec<Owner>| view! {
            <div class="page-head"><h1>"New customer"</h1></div>
            <NewCustomerForm owners/>
        }.into_any()}/>
    }
}

#[component]
fn NewCustomerForm(owners: Vec<Owner>) -> impl IntoView {
    let create = ServerAction::<CreateCustomer>::new();
    let value = create.value();
    Effect::new(move |_| {
        if let Some(Ok(path)) = value.get() {
            load_page(&path);
        }
    });
    let error = failure(value);
    let blank = CustomerRecord {
        id: 0,
        name: String::new(),
        email: String::new(),
        aliases: Vec::new(),
        phone: String::new(),
        time_zone: String::new(),
        language: String::new(),
        notes: String::new(),
        tags: Vec::new(),
        owner_id: None,
        owner: None,
        company: None,
        company_manager: false,
        companies: Vec::new(),
        has_account: false,
        created_at: 0,
        updated_at: 0,
    };
    view! {
        <section class="card form-card" aria-labelledby="new-customer-heading">
            <h2 id="new-customer-heading" class="visually-hidden">"Customer details"</h2>
            <ActionForm action=create>
                <CustomerFieldsView record=blank owners error path=CreateCustomer::PATH/>
                <FormError error=Signal::derive(move || error.get().filter(|e| e.field() == Some("form") || e.field().is_none()))/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Adding…" } else { "Add customer" }}
                    </button>
                    <a class="button secondary" href="/customers">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

/// A field's rule as the browser checks it while typing: the server's own.
pub(crate) type Rule = fn(&str) -> Option<String>;

fn rule_name(v: &str) -> Option<String> {
    PersonName::parse(v).err().map(|e| e.to_string())
}
fn rule_email(v: &str) -> Option<String> {
    // Quiet until the address could be whole.
    (v.contains('@') && !v.ends_with('@'))
        .then(|| Email::parse(v).err().map(|e| e.to_string()))
        .flatten()
}
fn rule_aliases(v: &str) -> Option<String> {
    parse_aliases(v, "").err().map(|e| e.to_string())
}
fn rule_phone(v: &str) -> Option<String> {
    check_phone(v).err().map(|e| e.to_string())
}
fn rule_zone(v: &str) -> Option<String> {
    check_time_zone(v).err().map(|e| e.to_string())
}
fn rule_language(v: &str) -> Option<String> {
    check_language(v).err().map(|e| e.to_string())
}
pub(crate) fn rule_tags(v: &str) -> Option<String> {
    crate::tickets::model::parse_tags(v)
        .err()
        .map(|e| e.to_string())
}
pub(crate) fn rule_none(_: &str) -> Option<String> {
    None
}

/// One field of a record form (a customer's, a company's).
#[derive(Clone, Copy)]
pub(crate) struct FieldSpec {
    /// The server function the form posts to (what was typed is kept under it).
    pub path: &'static str,
    pub error: Signal<Option<AppError>>,
    pub label: &'static str,
    pub name: &'static str,
    /// The shared rule checked as it is typed.
    pub rule: Rule,
    /// An input type, or "textarea".
    pub kind: &'static str,
    pub hint: Option<&'static str>,
    pub required: bool,
    /// Of the element ids: `{prefix}-{name}`.
    pub prefix: &'static str,
}

/// A labelled field of a record form, checked as typed, its server message beside
/// it, put back from the session after a refusal without JavaScript. An address
/// another customer has (a conflict on `email`) offers that record instead.
pub(crate) fn record_field(spec: FieldSpec, now: String) -> AnyView {
    let FieldSpec {
        path,
        error,
        label,
        name,
        rule,
        kind,
        hint,
        required,
        prefix,
    } = spec;
    let value = RwSignal::new(kept_value(path, name).unwrap_or(now));
    let message = live_message(error, name, value, rule);
    let taken = move || {
        error
            .get()
            .is_some_and(|e| matches!(e, AppError::Conflict { ref field, .. } if field == "email"))
    };
    let id = format!("{prefix}-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    let initial = value.get_untracked();
    let input = if kind == "textarea" {
        view! {
            <textarea id=id.clone() name=name rows="4" aria-describedby=described.clone()
                aria-invalid=move || message.get().is_some().then_some("true")
                bind:value=value>{initial}</textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() name=name type=kind required=required value=initial
                aria-describedby=described.clone()
                aria-invalid=move || message.get().is_some().then_some("true")
                bind:value=value/>
        }
        .into_any()
    };
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {input}
            <p class="field-error" id=error_id aria-live="polite">{move || message.get()}</p>
            {(name == "email" && prefix == "customer").then(|| view! {
                {move || taken().then(|| view! {
                    <a href=format!("/customers?q={}", encode_query_value(&value.get()))>"Open the existing customer"</a>
                })}
            })}
        </div>
    }
    .into_any()
}

/// The owner of a record (an agent, lead or admin, or nobody), `now` chosen.
pub(crate) fn owner_field(
    prefix: &'static str,
    owners: Vec<Owner>,
    now: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let owner_error = Signal::derive(move || error.get().and_then(|e| e.message_for("owner")));
    let id = format!("{prefix}-owner");
    let error_id = format!("{prefix}-owner-error");
    view! {
        <div class="field" class:has-error=move || owner_error.get().is_some()>
            <label for=id.clone()>"Owner"</label>
            <select id=id name="owner" aria-describedby=error_id.clone()>
                <option value="" selected=now.is_empty()>"Nobody"</option>
                {owners.into_iter().map(|o| {
                    let selected = now == o.id.to_string();
                    view! { <option value=o.id selected=selected>{o.name}</option> }
                }).collect_view()}
            </select>
            <p class="field-error" id=error_id>{move || owner_error.get()}</p>
        </div>
    }
}

/// The fields of a customer record, shared by New customer and the edit form: each
/// labelled, checked as typed, its server message beside it, and put back from the
/// session after a refusal without JavaScript.
#[component]
fn CustomerFieldsView(
    record: CustomerRecord,
    owners: Vec<Owner>,
    error: Signal<Option<AppError>>,
    path: &'static str,
) -> impl IntoView {
    let kept = move |name: &str, now: String| kept_value(path, name).unwrap_or(now);
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
            required: name == "name" || name == "email",
            prefix: "customer",
        };
        record_field(spec, now)
    };
    let owner_now = kept(
        "owner",
        record.owner_id.map(|o| o.to_string()).unwrap_or_default(),
    );
    let CustomerRecord {
        name,
        email,
        aliases,
        phone,
        time_zone,
        language,
        notes,
        tags,
        company,
        ..
    } = record;
    view! {
        <div class="field-row">
            {field("Name", "name", name, rule_name, "text", None)}
            {field("Email", "email", email, rule_email, "email", Some("The primary address: replies go here."))}
        </div>
        {field("Other addresses", "aliases", aliases.join("\n"), rule_aliases, "textarea",
            Some("One per line. Mail from these finds this customer too."))}
        <div class="field-row">
            {field("Phone", "phone", phone, rule_phone, "tel", None)}
            {field("Company", "company", company.unwrap_or_default(), rule_none, "text", None)}
        </div>
        <div class="field-row">
            {field("Time zone", "time_zone", time_zone, rule_zone, "text", Some("Such as Europe/Berlin."))}
            {field("Language", "language", language, rule_language, "text", Some("Such as en or pt-BR."))}
        </div>
        <div class="field-row">
            {field("Tags", "tags", tags.join(", "), rule_tags, "text", Some("Separated by commas."))}
            {owner_field("customer", owners, owner_now, error)}
        </div>
        {field("Notes", "notes", notes, rule_none, "textarea", Some("Seen by staff only."))}
    }
}

/// The data of a record's page (`/customers/42`, `/companies/42`: the route is
/// `/{area}/*any`, the id the rest of the path) from `fetch`, reloaded after each save
/// that went through (`changed`); `saved` says "Saved." and outlives the reload.
pub(crate) fn record_page<T, Fut>(
    fetch: fn(i64) -> Fut,
) -> (Resource<Result<T, AppError>>, RwSignal<u32>, RwSignal<bool>)
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let params = use_params_map();
    let id = move || params.read().get("any").and_then(|i| i.parse::<i64>().ok());
    let changed = RwSignal::new(0u32);
    let query = use_query_map();
    let saved = RwSignal::new(query.with_untracked(|q| q.get("saved").is_some()));
    let data = Resource::new(
        move || (id(), changed.get()),
        move |(id, _)| async move {
            match id {
                Some(id) => fetch(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    (data, changed, saved)
}

/// `/customers/:id`: one customer's record, tickets, messages and history.
#[component]
pub fn CustomerDetailPage() -> impl IntoView {
    let (data, changed, saved) = record_page(customer_details);
    view! {
        <Title text="Customer · Grip"/>
        <ProtectedWith access=Access::Staff data
            render={move |page: CustomerPage| match page.moved_to {
                // A merged duplicate's old address leads to the record it became.
                Some(to) => view! { <Redirect path=format!("/customers/{to}")/> }.into_any(),
                None => view! { <CustomerView page changed saved/> }.into_any(),
            }}/>
    }
}

#[component]
fn CustomerView(
    page: CustomerPage,
    changed: RwSignal<u32>,
    saved: RwSignal<bool>,
) -> impl IntoView {
    let CustomerPage {
        record,
        tickets,
        ticket_count,
        timeline,
        history,
        owners,
        can_delete,
        merges,
        ..
    } = page;
    let update = ServerAction::<UpdateCustomer>::new();
    let delete = ServerAction::<DeleteCustomer>::new();
    crate::ui::on_success(update.value(), move |_| {
        saved.set(true);
        changed.update(|n| *n += 1);
    });
    crate::ui::on_success(delete.value(), move |path: String| load_page(&path));
    let error = failure(update.value());
    let delete_error = failure(delete.value());
    let form_error = Signal::derive(move || {
        error
            .get()
            .filter(|e| matches!(e.field(), None | Some("form")))
    });
    let title = format!("{} · Customers · Grip", record.name);
    let notice = use_query_map().with_untracked(|q| {
        if q.get("merged").is_some() {
            Some("Merged: their tickets, messages and addresses are this customer’s now.")
        } else if q.get("restored").is_some() {
            Some("The merge was undone: this customer is back with what was theirs.")
        } else {
            None
        }
    });
    let shown = ticket_count as usize;
    let more = (shown > tickets.len())
        .then(|| format!("Showing {} of {} tickets.", tickets.len(), ticket_count));
    let (id, version) = (record.id, record.updated_at);
    let summary = {
        let r = record.clone();
        view! {
            <p class="ticket-summary">
                <a href=format!("mailto:{}", r.email)>{r.email.clone()}</a>
                {(!r.phone.is_empty()).then(|| view! { " · "<span>{r.phone.clone()}</span> })}
                {r.companies.iter().map(|m| {
                    let role = (m.role == "manager").then_some(" (manager)");
                    view! { " · "<a href=format!("/companies/{}", m.company_id)>{m.name.clone()}</a>{role} }
                }).collect_view()}
                {r.owner.clone().map(|o| view! { " · "<span>"Owner: "{o}</span> })}
                {r.has_account.then(|| view! { " "<span class="badge ok">"Portal account"</span> })}
                {r.tags.iter().map(|t| view! { " "<span class="badge">{t.clone()}</span> }).collect_view()}
            </p>
        }
    };
    view! {
        <Title text=title/>
        <div class="page-head">
            <h1 class="ticket-heading">{record.name.clone()}</h1>
            <a class="button secondary" href="/customers">"All customers"</a>
        </div>
        {summary}
        {move || saved.get().then(|| view! { <p role="status" class="notice">"Saved."</p> })}
        {notice.map(|n| view! { <p role="status" class="notice">{n}</p> })}
        <div class="two-col">
            <div class="ticket-main">
                <section class="card" aria-labelledby="customer-tickets-heading">
                    <h2 id="customer-tickets-heading">{format!("Tickets ({ticket_count})")}</h2>
                    <RecordTickets tickets label="Tickets of this customer"/>
                    {more.map(|m| view! { <p class="muted">{m}</p> })}
                </section>
                <section class="card" aria-labelledby="customer-timeline-heading">
                    <h2 id="customer-timeline-heading">"Messages"</h2>
                    <Timeline entries=timeline/>
                </section>
                <section class="card" aria-labelledby="customer-history-heading">
                    <h2 id="customer-history-heading">"History"</h2>
                    <History entries=history noun="customer"/>
                </section>
            </div>
            <div class="ticket-side">
                <section class="card" aria-labelledby="customer-edit-heading">
                    <h2 id="customer-edit-heading">"Details"</h2>
                    <ActionForm action=update>
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <CustomerFieldsView record owners error path=UpdateCustomer::PATH/>
                        <FormError error=form_error/>
                        <button type="submit" class="button primary" disabled=move || update.pending().get()>
                            {move || if update.pending().get() { "Saving…" } else { "Save customer" }}
                        </button>
                    </ActionForm>
                </section>
                <MergeSection id merges/>
                {can_delete.then(|| view! {
                    <section class="card" aria-labelledby="customer-delete-heading">
                        <h2 id="customer-delete-heading">"Delete"</h2>
                        <p class="muted">"Only a record without tickets or a portal account can be deleted."</p>
                        <ActionForm action=delete>
                            <input type="hidden" name="id" value=id/>
                            <FormError error=delete_error/>
                            <button type="submit" class="button danger">"Delete customer"</button>
                        </ActionForm>
                    </section>
                })}
            </div>
        </div>
    }
}

/// Merging a duplicate into this customer, and the merges made into it (each
/// undoable for a day).
#[component]
fn MergeSection(id: i64, merges: Vec<MergeEntry>) -> impl IntoView {
    let merge = ServerAction::<MergeCustomers>::new();
    let undo = ServerAction::<UndoCustomerMerge>::new();
    crate::ui::on_success(merge.value(), move |path: String| load_page(&path));
    crate::ui::on_success(undo.value(), move |path: String| load_page(&path));
    let error = failure(merge.value());
    let undo_error = failure(undo.value());
    let message =
        move |f: &'static str| Signal::derive(move || error.get().and_then(|e| e.message_for(f)));
    let (other_error, confirm_error) = (message("other"), message("confirm"));
    let kept_other = kept_value(MergeCustomers::PATH, "other").unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="customer-merge-heading">
            <h2 id="customer-merge-heading">"Merge a duplicate"</h2>
            <p class="muted">"Their tickets, messages, addresses, tags, companies and notes move to this customer; you can undo it for a day."</p>
            <ActionForm action=merge>
                <input type="hidden" name="id" value=id/>
                <div class="field" class:has-error=move || other_error.get().is_some()>
                    <label for="merge-other">"Duplicate’s email or number"</label>
                    <input id="merge-other" name="other" required value=kept_other
                        aria-describedby="merge-other-error"
                        aria-invalid=move || other_error.get().is_some().then_some("true")/>
                    <p class="field-error" id="merge-other-error" aria-live="polite">{move || other_error.get()}</p>
                </div>
                <label class="choice">
                    <input type="checkbox" name="confirm" aria-describedby="merge-confirm-error"/>
                    " Move everything of theirs to this customer"
                </label>
                <p class="field-error" id="merge-confirm-error" aria-live="polite">{move || confirm_error.get()}</p>
                <FormError error=error/>
                <button type="submit" class="button secondary" disabled=move || merge.pending().get()>"Merge into this customer"</button>
            </ActionForm>
            {(!merges.is_empty()).then(|| view! {
                <h3>"Merged into this customer"</h3>
                <FormError error=undo_error/>
                <ul class="member-list" aria-label="Customers merged into this one">
                    {merges.into_iter().map(|m| {
                        let label = format!("Undo the merge of {}", m.name);
                        view! {
                            <li class="member-row">
                                <span>{m.name.clone()}</span>
                                <span class="muted">{format!(" · {} ticket(s) · ", m.tickets)}
                                    <time datetime=iso(m.at)>{datetime(m.at)}</time></span>
                                {m.undone.then(|| view! { " "<span class="badge">"Undone"</span> })}
                                {m.can_undo.then(|| view! {
                                    <ActionForm action=undo attr:class="inline-form">
                                        <input type="hidden" name="merge" value=m.id/>
                                        <button type="submit" class="button small secondary" aria-label=label>"Undo"</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// `/customers/duplicates`: customers who are likely the same person (the same phone
/// however written, or the same name in the same company), each pair mergeable.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| possible_duplicates());
    view! {
        <Title text="Possible duplicates · Grip"/>
        <ProtectedWith access=Access::Staff data
            render={move |pairs: Vec<DuplicatePair>| view! { <DuplicatesView pairs/> }.into_any()}/>
    }
}

#[component]
fn DuplicatesView(pairs: Vec<DuplicatePair>) -> impl IntoView {
    let merge = ServerAction::<MergeCustomers>::new();
    crate::ui::on_success(merge.value(), move |path: String| load_page(&path));
    let error = failure(merge.value());
    let empty = pairs.is_empty();
    view! {
        <div class="page-head">
            <h1>"Possible duplicates"</h1>
            <a class="button secondary" href="/customers">"All customers"</a>
        </div>
        <p class="muted">"Customers with the same phone number, or the same name in the same company. Merging keeps the older record; it can be undone for a day from its page."</p>
        <FormError error=error/>
        {empty.then(|| view! { <section class="card empty-state"><p>"No likely duplicates."</p></section> })}
        {(!empty).then(|| view! {
            <div class="table-wrap">
                <table class="tickets-table" aria-label="Possible duplicates">
                    <thead>
                        <tr>
                            <th scope="col">"Keep"</th>
                            <th scope="col">"Duplicate"</th>
                            <th scope="col">"Why"</th>
                            <th scope="col"><span class="visually-hidden">"Merge"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {pairs.into_iter().map(|p| {
                            let label = format!("Merge {} ({}) into {} ({})", p.other_name, p.other_email, p.keep_name, p.keep_email);
                            view! {
                                <tr>
                                    <td><a href=format!("/customers/{}", p.keep_id)>{p.keep_name.clone()}</a>" "<span class="muted">{p.keep_email.clone()}</span></td>
                                    <td><a href=format!("/customers/{}", p.other_id)>{p.other_name.clone()}</a>" "<span class="muted">{p.other_email.clone()}</span></td>
                                    <td>{p.reason.clone()}</td>
                                    <td>
                                        <ActionForm action=merge attr:class="inline-form">
                                            <input type="hidden" name="id" value=p.keep_id/>
                                            <input type="hidden" name="other" value=p.other_id/>
                                            <input type="hidden" name="confirm" value="on"/>
                                            <button type="submit" class="button small secondary" aria-label=label>"Merge"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
    }
}

/// A record's tickets (a customer's, a company's), named by `label`.
#[component]
pub(crate) fn RecordTickets(
    tickets: Vec<super::model::CustomerTicket>,
    label: &'static str,
) -> impl IntoView {
    if tickets.is_empty() {
        return view! { <p class="muted">"No tickets on your boards."</p> }.into_any();
    }
    view! {
        <ul class="portal-list" aria-label=label>
            {tickets.into_iter().map(|t| {
                let done = t.stage_kind == "done";
                view! {
                    <li class="portal-row">
                        <a class="portal-title" href=format!("/tickets/{}", t.number)>
                            {format!("#{} {}", t.number, t.title)}
                        </a>
                        <span class="badge" class:done=done>{t.stage}</span>
                        <span class="portal-meta muted">
                            {format!("{} · {} priority · updated ", t.team, t.priority)}
                            <time datetime=iso(t.updated_at)>{datetime(t.updated_at)}</time>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted">"No messages yet."</p> }.into_any();
    }
    view! {
        <ol class="history" aria-label="Messages of this customer">
            {entries.into_iter().map(|m| {
                let kind = if m.internal {
                    "Internal note"
                } else if m.from_customer {
                    "From the customer"
                } else {
                    "Reply"
                };
                view! {
                    <li class="history-line">
                        <span class="history-who">{m.author.unwrap_or_else(|| "Someone".into())}</span>
                        " · "<span class="badge" class:source-badge=m.internal>{kind}</span>
                        " on "<a href=format!("/tickets/{}", m.number)>{format!("#{} {}", m.number, m.title)}</a>
                        <time class="history-when muted" datetime=iso(m.at)>{datetime(m.at)}</time>
                        <p class="message-body">{m.excerpt}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// How a history entry of a `noun` ("customer", "company") reads: "changed phone
/// from … to …".
fn change_text(h: &HistoryEntry, noun: &str) -> String {
    let show = |v: &Option<String>| {
        v.clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "nothing".into())
    };
    match (h.action.as_str(), h.field.as_deref()) {
        ("created", _) => format!("added the {noun}"),
        ("deleted", _) => format!("deleted the {noun}"),
        ("member_added", _) => format!("added {}", show(&h.new_value)),
        ("member_removed", _) => format!("removed {}", show(&h.old_value)),
        ("merged", _) => format!("merged {} into this {noun}", show(&h.old_value)),
        ("merge_undone", _) => match (&h.old_value, &h.new_value) {
            (Some(gone), _) => format!("undid the merge of {gone}"),
            (None, back) => format!("undid the merge of {} into another customer", show(back)),
        },
        (_, Some(field)) => format!(
            "changed {} from “{}” to “{}”",
            field.replace('_', " "),
            show(&h.old_value),
            show(&h.new_value)
        ),
        (action, None) => action.to_string(),
    }
}

/// The history of a record of kind `noun` ("customer", "company").
#[component]
pub(crate) fn History(entries: Vec<HistoryEntry>, noun: &'static str) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted">"No changes recorded."</p> }.into_any();
    }
    view! {
        <ol class="history" aria-label=format!("History of this {noun}")>
            {entries.into_iter().map(|h| {
                let text = change_text(&h, noun);
                let origin = match (&h.client_ip, &h.user_agent) {
                    (Some(ip), Some(ua)) => Some(format!("from {ip}, {ua}")),
                    (Some(ip), None) => Some(format!("from {ip}")),
                    _ => None,
                };
                view! {
                    <li class="history-line">
                        <span class="history-who">{h.actor.unwrap_or_else(|| "Grip".into())}</span>" "{text}
                        <time class="history-when muted" datetime=iso(h.at)>{datetime(h.at)}</time>
                        {origin.map(|o| view! { <span class="history-when muted">{o}</span> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}
