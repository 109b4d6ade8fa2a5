//! What the browser and the server share about customers.

use serde::{Deserialize, Serialize};

/// A customer found by the search of New ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
}

/// A customer's portal account as Admin → Customers lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccountRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub verified_at: Option<i64>,
    pub customer_id: Option<i64>,
    pub company: Option<String>,
    pub company_manager: Option<bool>,
}
