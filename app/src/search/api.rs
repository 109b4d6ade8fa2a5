//! The server function of the search page.

use leptos::prelude::*;

use super::SearchResults;
use crate::error::AppError;

/// What `q` finds among the tickets, customers and companies the signed-in staff
/// member may see (see `search::store::search_all`). At most 200 characters count.
#[server(prefix = "/api", endpoint = "search")]
pub async fn search_everything(q: String) -> Result<SearchResults, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let q: String = q.chars().take(200).collect();
            super::store::search_all(&state.db, &user, &q).await
        }
        .await,
    )
}
