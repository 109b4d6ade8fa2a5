//! `/search?q=…`: the header's search box lands here. Tickets, customers and
//! companies the viewer may see, each match marked. A GET form, so it works the same
//! without JavaScript and a search can be bookmarked.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::search_everything;
use super::{CompanyResult, CustomerResult, Highlighted, SearchResults, TicketResult};
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::ui::encode_query_value;
use crate::ui::time::{datetime, iso};

/// The search page of staff.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let text = move || query.with(|q| q.get("q").unwrap_or_default());
    let data = Resource::new(text, |q| async move {
        Ok::<_, AppError>((q.clone(), search_everything(q).await?))
    });
    view! {
        <Title text="Search · Grip"/>
        <ProtectedWith access=Access::Staff data
            render={move |(q, found): (String, SearchResults)| view! { <SearchView q found/> }.into_any()}/>
    }
}

#[component]
fn SearchView(q: String, found: SearchResults) -> impl IntoView {
    let searched = !q.trim().is_empty();
    let nothing =
        found.tickets.is_empty() && found.customers.is_empty() && found.companies.is_empty();
    let board_link = format!("/tickets?q={}", encode_query_value(&q));
    let SearchResults {
        tickets,
        more_tickets,
        customers,
        companies,
    } = found;
    view! {
        <div class="page-head"><h1>"Search"</h1></div>
        <form method="get" action="/search" class="filter-bar" role="search" aria-label="Search everything">
            <div class="field grow">
                <label for="search-q">"Search tickets, customers and companies"</label>
                <input id="search-q" name="q" type="search" value=q.clone()
                    placeholder="Words, \"a phrase\", -word to leave out, or #1042"/>
            </div>
            <button type="submit" class="button primary">"Search"</button>
        </form>
        {(searched && nothing).then(|| view! {
            <section class="card empty-state">
                <p>"Nothing matches “"{q.clone()}"”. Try fewer words, or the start of a word."</p>
            </section>
        })}
        {(!tickets.is_empty()).then(|| view! {
            <section class="search-section" aria-labelledby="found-tickets">
                <h2 id="found-tickets">"Tickets"</h2>
                <ol class="search-results">
                    {tickets.into_iter().map(|t| view! { <TicketHit t/> }).collect_view()}
                </ol>
                {more_tickets.then(|| view! {
                    <p class="muted">"More tickets match: add words to narrow the search, or "
                        <a href=board_link.clone()>"see them all in the ticket list"</a>"."</p>
                })}
            </section>
        })}
        {(!customers.is_empty()).then(|| view! {
            <section class="search-section" aria-labelledby="found-customers">
                <h2 id="found-customers">"Customers"</h2>
                <ol class="search-results">
                    {customers.into_iter().map(|c| view! { <CustomerHit c/> }).collect_view()}
                </ol>
            </section>
        })}
        {(!companies.is_empty()).then(|| view! {
            <section class="search-section" aria-labelledby="found-companies">
                <h2 id="found-companies">"Companies"</h2>
                <ol class="search-results">
                    {companies.into_iter().map(|c| view! { <CompanyHit c/> }).collect_view()}
                </ol>
            </section>
        })}
    }
}

#[component]
fn TicketHit(t: TicketResult) -> impl IntoView {
    let status = if t.done { "done" } else { "open" };
    let has_snippet = !t.snippet.is_empty();
    view! {
        <li class="search-hit">
            <a class="search-hit-title" href=format!("/tickets/{}", t.number)>
                <span class="muted">"#"{t.number}" "</span>
                <Highlighted segments=t.title/>
            </a>
            {has_snippet.then(|| view! { <p class="search-snippet"><Highlighted segments=t.snippet/></p> })}
            <p class="search-meta muted">
                <span class=format!("badge {status}")>{t.stage}</span>
                " · "{t.team}" · "{t.customer}" · updated "
                <time datetime=iso(t.updated_at)>{datetime(t.updated_at)}</time>
            </p>
        </li>
    }
}

#[component]
fn CustomerHit(c: CustomerResult) -> impl IntoView {
    let has_snippet = !c.snippet.is_empty();
    view! {
        <li class="search-hit">
            <a class="search-hit-title" href=format!("/customers/{}", c.id)>
                <Highlighted segments=c.name/>
            </a>
            {has_snippet.then(|| view! { <p class="search-snippet"><Highlighted segments=c.snippet/></p> })}
            <p class="search-meta muted">{c.email}{c.company.map(|co| format!(" · {co}"))}</p>
        </li>
    }
}

#[component]
fn CompanyHit(c: CompanyResult) -> impl IntoView {
    let href = format!("/companies/{}", c.id);
    view! {
        <li class="search-hit">
            <a class="search-hit-title" href=href><Highlighted segments=c.marked/></a>
            <p class="search-meta muted">
                {match c.customers {
                    1 => "1 customer".to_string(),
                    n => format!("{n} customers"),
                }}
            </p>
        </li>
    }
}
