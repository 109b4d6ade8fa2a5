//! Server functions about company records (staff; deleting is for admins). Forms
//! post one argument per field; a refusal keeps what was typed for a form posted
//! without JavaScript.

// Forms post one argument per field, so the record forms' functions take many.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::model::{CompanyList, CompanyPage};
use crate::error::AppError;

/// How many companies one page of `/companies` lists.
pub const COMPANY_LIST_PAGE: i64 = 50;

/// `/companies`: companies matching the filter, by name, 50 at a time after the
/// company `after`, with the owners to filter by.
#[server(prefix = "/api", endpoint = "companies/list")]
pub async fn list_companies(
    q: String,
    owner: String,
    tag: String,
    after: Option<i64>,
) -> Result<CompanyList, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let filter = super::model::CompanyFilter { q, owner, tag };
            let page = COMPANY_LIST_PAGE;
            let mut rows =
                super::store::list_companies(&state.db, &filter, user.id, after, page + 1).await?;
            let next = (rows.len() as i64 > page).then(|| {
                rows.truncate(page as usize);
                rows.last().map(|r| r.id.to_string())
            });
            Ok(CompanyList {
                rows,
                next: next.flatten(),
                owners: crate::customers::store::owners(&state.db).await?,
                viewer_id: user.id,
            })
        }
        .await,
    )
}

/// `/companies/:id`: the record, its members, its tickets on the viewer's boards and
/// the record's history.
#[server(prefix = "/api", endpoint = "companies/page")]
pub async fn company_details(id: i64) -> Result<CompanyPage, AppError> {
    use crate::auth::policy::Access;
    use crate::customers::store::{owners, record_tickets, TicketsOf};
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let record = super::store::company_record(&state.db, id).await?;
            let (tickets, ticket_count) =
                record_tickets(&state.db, &user, TicketsOf::Company, id, 100).await?;
            Ok(CompanyPage {
                record,
                members: super::store::company_members(&state.db, id).await?,
                tickets,
                ticket_count,
                history: crate::customers::store::history(&state.db, "company", id).await?,
                owners: owners(&state.db).await?,
                can_delete: user.role == crate::auth::model::Role::Admin,
            })
        }
        .await,
    )
}

/// Whether a checkbox was ticked (`on`, as browsers post it).
#[cfg(feature = "ssr")]
fn ticked(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|v| matches!(v, "on" | "true" | "yes" | "1"))
}

/// Adds a company; answers the new record's address.
#[server(prefix = "/api", endpoint = "companies/create")]
pub async fn create_company(
    name: String,
    domains: String,
    auto_join: Option<String>,
    notes: String,
    tags: String,
    owner: String,
) -> Result<String, AppError> {
    let typed = TypedCompany {
        name: &name,
        domains: &domains,
        auto_join: &auto_join,
        notes: &notes,
        tags: &tags,
        owner: &owner,
    };
    crate::api::respond(save_record(typed, None).await)
}

/// Saves an edit of company `id` opened at `version` (the record's `updated_at`):
/// refused when someone saved it since, what was typed kept.
#[server(prefix = "/api", endpoint = "companies/update")]
pub async fn update_company(
    id: i64,
    version: i64,
    name: String,
    domains: String,
    auto_join: Option<String>,
    notes: String,
    tags: String,
    owner: String,
) -> Result<String, AppError> {
    let typed = TypedCompany {
        name: &name,
        domains: &domains,
        auto_join: &auto_join,
        notes: &notes,
        tags: &tags,
        owner: &owner,
    };
    crate::api::respond(save_record(typed, Some((id, version))).await)
}

/// A company form as posted.
#[cfg(feature = "ssr")]
struct TypedCompany<'a> {
    name: &'a str,
    domains: &'a str,
    auto_join: &'a Option<String>,
    notes: &'a str,
    tags: &'a str,
    owner: &'a str,
}

