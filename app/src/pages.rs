//! The pages whose features arrive with later issues: each is a real route behind
//! the right permission, saying what will be there.

use leptos::prelude::*;
use leptos_meta::Title;

/// A staff page whose feature arrives with a later issue (the Command Center, the
/// Customers area): a real route behind the staff permission, saying what will be
/// there.
#[component]
pub fn ComingSoonPage(title: &'static str, what: &'static str) -> impl IntoView {
    use crate::auth::pages::Protected;
    use crate::auth::policy::Access;
    view! {
        <Protected access=Access::Staff>
            <Title text=format!("{title} · Grip")/>
            <div class="page-head"><h1>{title}</h1></div>
            <section class="card empty-state">
                <h2>"Not built yet"</h2>
                <p>{what}</p>
            </section>
        </Protected>
    }
}
