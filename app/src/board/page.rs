//! `/board`: the team's pipeline as columns of cards.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use std::collections::HashMap;

use super::api::{get_board, Board, BoardCard, BoardColumn, MoveCard, DONE_COUNT_CAP, MORE_MAX};
use super::moves::{ColumnIds, Layout, Step};
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::tickets::filter::TicketFilter;
use crate::tickets::filter_bar::{FilterBar, ViewToggle};
use crate::tickets::model::{Stage, StageKind};
use crate::ui::time::{age, day};

#[component]
pub fn BoardPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            let team = q.get("team").and_then(|t| t.parse::<i64>().ok());
            let filter = TicketFilter::from_params(|k| q.get(k)).to_query();
            let more = q.get("more").and_then(|s| s.parse::<i64>().ok());
            let view = q.get("view");
            (team, filter, more, view)
        })
    };
    let move_card = ServerAction::<MoveCard>::new();
    let board = Resource::new(
        move || (params(), move_card.version().get()),
        |((team, filter, more, view), _)| get_board(team, Some(filter), more, view),
    );
    view! {
        <Title text="Board · Grip"/>
        <ProtectedWith access=Access::Staff data=board
            render=move |b: Board| if b.prefers_list {
                let query = use_query_map().with_untracked(|q| {
                    TicketFilter::from_params(|k| q.get(k)).to_query()
                });
                view! { <Redirect path=format!("/tickets?team={}&{query}", b.team.id)/> }.into_any()
            } else {
                let filter = use_query_map().with_untracked(|q| TicketFilter::from_params(|k| q.get(k)));
                view! { <BoardView board=b move_card filter/> }.into_any()
            }/>
    }
}

/// The board itself. It renders from a signal so that a move shows at once; the
/// server is told afterwards and a refused move is rolled back with its reason.
#[component]
pub fn BoardView(
    board: Board,
    move_card: ServerAction<MoveCard>,
    /// The filter in the URL (the page reads it; the board shows it).
    #[prop(optional)]
    filter: TicketFilter,
) -> impl IntoView {
    let Board {
        team,
        teams,
        columns,
        now,
        members,
        more,
        prefers_list: _,
    } = board;
    let filter_query = filter.to_query();
    let base_query = if filter_query.is_empty() {
        format!("team={}", team.id)
    } else {
        format!("team={}&{filter_query}", team.id)
    };
    let more_href = (more < MORE_MAX).then(|| format!("/board?{base_query}&more={}", more + 1));
    let filtered = !filter.is_empty();
    let stages: Vec<Stage> = columns.iter().map(|c| c.stage.clone()).collect();
    let layout = RwSignal::new(Layout {
        columns: columns
            .iter()
            .map(|c| ColumnIds {
                stage_id: c.stage.id,
                name: c.stage.name.clone(),
                cards: c.cards.iter().map(|k| k.id).collect(),
            })
            .collect(),
    });
    let cards: HashMap<i64, BoardCard> = columns
        .iter()
        .flat_map(|c| c.cards.iter().map(|k| (k.id, k.clone())))
        .collect();
    let board = BoardState {
        layout,
        cards: StoredValue::new(cards),
        picked: RwSignal::new(None),
        drag: StoredValue::new(None),
        announcement: RwSignal::new(String::new()),
        error: RwSignal::new(None),
        hydrated: RwSignal::new(false),
    };
    // Effects run only in the browser, once the board is interactive: the cards'
    // Move forms then fold into their menus.
    Effect::new(move |_| board.hydrated.set(true));
    let form_error = move || {
        move_card
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| on_picked_key(board, ev));
    on_cleanup(move || keys.remove());
    // Effects run only once the view is live in the browser: from then on the cards
    // answer to pointer and keyboard (tests and tools wait for this mark).
    let area = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = area.get() {
            let _ = el.set_attribute("data-interactive", "true");
        }
    });
    view! {
        <div class="page-head">
            <h1>"Board"</h1>
            <ViewToggle current="board" query=base_query.clone()/>
            <a class="button primary" href="/tickets/new">"New ticket"</a>
            <nav class="subnav" aria-label="Teams">
                {teams.into_iter().map(|t| {
                    let current = t.id == team.id;
                    view! {
                        <a href=format!("/board?team={}", t.id) aria-current=current.then_some("page")>{t.name}</a>
                    }
                }).collect_view()}
            </nav>
        </div>
        <FilterBar action="/board" team=team.id filter members/>
        <p class="muted board-help" id="board-help">
            "Drag a card to move it, or focus it and press Space to pick it up, the arrow keys to move it, Space to drop it and Escape to cancel."
        </p>
        <div class="form-error" role="alert">
            {move || board.error.get().or_else(form_error).map(|m| view! { <p>{m}</p> })}
        </div>
        <p class="visually-hidden" aria-live="assertive" role="status">{move || board.announcement.get()}</p>
        <div class="board" aria-label=format!("{} board", team.name) node_ref=area
            on:pointermove=move |ev| on_pointer_move(board, ev)
            on:pointerup=move |ev| on_pointer_up(board, ev)
            on:pointercancel=move |ev| on_pointer_cancel(board, ev)
        >
            {columns.into_iter().enumerate().map(|(index, c)| view! {
                <Column index column=c stages=stages.clone() now board move_card more_href=more_href.clone() filtered/>
            }).collect_view()}
        </div>
    }
}

