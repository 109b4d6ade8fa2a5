//! Pages whose features arrive with later issues. Each is a real route behind the
//! right permission, saying plainly what is coming.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ComingSoon(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Grip")/>
        <div class="page-head"><h1>{title}</h1></div>
        <section class="card empty-state">
            <h2>"Not built yet"</h2>
            <p>{what}</p>
        </section>
    }
}
