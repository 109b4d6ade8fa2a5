//! Admin → Customers (`/admin/customers`): customers' portal accounts, found by name
//! or email, each with its company and whether they manage it (a manager sees and
//! answers every ticket of their company in the portal).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::customers::api::{customer_accounts, SetCustomerCompany, CUSTOMERS_PAGE};
use crate::customers::model::AccountRow;
use crate::teams::pages::AdminNav;
use crate::ui::{encode_query_value, failure, kept_value, on_success};

#[component]
pub fn CustomersAdminPage() -> impl IntoView {
    let query = use_query_map();
    let text = move || query.read().get("q").unwrap_or_default();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    // Reloaded after each change that went through.
    let changed = RwSignal::new(0u32);
    let data = Resource::new(
        move || (text(), before(), changed.get()),
        |(text, before, _)| customer_accounts(text, before),
    );
    view! {
        <Title text="Customers · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render={move |rows: Vec<AccountRow>| view! { <CustomersView rows text=text() changed/> }.into_any()}/>
    }
}

#[component]
fn CustomersView(rows: Vec<AccountRow>, text: String, changed: RwSignal<u32>) -> impl IntoView {
    let query = use_query_map();
    let saved = RwSignal::new(query.with_untracked(|q| q.get("saved").is_some()));
    let next = (rows.len() as i64 == CUSTOMERS_PAGE)
        .then(|| {
            rows.last().map(|r| {
                format!(
                    "/admin/customers?q={}&before={}",
                    encode_query_value(&text),
                    r.user_id
                )
            })
        })
        .flatten();
    let empty = rows.is_empty();
    // Without JavaScript, the row whose form was refused (its typed company is back).
    let refused_row: Option<i64> =
        kept_value(SetCustomerCompany::PATH, "customer").and_then(|c| c.parse().ok());
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
        {move || saved.get().then(|| view! { <p role="status" class="notice">"Saved."</p> })}
        {empty.then(|| view! { <section class="card empty-state"><p>"No customer accounts."</p></section> })}
        <ul class="portal-list" aria-label="Customer accounts">
            {rows.into_iter().map(|r| view! { <CustomerRow row=r refused_row changed saved/> }).collect_view()}
        </ul>
        {next.map(|href| view! { <p><a class="button secondary" href=href>"More"</a></p> })}
    }
}

#[component]
fn CustomerRow(
    row: AccountRow,
    refused_row: Option<i64>,
    changed: RwSignal<u32>,
    saved: RwSignal<bool>,
) -> impl IntoView {
    let AccountRow {
        user_id,
        name,
        email,
        verified_at,
        customer_id,
        company,
        company_manager,
    } = row;
    let badge = if verified_at.is_some() {
        "Confirmed"
    } else {
        "Not confirmed"
    };
    let form = customer_id.map(|cid| {
        // Each row has its own action, so a refusal shows by the row it is about.
        let save = ServerAction::<SetCustomerCompany>::new();
        on_success(save.value(), move |_| {
            saved.set(true);
            changed.update(|n| *n += 1);
        });
        let refused_here = refused_row == Some(cid);
        let error = failure(save.value());
        // The address's refusal belongs to one row; an answer to this row's own call.
        let row_error = Signal::derive(move || {
            (refused_here || save.version().get() > 0)
                .then(|| error.get())
                .flatten()
        });
        let typed = refused_here
            .then(|| kept_value(SetCustomerCompany::PATH, "company"))
            .flatten();
        let company = typed.unwrap_or_else(|| company.clone().unwrap_or_default());
        let company_id = format!("company-{user_id}");
        let error_id = format!("company-{user_id}-error");
        let label = format!("Company of {name}");
        let manager_label = format!("{name} manages the company");
        view! {
            <ActionForm action=save attr:class="inline-fields">
                <input type="hidden" name="customer_id" value=cid/>
                <label for=company_id.clone() class="visually-hidden">{label}</label>
                <input id=company_id name="company" value=company placeholder="Company"
                    aria-describedby=error_id.clone()
                    aria-invalid=move || if row_error.get().is_some() { "true" } else { "false" }/>
                <label class="choice">
                    <input type="checkbox" name="manager" checked=company_manager.unwrap_or(false) aria-label=manager_label/>
                    " Company manager"
                </label>
                <button type="submit" class="button secondary small" disabled=move || save.pending().get()>"Save"</button>
                <p class="field-error" id=error_id>{move || row_error.get().map(|e| e.to_string())}</p>
            </ActionForm>
        }
    });
    view! {
        <li class="card customer-row">
            <div>
                <strong>{name.clone()}</strong>" "<span class="muted">{email}</span>" "
                <span class="badge">{badge}</span>
            </div>
            {match form {
                Some(f) => f.into_any(),
                None => view! { <p class="muted">"No customer record yet."</p> }.into_any(),
            }}
        </li>
    }
}