/// Everything the board's cards share.
#[derive(Clone, Copy)]
struct BoardState {
    layout: RwSignal<Layout>,
    cards: StoredValue<HashMap<i64, BoardCard>>,
    /// The card picked up by keyboard, with the layout to return to on Escape.
    picked: RwSignal<Option<(i64, Layout)>>,
    drag: StoredValue<Option<Drag>>,
    announcement: RwSignal<String>,
    error: RwSignal<Option<String>>,
    /// False while the page is as the server sent it (without JavaScript, for good).
    hydrated: RwSignal<bool>,
}

/// A pointer drag in progress.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Drag {
    card: i64,
    pointer: i32,
    x: i32,
    y: i32,
    moving: bool,
}

impl BoardState {
    fn number(&self, card: i64) -> i64 {
        self.cards
            .with_value(|m| m.get(&card).map_or(0, |c| c.number))
    }

    fn say(&self, text: String) {
        self.announcement.set(text);
    }

    /// Tells the server where `card` now is; puts the board back as `before` and says
    /// why when the server refuses.
    fn commit(&self, card: i64, before: Layout) {
        let Some(target) = self.layout.with_untracked(|l| l.target(card)) else {
            return;
        };
        if before.target(card) == Some(target) {
            return;
        }
        self.error.set(None);
        let this = *self;
        leptos::task::spawn_local(async move {
            let result =
                super::api::move_card(card, target.stage_id, target.after, target.before).await;
            if let Err(e) = result {
                this.layout.set(before);
                this.error.set(Some(format!(
                    "#{} could not be moved: {e}",
                    this.number(card)
                )));
                let back = this
                    .layout
                    .with_untracked(|l| l.describe(card, this.number(card), "is back in"));
                this.say(back);
            }
        });
    }
}

