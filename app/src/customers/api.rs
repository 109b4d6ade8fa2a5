//! Server functions about customers: the search of New ticket (staff) and Admin →
//! Customers (admins). Their addresses are what they were when they lived with the
//! tickets and the portal.

// Forms post one argument per field, so the record forms' functions take many.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::model::{AccountRow, CustomerHit};
use crate::error::AppError;

/// Customers whose name or email starts with `q` (at most 8), for search as you type.
#[server(prefix = "/api", endpoint = "customers/search")]
pub async fn search_customers(q: String) -> Result<Vec<CustomerHit>, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            require_user(Access::Staff).await?;
            let state = crate::state::app_state()?;
            let q = q.trim().to_lowercase();
            if q.is_empty() || q.chars().count() > 100 {
                return Ok(Vec::new());
            }
            super::store::search_customers(&state.db, &q, 8).await
        }
        .await,
    )
}

/// Admin → Customers: customer accounts matching `text` in name or email, newest
/// first, 50 at a time (`before`: the last `user_id` of the page before).
#[server(prefix = "/api", endpoint = "admin/customers")]
pub async fn customer_accounts(
    text: String,
    before: Option<i64>,
) -> Result<Vec<AccountRow>, AppError> {
    use crate::auth::policy::{require_user, Access};
    crate::api::respond(
        async {
            require_user(Access::Admin).await?;
            let state = crate::state::app_state()?;
            super::store::customer_accounts(&state.db, &text, before, CUSTOMERS_PAGE).await
        }
        .await,
    )
}

/// How many customer accounts one page of Admin → Customers lists.
pub const CUSTOMERS_PAGE: i64 = 50;

/// Admin → Customers: puts a customer in a company and sets whether they manage it
/// (a manager sees and answers every ticket of the company in the portal).
#[server(prefix = "/api", endpoint = "admin/customers/company")]
pub async fn set_customer_company(
    customer_id: i64,
    company: String,
    manager: Option<String>,
) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            let manager = manager.is_some_and(|m| m == "on" || m == "true" || m == "yes");
            match super::store::set_company(&state.db, admin.id, customer_id, &company, manager)
                .await
            {
                Ok(()) => Ok(crate::api::finish_form("/admin/customers?saved=1")),
                Err(e) => {
                    crate::api::refuse_if_plain(
                        "/api/admin/customers/company",
                        e,
                        &[
                            ("company", &company),
                            ("customer", &customer_id.to_string()),
                        ],
                    )
                    .await
                }
            }
        }
        .await,
    )
}

// ---- Customer records: `/customers`, `/customers/new`, `/customers/:id` -------------

use super::model::{CustomerList, CustomerPage};

/// How many customers one page of `/customers` lists.
pub const CUSTOMER_LIST_PAGE: i64 = 50;

/// `/customers`: customers matching the filter (the list's query string), 50 at a
/// time after the customer `after`, with the owners to filter by.
#[server(prefix = "/api", endpoint = "customers/list")]
pub async fn list_customers(
    q: String,
    company: String,
    owner: String,
    open: bool,
    tag: String,
    from: String,
    to: String,
    sort: String,
    after: Option<i64>,
) -> Result<CustomerList, AppError> {
    use super::model::{CustomerFilter, CustomerSort};
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let filter = CustomerFilter {
                q,
                company,
                owner,
                open,
                tag,
                from,
                to,
                sort: CustomerSort::parse(&sort),
            };
            let page = CUSTOMER_LIST_PAGE;
            let mut rows =
                super::store::list_customers(&state.db, &filter, user.id, after, page + 1).await?;
            let next = (rows.len() as i64 > page).then(|| {
                rows.truncate(page as usize);
                rows.last().map(|r| r.id.to_string())
            });
            Ok(CustomerList {
                rows,
                next: next.flatten(),
                owners: super::store::owners(&state.db).await?,
                viewer_id: user.id,
            })
        }
        .await,
    )
}

