//! Pages rendered on the server as a whole (the portal, account pages, the outbox),
//! and the pages whose features arrive with later issues. Each is a real route behind
//! the right permission.

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

/// A page rendered entirely on the server (portal, password reset, outbox): its
/// title and HTML. The browser only places it, so these pages cost the WASM bundle
/// one small component between them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    pub title: String,
    pub html: String,
}

/// The server page at `path` (with its query string `query`); each page checks who
/// may see it (NotFound, Unauthorized and Forbidden as for any other data).
#[server(prefix = "/api", endpoint = "page")]
pub async fn rendered_page(
    path: String,
    query: String,
) -> Result<Rendered, crate::error::AppError> {
    crate::api::respond(crate::portal::pages::render(&path, &query).await)
}

/// A server-rendered page behind `access` (inside the app shell, like every page).
/// With `Access::Public` a visitor who is not signed in sees it outside the shell.
#[component]
pub fn ServerPage(access: crate::auth::policy::Access) -> impl IntoView {
    use crate::auth::pages::ProtectedWith;
    let location = leptos_router::hooks::use_location();
    let data = Resource::new(
        move || (location.pathname.get(), location.search.get()),
        |(path, query)| rendered_page(path, query),
    );
    let render = |r: Rendered| {
        // Once the page is in place, its portal forms check fields as they are typed,
        // keep a draft and show an upload's progress.
        #[cfg(feature = "hydrate")]
        request_animation_frame(crate::portal::enhance::on_page);
        view! {
            <Title text=r.title/>
            <div class="server-page" inner_html=r.html></div>
        }
        .into_any()
    };
    view! { <ProtectedWith access data render/> }
}