#[component]
fn Column(
    index: usize,
    column: BoardColumn,
    stages: Vec<Stage>,
    now: i64,
    board: BoardState,
    move_card: ServerAction<MoveCard>,
    /// "Show more", for a column with more cards than it shows.
    more_href: Option<String>,
    /// Whether a filter is on (an empty column then says so).
    filtered: bool,
) -> impl IntoView {
    let BoardColumn {
        stage,
        cards,
        total,
        at_least,
    } = column;
    let heading_id = format!("stage-{}", stage.id);
    let labelled_by = heading_id.clone();
    let done = stage.kind == StageKind::Done;
    let loaded = cards.len() as i64;
    // Cards not loaded (older done cards) still count.
    let count = move || {
        total - loaded
            + board
                .layout
                .with(|l| l.columns.get(index).map_or(0, |c| c.cards.len() as i64))
    };
    let wip = stage.wip_limit;
    let over = move || wip.is_some_and(|w| count() > w);
    let ids = move || {
        board.layout.with(|l| {
            l.columns
                .get(index)
                .map(|c| c.cards.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="column" class:over-limit=over aria-labelledby=labelled_by>
            <header class="column-head">
                <h2 id=heading_id>{stage.name.clone()}</h2>
                <span class="count" aria-label=move || format!("{} tickets", shown_count(count(), at_least))>{move || shown_count(count(), at_least)}</span>
                {wip.map(|w| view! {
                    <span class="wip" class:over=over>
                        {move || if over() { format!("Over WIP limit of {w}") } else { format!("WIP limit {w}") }}
                    </span>
                })}
            </header>
            <ol class="cards" aria-label=stage.name.clone() data-column=index>
                <For each=ids key=|id| *id let:id>
                    {board.cards.with_value(|m| m.get(&id).cloned()).map(|card| view! {
                        <Card card stages=stages.clone() now done board move_card/>
                    })}
                </For>
            </ol>
            {(filtered && total == 0).then(|| view! {
                <p class="muted column-foot">"No cards match the filter."</p>
            })}
            {(total > loaded).then(|| view! {
                <p class="muted column-foot">
                    {if done {
                        format!("Showing the {loaded} most recently completed of {}.", shown_count(total, at_least))
                    } else {
                        format!("Showing the first {loaded} of {}.", shown_count(total, at_least))
                    }}
                    {more_href.map(|href| view! { " "<a href=href>"Show more"</a> })}
                </p>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Card(
    card: BoardCard,
    stages: Vec<Stage>,
    now: i64,
    done: bool,
    board: BoardState,
    move_card: ServerAction<MoveCard>,
) -> impl IntoView {
    let id = card.id;
    let number = card.number;
    let overdue = card.overdue(now, done);
    let label = card.label();
    let move_label = format!("Move #{} to", card.number);
    let who = match &card.company {
        Some(company) => format!("{} · {}", card.customer, company),
        None => card.customer.clone(),
    };
    let initials = card.assignee.as_deref().map(initials);
    let picked = move || {
        board
            .picked
            .with(|p| p.as_ref().is_some_and(|(c, _)| *c == id))
    };
    let current_stage = move || {
        board
            .layout
            .with(|l| l.locate(id).map(|(c, _)| l.columns[c].stage_id))
    };
    view! {
        <li class="card" class:overdue=overdue class:picked=picked tabindex="0" aria-label=label.clone()
            aria-describedby="board-help" data-ticket=id
            on:keydown=move |ev| on_card_key(board, id, number, ev)
            on:pointerdown=move |ev| on_pointer_down(board, id, ev)
            on:click=move |ev| on_card_click(board, ev)
        >
            <span class="drag-handle" aria-hidden="true" title="Drag to move">"⠿"</span>
            <a class="card-title" href=format!("/tickets/{}", card.number)>
                <span class="card-number">{format!("#{}", card.number)}</span>" "{card.title.clone()}
            </a>
            <p class="card-customer">{who}{card.from_portal.then(|| view! { " "<span class="badge source-badge">"Portal"</span> })}</p>
            <div class="card-meta">
                <span class=format!("prio prio-{}", card.priority.as_str())>{card.priority.label()}</span>
                {match (card.assignee.clone(), initials) {
                    (Some(name), Some(i)) => view! { <span class="assignee" title=name.clone() aria-label=format!("Assigned to {name}")>{i}</span> }.into_any(),
                    _ => view! { <span class="assignee none">"Unassigned"</span> }.into_any(),
                }}
                <span class="age" title="Age">{age(now - card.created_at)}</span>
                {card.due_at.map(|d| view! {
                    <span class="due" class:overdue=overdue>
                        {if overdue { format!("Overdue · due {}", day(d)) } else { format!("Due {}", day(d)) }}
                    </span>
                })}
            </div>
            // Without JavaScript the Move form is open on every card; once the board is
            // interactive (cards move by drag and keyboard) it folds into a small menu,
            // still reachable by keyboard, so a column shows twice as many cards.
            <details class="card-menu" open=move || !board.hydrated.get()>
                <summary aria-label=format!("Card menu for #{}", card.number) title="Move to another stage">
                    <span aria-hidden="true">"⋯"</span>
                </summary>
                <ActionForm action=move_card>
                    <input type="hidden" name="ticket_id" value=card.id/>
                    <div class="inline-form move-form">
                        <select name="stage_id" aria-label=move_label>
                            {stages.into_iter().map(|s| {
                                let sid = s.id;
                                view! { <option value=s.id selected=move || current_stage() == Some(sid)>{s.name}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit" class="button small secondary" aria-label=format!("Move #{}", card.number)>"Move"</button>
                    </div>
                </ActionForm>
            </details>
        </li>
    }
    .into_any()
}

// ---- keyboard ----------------------------------------------------------------------

/// True when the event happened on the card itself, not on its link, list or button.
fn on_the_card_itself(ev: &web_sys::Event) -> bool {
    match (ev.target(), ev.current_target()) {
        (Some(t), Some(c)) => {
            let t: &wasm_bindgen::JsValue = t.as_ref();
            let c: &wasm_bindgen::JsValue = c.as_ref();
            t == c
        }
        _ => false,
    }
}

/// Space or Enter on a focused card picks it up. The keys that follow are handled
/// by [`on_picked_key`] at the window, so none is lost while a card that changed
/// columns gets its focus back.
fn on_card_key(board: BoardState, id: i64, number: i64, ev: web_sys::KeyboardEvent) {
    let key = ev.key();
    if board.picked.get_untracked().is_none()
        && (key == " " || key == "Enter")
        && on_the_card_itself(&ev)
    {
        ev.prevent_default();
        board.picked.set(Some((id, board.layout.get_untracked())));
        let here = board
            .layout
            .with_untracked(|l| l.describe(id, number, "picked up in"));
        board.say(format!(
            "{here}. Use the arrow keys to move it, Space or Enter to drop it, Escape to cancel."
        ));
    }
}

/// Arrow keys move the picked-up card, Space or Enter drop it, Escape puts it back.
fn on_picked_key(board: BoardState, ev: web_sys::KeyboardEvent) {
    // The key that picked the card up has been handled already.
    if ev.default_prevented() {
        return;
    }
    let Some((id, before)) = board.picked.get_untracked() else {
        return;
    };
    let number = board.number(id);
    let key = ev.key();
    if let Some(step) = Step::from_key(&key) {
        ev.prevent_default();
        let mut moved = false;
        board.layout.update(|l| moved = l.step(id, step));
        let text = if moved {
            board
                .layout
                .with_untracked(|l| l.describe(id, number, "moved to"))
        } else {
            format!("#{number} cannot move further that way")
        };
        board.say(text);
        refocus(id);
    } else if key == " " || key == "Enter" {
        ev.prevent_default();
        board.picked.set(None);
        let text = board
            .layout
            .with_untracked(|l| l.describe(id, number, "dropped in"));
        board.say(text);
        board.commit(id, before);
        refocus(id);
    } else if key == "Escape" {
        ev.prevent_default();
        board.layout.set(before);
        board.picked.set(None);
        let text = board
            .layout
            .with_untracked(|l| l.describe(id, number, "move cancelled; back in"));
        board.say(text);
        refocus(id);
    }
}

/// Moving a card between columns re-creates its element: give it focus back.
fn refocus(id: i64) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let el = document()
            .query_selector(&format!("[data-ticket=\"{id}\"]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = el {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

// ---- pointer (mouse, touch, pen) -----------------------------------------------------

/// Pixels a pointer must travel before a press becomes a drag (so clicks still click).
#[cfg(feature = "hydrate")]
const DRAG_THRESHOLD: i32 = 6;

fn on_pointer_down(board: BoardState, id: i64, ev: web_sys::PointerEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if ev.button() != 0 || board.picked.get_untracked().is_some() {
            return;
        }
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        // Form controls keep their own behaviour; touch drags start on the handle so
        // that swiping a card still scrolls the board.
        if target
            .closest("select, button, input, form, summary")
            .ok()
            .flatten()
            .is_some()
        {
            return;
        }
        if ev.pointer_type() != "mouse" && target.closest(".drag-handle").ok().flatten().is_none() {
            return;
        }
        board.drag.set_value(Some(Drag {
            card: id,
            pointer: ev.pointer_id(),
            x: ev.client_x(),
            y: ev.client_y(),
            moving: false,
        }));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (board, id, ev);
}

/// The dragged card's element.
#[cfg(feature = "hydrate")]
fn card_element(id: i64) -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    document()
        .query_selector(&format!("[data-ticket=\"{id}\"]"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
}

/// Follows the pointer over the whole board (the events bubble up to it from
/// whatever lies under the pointer); once it has travelled far enough the press is
/// a drag, and the board captures the pointer so the drop is seen even outside it.
fn on_pointer_move(board: BoardState, ev: web_sys::PointerEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(mut drag) = board.drag.get_value() else {
            return;
        };
        if drag.pointer != ev.pointer_id() {
            return;
        }
        let (dx, dy) = (ev.client_x() - drag.x, ev.client_y() - drag.y);
        let Some(el) = card_element(drag.card) else {
            return;
        };
        if !drag.moving {
            if dx.abs() + dy.abs() < DRAG_THRESHOLD {
                return;
            }
            drag.moving = true;
            board.drag.set_value(Some(drag));
            if let Some(area) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = area.set_pointer_capture(ev.pointer_id());
            }
            let _ = el.class_list().add_1("dragging");
        }
        ev.prevent_default();
        let _ = el
            .style()
            .set_property("transform", &format!("translate({dx}px, {dy}px)"));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (board, ev);
}

fn on_pointer_up(board: BoardState, ev: web_sys::PointerEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(drag) = board.drag.get_value() else {
            return;
        };
        if drag.pointer != ev.pointer_id() {
            return;
        }
        if !drag.moving {
            board.drag.set_value(None);
            return;
        }
        let id = drag.card;
        let Some(el) = card_element(id) else { return };
        // Find what is under the pointer without the dragged card in the way.
        let _ = el.style().set_property("visibility", "hidden");
        let under = document().element_from_point(ev.client_x() as f32, ev.client_y() as f32);
        let _ = el.style().remove_property("visibility");
        let _ = el.style().remove_property("transform");
        let _ = el.class_list().remove_1("dragging");
        // Stays marked as moving until the click that may follow this release.
        let Some(list) = under
            .and_then(|u| u.closest(".column").ok().flatten())
            .and_then(|c| c.query_selector("ol.cards").ok().flatten())
        else {
            return;
        };
        let Some(column) = list
            .get_attribute("data-column")
            .and_then(|c| c.parse::<usize>().ok())
        else {
            return;
        };
        // The drop position: how many other cards of that column lie above the pointer.
        let y = ev.client_y() as f64;
        let mut at = 0;
        if let Ok(items) = list.query_selector_all("li[data-ticket]") {
            for i in 0..items.length() {
                let Some(item) = items
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                else {
                    continue;
                };
                if item
                    .get_attribute("data-ticket")
                    .and_then(|v| v.parse::<i64>().ok())
                    == Some(id)
                {
                    continue;
                }
                let r = item.get_bounding_client_rect();
                if r.top() + r.height() / 2.0 < y {
                    at += 1;
                }
            }
        }
        let before = board.layout.get_untracked();
        let mut moved = false;
        board.layout.update(|l| moved = l.place(id, column, at));
        if moved {
            let number = board.number(id);
            let text = board
                .layout
                .with_untracked(|l| l.describe(id, number, "moved to"));
            board.say(text);
            board.commit(id, before);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (board, ev);
}

fn on_pointer_cancel(board: BoardState, ev: web_sys::PointerEvent) {
    let _ = ev;
    #[cfg(feature = "hydrate")]
    {
        if let Some(el) = board.drag.get_value().and_then(|d| card_element(d.card)) {
            let _ = el.style().remove_property("transform");
            let _ = el.class_list().remove_1("dragging");
        }
        board.drag.set_value(None);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = board;
}

/// The click that ends a drag must not follow the card's link. (A release over
/// another column clicks nothing: the next press resets the drag state.)
fn on_card_click(board: BoardState, ev: web_sys::MouseEvent) {
    if board.drag.get_value().is_some_and(|d| d.moving) {
        ev.prevent_default();
        ev.stop_propagation();
    }
    board.drag.set_value(None);
}

/// A column's count as shown: long columns stop counting at [`DONE_COUNT_CAP`], and a
/// text filter counts only what it read (`at_least`).
fn shown_count(n: i64, at_least: bool) -> String {
    if n > DONE_COUNT_CAP {
        format!("{DONE_COUNT_CAP}+")
    } else if at_least {
        format!("{n}+")
    } else {
        n.to_string()
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