/// `/customers/:id`: the record, their tickets on the viewer's boards, the timeline of
/// their messages and the record's history. The owners are for the edit form.
#[server(prefix = "/api", endpoint = "customers/page")]
pub async fn customer_details(id: i64) -> Result<CustomerPage, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            if let Some(to) = super::merge::survivor_of(&state.db, id).await? {
                return Ok(CustomerPage {
                    moved_to: Some(to),
                    ..Default::default()
                });
            }
            let record = super::store::customer_record(&state.db, id).await?;
            let (tickets, ticket_count) = super::store::record_tickets(
                &state.db,
                &user,
                super::store::TicketsOf::Customer,
                id,
                100,
            )
            .await?;
            Ok(CustomerPage {
                moved_to: None,
                record,
                tickets,
                ticket_count,
                timeline: super::store::customer_timeline(&state.db, &user, id, 30).await?,
                history: super::store::history(&state.db, "customer", id).await?,
                owners: super::store::owners(&state.db).await?,
                can_delete: user.role == crate::auth::model::Role::Admin,
                merges: super::merge::merges_into(&state.db, id).await?,
            })
        }
        .await,
    )
}

/// The agents, leads and admins a customer may be given as owner.
#[server(prefix = "/api", endpoint = "customers/owners")]
pub async fn customer_owners() -> Result<Vec<super::model::Owner>, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (_, state) = crate::api::start(Access::Staff).await?;
            super::store::owners(&state.db).await
        }
        .await,
    )
}

/// The owner chosen in a form: blank for nobody, else an account's id.
#[cfg(feature = "ssr")]
pub(crate) fn parse_owner(raw: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::validation("owner", "Choose an owner from the list."))
}

/// Adds a customer; answers the new record's address. An address another customer
/// has is refused on its field, naming that customer.
#[server(prefix = "/api", endpoint = "customers/create")]
pub async fn create_customer(
    name: String,
    email: String,
    aliases: String,
    phone: String,
    time_zone: String,
    language: String,
    notes: String,
    tags: String,
    company: String,
    owner: String,
) -> Result<String, AppError> {
    let typed = super::model::TypedCustomer {
        name: &name,
        email: &email,
        aliases: &aliases,
        phone: &phone,
        time_zone: &time_zone,
        language: &language,
        notes: &notes,
        tags: &tags,
    };
    crate::api::respond(save_record(typed, &company, &owner, None).await)
}

/// Saves an edit of customer `id` opened at `version` (the record's `updated_at`):
/// refused when someone saved it since, what was typed kept.
#[server(prefix = "/api", endpoint = "customers/update")]
pub async fn update_customer(
    id: i64,
    version: i64,
    name: String,
    email: String,
    aliases: String,
    phone: String,
    time_zone: String,
    language: String,
    notes: String,
    tags: String,
    company: String,
    owner: String,
) -> Result<String, AppError> {
    let typed = super::model::TypedCustomer {
        name: &name,
        email: &email,
        aliases: &aliases,
        phone: &phone,
        time_zone: &time_zone,
        language: &language,
        notes: &notes,
        tags: &tags,
    };
    crate::api::respond(save_record(typed, &company, &owner, Some((id, version))).await)
}

