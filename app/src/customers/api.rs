//! Server functions about customers: the search of New ticket (staff) and Admin →
//! Customers (admins). Their addresses are what they were when they lived with the
//! tickets and the portal.

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
                    crate::api::refuse_form(
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
