//! The filter form above the board and the list, and the board/list switch. The form
//! is a plain GET form: the filter lands in the URL, with or without JavaScript.

use leptos::prelude::*;

use super::api::Member;
use super::filter::{AssigneeFilter, TicketFilter};
use super::model::Priority;

#[component]
pub fn FilterBar(
    /// The page the form filters (`/board` or `/tickets`).
    action: &'static str,
    team: i64,
    filter: TicketFilter,
    members: Vec<Member>,
) -> impl IntoView {
    let assignee = filter.assignee.map(AssigneeFilter::as_param);
    let anyone = assignee.is_none();
    let selected = move |v: &str| assignee.as_deref() == Some(v);
    let priority = filter.priority;
    let clear = format!("{action}?team={team}");
    let active = !filter.is_empty();
    view! {
        <form class="filters" method="get" action=action role="search" aria-label="Filter tickets">
            <input type="hidden" name="team" value=team/>
            <label class="filter">
                <span>"Search"</span>
                <input type="search" name="q" value=filter.text.clone() placeholder="Words, \"a phrase\", -word or #1042"/>
            </label>
            <label class="filter">
                <span>"Assignee"</span>
                <select name="assignee">
                    <option value="" selected=anyone>"Anyone"</option>
                    <option value="me" selected=selected("me")>"Me"</option>
                    <option value="none" selected=selected("none")>"Unassigned"</option>
                    {members.into_iter().map(|m| {
                        let v = m.id.to_string();
                        let is = selected(&v);
                        view! { <option value=v selected=is>{m.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="filter">
                <span>"Priority"</span>
                <select name="priority">
                    <option value="" selected=priority.is_none()>"Any"</option>
                    {Priority::ALL.into_iter().map(|p| view! {
                        <option value=p.as_str() selected=priority == Some(p)>{p.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="filter">
                <span>"Customer or company"</span>
                <input type="search" name="customer" value=filter.customer.clone()/>
            </label>
            <label class="filter">
                <span>"Tag"</span>
                <input type="search" name="tag" value=filter.tag.clone()/>
            </label>
            <label class="filter check">
                <input type="checkbox" name="overdue" value="1" checked=filter.overdue/>
                <span>"Overdue"</span>
            </label>
            <button type="submit" class="button secondary">"Filter"</button>
            {active.then(|| view! { <a class="clear-filters" href=clear>"Clear filters"</a> })}
        </form>
    }
}

/// Links between the board and the list of the same team and filter.
#[component]
pub fn ViewToggle(
    /// "board" or "list".
    current: &'static str,
    /// The team and filter, as a query string.
    query: String,
) -> impl IntoView {
    let is = move |v: &str| (current == v).then_some("page");
    view! {
        <nav class="view-toggle" aria-label="View">
            <a href=format!("/board?{query}&view=board") aria-current=is("board")>"Board"</a>
            <a href=format!("/tickets?{query}&view=list") aria-current=is("list")>"List"</a>
        </nav>
    }
}