/// Creates a customer (`existing` None) or saves an edit of customer `id` opened at
/// `version`: the checked fields stored, the browser sent to the record; a refusal
/// keeps what was typed for a form posted without JavaScript.
#[cfg(feature = "ssr")]
async fn save_record(
    typed: super::model::TypedCustomer<'_>,
    company: &str,
    owner: &str,
    existing: Option<(i64, i64)>,
) -> Result<String, AppError> {
    use super::model::CustomerFields;
    use super::store::{create_customer_record, update_customer_record, Placement};
    use leptos::server_fn::ServerFn;
    let (user, state) = crate::api::start(crate::auth::policy::Access::Staff).await?;
    let saved = async {
        let fields = CustomerFields::parse(&typed)?;
        let place = Placement {
            company,
            owner_id: parse_owner(owner)?,
        };
        match existing {
            None => create_customer_record(&state.db, user.id, &fields, place)
                .await
                .map(|id| format!("/customers/{id}")),
            Some((id, version)) => {
                update_customer_record(&state.db, user.id, id, version, &fields, place)
                    .await
                    .map(|()| format!("/customers/{id}?saved=1"))
            }
        }
    }
    .await;
    let e = match saved {
        Ok(path) => return Ok(crate::api::finish_form(&path)),
        Err(e) => e,
    };
    let t = &typed;
    let mut kept = vec![
        ("name", t.name),
        ("email", t.email),
        ("aliases", t.aliases),
        ("phone", t.phone),
        ("time_zone", t.time_zone),
        ("language", t.language),
        ("notes", t.notes),
        ("tags", t.tags),
        ("company", company),
        ("owner", owner),
    ];
    let id_text = existing.map(|(id, _)| id.to_string()).unwrap_or_default();
    let path = if existing.is_some() {
        kept.push(("id", &id_text));
        UpdateCustomer::PATH
    } else {
        CreateCustomer::PATH
    };
    crate::api::refuse_if_plain(path, e, &kept).await
}

/// Deletes customer `id` (admins), when it has no tickets and no portal account.
#[server(prefix = "/api", endpoint = "customers/delete")]
pub async fn delete_customer(id: i64) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            match super::store::delete_customer_record(&state.db, admin.id, id).await {
                Ok(()) => Ok(crate::api::finish_form("/customers?deleted=1")),
                Err(e) => {
                    crate::api::refuse_if_plain(
                        <DeleteCustomer as leptos::server_fn::ServerFn>::PATH,
                        e,
                        &[],
                    )
                    .await
                }
            }
        }
        .await,
    )
}

// ---- Duplicates: merge, undo, the list of likely ones ----------------------------------

/// Merges the customer `other` (an address of theirs, or their number) into customer
/// `id`: their tickets, messages, addresses, tags, companies and notes move here.
/// `confirm` must be ticked. Undoable for a day from this customer's page.
#[server(prefix = "/api", endpoint = "customers/merge")]
pub async fn merge_customers(
    id: i64,
    other: String,
    confirm: Option<String>,
) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let merged = async {
                if confirm.as_deref().is_none_or(str::is_empty) {
                    return Err(AppError::validation(
                        "confirm",
                        "Tick the box to confirm: their tickets, messages and addresses move here.",
                    ));
                }
                let other = super::merge::find_other(&state.db, &other).await?;
                super::merge::merge_customers(&state.db, user.id, id, other).await
            }
            .await;
            match merged {
                Ok(_) => Ok(crate::api::finish_form(&format!(
                    "/customers/{id}?merged=1"
                ))),
                Err(e) => {
                    crate::api::refuse_if_plain(
                        <MergeCustomers as leptos::server_fn::ServerFn>::PATH,
                        e,
                        &[("other", &other), ("id", &id.to_string())],
                    )
                    .await
                }
            }
        }
        .await,
    )
}

/// Undoes merge `merge` (less than a day old): the merged customer is back with what
/// was theirs; the browser goes to them.
#[server(prefix = "/api", endpoint = "customers/merge-undo")]
pub async fn undo_customer_merge(merge: i64) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            match super::merge::undo_merge(&state.db, user.id, merge).await {
                Ok(back) => Ok(crate::api::finish_form(&format!(
                    "/customers/{back}?restored=1"
                ))),
                Err(e) => {
                    crate::api::refuse_if_plain(
                        <UndoCustomerMerge as leptos::server_fn::ServerFn>::PATH,
                        e,
                        &[],
                    )
                    .await
                }
            }
        }
        .await,
    )
}

/// `/customers/duplicates`: pairs of customers who are likely the same person.
#[server(prefix = "/api", endpoint = "customers/duplicates")]
pub async fn possible_duplicates() -> Result<Vec<super::model::DuplicatePair>, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (_, state) = crate::api::start(Access::Staff).await?;
            super::merge::possible_duplicates(&state.db, 100).await
        }
        .await,
    )
}
