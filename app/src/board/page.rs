//! `/board`: the team's pipeline as columns of cards.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{get_board, Board, BoardCard, BoardColumn, MoveCard};
use crate::tickets::model::{Stage, StageKind};
use crate::ui::ErrorPanel;

#[component]
pub fn BoardPage() -> impl IntoView {
    let query = use_query_map();
    let team = move || query.read().get("team").and_then(|t| t.parse::<i64>().ok());
    let move_card = ServerAction::<MoveCard>::new();
    let board = Resource::new(
        move || (team(), move_card.version().get()),
        |(team, _)| get_board(team),
    );
    view! {
        <Title text="Board · Grip"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the board…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! { <BoardView board=b move_card/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BoardView(board: Board, move_card: ServerAction<MoveCard>) -> impl IntoView {
    let Board {
        team,
        teams,
        columns,
        now,
    } = board;
    let stages: Vec<Stage> = columns.iter().map(|c| c.stage.clone()).collect();
    let move_error = move || {
        move_card
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <div class="page-head">
            <h1>"Board"</h1>
            <nav class="subnav" aria-label="Teams">
                {teams.into_iter().map(|t| {
                    let current = t.id == team.id;
                    view! {
                        <a href=format!("/board?team={}", t.id) aria-current=current.then_some("page")>{t.name}</a>
                    }
                }).collect_view()}
            </nav>
        </div>
        <div class="form-error" role="alert">{move || move_error().map(|m| view! { <p>{m}</p> })}</div>
        <div class="board" aria-label=format!("{} board", team.name)>
            {columns.into_iter().map(|c| view! { <Column column=c stages=stages.clone() now move_card/> }).collect_view()}
        </div>
    }
}

#[component]
fn Column(
    column: BoardColumn,
    stages: Vec<Stage>,
    now: i64,
    move_card: ServerAction<MoveCard>,
) -> impl IntoView {
    let BoardColumn {
        stage,
        cards,
        total,
    } = column;
    let heading_id = format!("stage-{}", stage.id);
    let labelled_by = heading_id.clone();
    let over = stage.wip_limit.is_some_and(|w| total > w);
    let done = stage.kind == StageKind::Done;
    let shown = cards.len() as i64;
    view! {
        <section class="column" class:over-limit=over aria-labelledby=labelled_by>
            <header class="column-head">
                <h2 id=heading_id>{stage.name.clone()}</h2>
                <span class="count" aria-label=format!("{total} tickets")>{total}</span>
                {stage.wip_limit.map(|w| view! {
                    <span class="wip" class:over=over>
                        {if over { format!("Over WIP limit of {w}") } else { format!("WIP limit {w}") }}
                    </span>
                })}
            </header>
            <ol class="cards" aria-label=stage.name.clone()>
                {cards.into_iter().map(|card| view! {
                    <Card card stages=stages.clone() now done move_card/>
                }).collect_view()}
            </ol>
            {(done && total > shown).then(|| view! {
                <p class="muted column-foot">{format!("Showing the {shown} most recently completed of {total}.")}</p>
            })}
        </section>
    }
}

#[component]
fn Card(
    card: BoardCard,
    stages: Vec<Stage>,
    now: i64,
    done: bool,
    move_card: ServerAction<MoveCard>,
) -> impl IntoView {
    let overdue = card.overdue(now, done);
    let label = card.label();
    let move_label = format!("Move #{} to", card.number);
    let who = match &card.company {
        Some(company) => format!("{} · {}", card.customer, company),
        None => card.customer.clone(),
    };
    let initials = card.assignee.as_deref().map(initials);
    view! {
        <li class="card" class:overdue=overdue aria-label=label.clone() data-ticket=card.id>
            <a class="card-title" href=format!("/tickets/{}", card.number)>
                <span class="card-number">{format!("#{}", card.number)}</span>" "{card.title.clone()}
            </a>
            <p class="card-customer">{who}</p>
            <div class="card-meta">
                <span class=format!("prio prio-{}", card.priority.as_str())>{card.priority.label()}</span>
                {match (card.assignee.clone(), initials) {
                    (Some(name), Some(i)) => view! { <span class="assignee" title=name.clone() aria-label=format!("Assigned to {name}")>{i}</span> }.into_any(),
                    _ => view! { <span class="assignee none">"Unassigned"</span> }.into_any(),
                }}
                <span class="age" title="Age">{age(now - card.created_at)}</span>
                {card.due_at.map(|d| view! {
                    <span class="due" class:overdue=overdue>
                        {if overdue { format!("Overdue · due {}", date(d)) } else { format!("Due {}", date(d)) }}
                    </span>
                })}
            </div>
            <ActionForm action=move_card>
                <input type="hidden" name="ticket_id" value=card.id/>
                <div class="inline-form move-form">
                    <select name="stage_id" aria-label=move_label>
                        {stages.into_iter().map(|s| view! {
                            <option value=s.id selected=s.id == card.stage_id>{s.name}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button small secondary" aria-label=format!("Move #{}", card.number)>"Move"</button>
                </div>
            </ActionForm>
        </li>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// "5m", "3h", "2d": how long ago, from milliseconds.
pub fn age(ms: i64) -> String {
    let mins = (ms / 60_000).max(0);
    match mins {
        0..=59 => format!("{mins}m"),
        60..=1439 => format!("{}h", mins / 60),
        _ => format!("{}d", mins / 1440),
    }
}

/// A UTC date from epoch milliseconds, as YYYY-MM-DD.
pub fn date(ms: i64) -> String {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_795_000_000_000), "2026-11-18");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn ages_read_in_the_largest_whole_unit() {
        assert_eq!(age(5 * 60_000), "5m");
        assert_eq!(age(3 * 3_600_000), "3h");
        assert_eq!(age(49 * 3_600_000), "2d");
        assert_eq!(age(-5), "0m");
    }
}
