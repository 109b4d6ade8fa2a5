//! `/tickets`: the same tickets as the board, as a sortable table with keyset paging,
//! where several tickets can be moved, assigned or re-prioritised in one action.

use std::collections::BTreeSet;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use super::api::{list_tickets, BulkUpdate, ListRow, TicketList};
use super::filter::TicketFilter;
use super::filter_bar::{FilterBar, ViewToggle};
use super::model::Priority;
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::ui::time::{age, date, day};
use crate::ui::FormError;

#[component]
pub fn TicketListPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("team").and_then(|t| t.parse::<i64>().ok()),
                TicketFilter::from_params(|k| q.get(k)).to_query(),
                q.get("sort"),
                q.get("after"),
                q.get("view"),
            )
        })
    };
    let bulk = ServerAction::<BulkUpdate>::new();
    // Reloaded after a successful bulk change only: a refused one keeps the selection.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = bulk.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    let list = Resource::new(
        move || (params(), saved.get()),
        |((team, filter, sort, after, view), _)| {
            list_tickets(team, Some(filter), sort, after, view)
        },
    );
    view! {
        <Title text="Tickets · Grip"/>
        <ProtectedWith access=Access::Staff data=list
            render=move |l: TicketList| view! { <ListView list=l bulk/> }.into_any()/>
    }
}