/// Creates a company (`existing` None) or saves an edit of company `id` opened at
/// `version`; the browser goes to the record.
#[cfg(feature = "ssr")]
async fn save_record(
    t: TypedCompany<'_>,
    existing: Option<(i64, i64)>,
) -> Result<String, AppError> {
    use super::model::CompanyFields;
    use super::store::{create_company_record, update_company_record};
    use leptos::server_fn::ServerFn;
    let (user, state) = crate::api::start(crate::auth::policy::Access::Staff).await?;
    let saved = async {
        let fields = CompanyFields::parse(t.name, t.domains, ticked(t.auto_join), t.notes, t.tags)?;
        let owner_id = crate::customers::api::parse_owner(t.owner)?;
        match existing {
            None => create_company_record(&state.db, user.id, &fields, owner_id)
                .await
                .map(|id| format!("/companies/{id}")),
            Some((id, version)) => {
                update_company_record(&state.db, user.id, id, version, &fields, owner_id)
                    .await
                    .map(|()| format!("/companies/{id}?saved=1"))
            }
        }
    }
    .await;
    let e = match saved {
        Ok(path) => return Ok(crate::api::finish_form(&path)),
        Err(e) => e,
    };
    let auto_join = if ticked(t.auto_join) { "on" } else { "" };
    let mut kept = vec![
        ("name", t.name),
        ("domains", t.domains),
        ("auto_join", auto_join),
        ("notes", t.notes),
        ("tags", t.tags),
        ("owner", t.owner),
    ];
    let id_text = existing.map(|(id, _)| id.to_string()).unwrap_or_default();
    let path = if existing.is_some() {
        kept.push(("id", &id_text));
        UpdateCompany::PATH
    } else {
        CreateCompany::PATH
    };
    crate::api::refuse_if_plain(path, e, &kept).await
}

/// Deletes company `id` (admins), when no ticket is for it.
#[server(prefix = "/api", endpoint = "companies/delete")]
pub async fn delete_company(id: i64) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (admin, state) = crate::api::start(Access::Admin).await?;
            match super::store::delete_company_record(&state.db, admin.id, id).await {
                Ok(()) => Ok(crate::api::finish_form("/companies?deleted=1")),
                Err(e) => {
                    crate::api::refuse_if_plain(
                        <DeleteCompany as leptos::server_fn::ServerFn>::PATH,
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

/// Adds the customer with address `email` to company `id` as `role` (member or
/// manager), or changes the role of a member. Making someone a manager (who then
/// sees every ticket for the company in the portal) is for admins, as in Admin →
/// Customers.
#[server(prefix = "/api", endpoint = "companies/member")]
pub async fn add_company_member(id: i64, email: String, role: String) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            use super::model::MemberRole;
            let added = match MemberRole::parse(&role) {
                Ok(MemberRole::Manager) if user.role != crate::auth::model::Role::Admin => {
                    Err(AppError::validation(
                        "role",
                        "Only an admin can make someone a company manager.",
                    ))
                }
                Ok(role) => super::store::add_member(&state.db, user.id, id, &email, role).await,
                Err(e) => Err(e),
            };
            match added {
                Ok(()) => Ok(crate::api::finish_form(&format!("/companies/{id}?saved=1"))),
                Err(e) => {
                    crate::api::refuse_if_plain(
                        <AddCompanyMember as leptos::server_fn::ServerFn>::PATH,
                        e,
                        &[("email", &email), ("role", &role), ("id", &id.to_string())],
                    )
                    .await
                }
            }
        }
        .await,
    )
}

/// Removes customer `customer` from company `id`.
#[server(prefix = "/api", endpoint = "companies/member-remove")]
pub async fn remove_company_member(id: i64, customer: i64) -> Result<String, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            super::store::remove_member(&state.db, user.id, id, customer).await?;
            Ok(crate::api::finish_form(&format!("/companies/{id}?saved=1")))
        }
        .await,
    )
}