#[component]
fn ListView(list: TicketList, bulk: ServerAction<BulkUpdate>) -> impl IntoView {
    let TicketList {
        team,
        teams,
        members,
        stages,
        rows,
        next,
        now,
    } = list;
    let query = use_query_map();
    let location = use_location();
    let (filter, sort, after) = query.with_untracked(|q| {
        (
            TicketFilter::from_params(|k| q.get(k)),
            q.get("sort").unwrap_or_else(|| "newest".into()),
            q.get("after"),
        )
    });
    let filter_query = filter.to_query();
    let base = if filter_query.is_empty() {
        format!("team={}", team.id)
    } else {
        format!("team={}&{filter_query}", team.id)
    };
    let back = {
        let search = location.search.get_untracked();
        if search.is_empty() {
            location.pathname.get_untracked()
        } else {
            format!("{}?{}", location.pathname.get_untracked(), search)
        }
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let selected = RwSignal::new(BTreeSet::<i64>::new());
    let all_selected = {
        let ids = ids.clone();
        move || !ids.is_empty() && selected.with(|s| ids.iter().all(|i| s.contains(i)))
    };
    let toggle_all = move |on: bool| {
        selected.set(if on {
            ids.iter().copied().collect()
        } else {
            BTreeSet::new()
        })
    };
    let count = move || selected.with(BTreeSet::len);
    let error = Signal::derive(move || bulk.value().get().and_then(|r| r.err()));
    let ids_error = move || error.get().and_then(|e| e.message_for("ids"));
    let done_note = move || matches!(bulk.value().get(), Some(Ok(_))).then_some("Saved.");
    Effect::new(move |_| {
        if let Some(Ok(_)) = bulk.value().get() {
            selected.set(BTreeSet::new());
        }
    });
    let sort_link = |key: &str| {
        let flipped = match (key, sort.as_str()) {
            ("number", "newest") => "oldest",
            ("number", _) => "newest",
            (_, "updated") => "stale",
            _ => "updated",
        };
        format!("/tickets?{base}&sort={flipped}")
    };
    let aria_sort = |key: &str| match (key, sort.as_str()) {
        ("number", "newest") => Some("descending"),
        ("number", "oldest") => Some("ascending"),
        ("updated", "updated") => Some("descending"),
        ("updated", "stale") => Some("ascending"),
        _ => None,
    };
    let number_sort = (sort_link("number"), aria_sort("number"));
    let updated_sort = (sort_link("updated"), aria_sort("updated"));
    let next_href = next.map(|n| format!("/tickets?{base}&sort={sort}&after={n}"));
    let first_href = after.map(|_| format!("/tickets?{base}&sort={sort}"));
    let empty = rows.is_empty();
    view! {
        <div class="page-head">
            <h1>"Tickets"</h1>
            <ViewToggle current="list" query=base.clone()/>
            <a class="button primary" href="/tickets/new">"New ticket"</a>
            <nav class="subnav" aria-label="Teams">
                {teams.into_iter().map(|t| {
                    let current = t.id == team.id;
                    view! { <a href=format!("/tickets?team={}", t.id) aria-current=current.then_some("page")>{t.name}</a> }
                }).collect_view()}
            </nav>
        </div>
        <FilterBar action="/tickets" team=team.id filter members=members.clone()/>
        <ActionForm action=bulk attr:class="bulk-form">
            <input type="hidden" name="team" value=team.id/>
            <input type="hidden" name="back" value=back/>
            <div class="bulk-bar" role="group" aria-label="Change selected tickets">
                <span class="bulk-count" aria-live="polite">
                    {move || match count() { 0 => "Select tickets to change them together.".to_string(), 1 => "1 ticket selected".to_string(), n => format!("{n} tickets selected") }}
                </span>
                <label class="bulk-field">
                    <span>"Move to"</span>
                    <select name="stage">
                        {stages.into_iter().map(|s| view! { <option value=s.id>{s.name}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" name="action" value="stage" class="button small secondary">"Move"</button>
                <label class="bulk-field">
                    <span>"Assign to"</span>
                    <select name="assignee">
                        <option value="">"Nobody"</option>
                        {members.into_iter().map(|m| view! { <option value=m.id>{m.name}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" name="action" value="assign" class="button small secondary">"Assign"</button>
                <label class="bulk-field">
                    <span>"Priority"</span>
                    <select name="priority">
                        {Priority::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" name="action" value="priority" class="button small secondary">"Set priority"</button>
                <span class="saved-note" role="status">{done_note}</span>
            </div>
            <p class="field-error" id="bulk-ids-error">{ids_error}</p>
            <FormError error/>
            <div class="table-wrap">
                <table class="tickets-table">
                    <thead>
                        <tr>
                            <th scope="col" class="select-col">
                                <input type="checkbox" aria-label="Select all tickets on this page"
                                    prop:checked=all_selected
                                    on:change=move |ev| toggle_all(event_target_checked(&ev))/>
                            </th>
                            <th scope="col" aria-sort=number_sort.1><a href=number_sort.0>"Number"</a></th>
                            <th scope="col">"Title"</th>
                            <th scope="col">"Customer"</th>
                            <th scope="col">"Stage"</th>
                            <th scope="col">"Priority"</th>
                            <th scope="col">"Assignee"</th>
                            <th scope="col" aria-sort=updated_sort.1><a href=updated_sort.0>"Updated"</a></th>
                            <th scope="col">"Due"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! { <Row row=r now selected/> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </ActionForm>
        {empty.then(|| view! { <p class="empty-state muted">"No tickets match."</p> })}
        <nav class="pager" aria-label="Pages">
            {first_href.map(|h| view! { <a class="button secondary small" href=h>"First page"</a> })}
            {next_href.map(|h| view! { <a class="button secondary small" href=h>"Next page"</a> })}
        </nav>
    }
}

#[component]
fn Row(row: ListRow, now: i64, selected: RwSignal<BTreeSet<i64>>) -> impl IntoView {
    let id = row.id;
    let overdue = !row.done && row.due_at.is_some_and(|d| d < now);
    let who = match &row.company {
        Some(c) => format!("{} · {}", row.customer, c),
        None => row.customer.clone(),
    };
    view! {
        <tr class:overdue=overdue>
            <td class="select-col">
                <input type="checkbox" name="ids[]" value=id aria-label=format!("Select #{}", row.number)
                    prop:checked=move || selected.with(|s| s.contains(&id))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                    }/>
            </td>
            <td class="number">{format!("#{}", row.number)}</td>
            <td><a href=format!("/tickets/{}", row.number)>{row.title}</a></td>
            <td>{who}</td>
            <td>{row.stage}</td>
            <td><span class=format!("prio prio-{}", row.priority.as_str())>{row.priority.label()}</span></td>
            <td>{row.assignee.unwrap_or_else(|| "Unassigned".into())}</td>
            <td title=date(row.updated_at)>{format!("{} ago", age(now - row.updated_at))}</td>
            <td class:overdue=overdue>
                {row.due_at.map(|d| if overdue { format!("Overdue · {}", day(d)) } else { day(d) })}
            </td>
        </tr>
    }
}
