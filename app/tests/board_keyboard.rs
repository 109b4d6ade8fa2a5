//! The board's keyboard moves in a real browser: a focused card is picked up with
//! Space, carried with the arrow keys, put back with Escape, and every step is
//! announced in the live region.

#![cfg(all(target_arch = "wasm32", feature = "hydrate"))]

use app::board::api::{Board, BoardCard, BoardColumn, MoveCard, TeamSummary};
use app::board::page::BoardView;
use app::tickets::model::{Priority, Stage, StageKind};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

fn card(id: i64, stage_id: i64) -> BoardCard {
    BoardCard {
        id,
        number: 1000 + id,
        title: format!("Card {id}"),
        customer: "Cora".into(),
        company: None,
        priority: Priority::Normal,
        assignee: None,
        created_at: 0,
        due_at: None,
        stage_id,
        from_portal: false,
    }
}

fn column(id: i64, name: &str, cards: Vec<BoardCard>) -> BoardColumn {
    let total = cards.len() as i64;
    BoardColumn {
        stage: Stage {
            id,
            team_id: 1,
            name: name.into(),
            kind: StageKind::Open,
            position: id,
            wip_limit: None,
        },
        cards,
        total,
        at_least: false,
    }
}

fn board() -> Board {
    Board {
        team: TeamSummary {
            id: 1,
            name: "Support".into(),
        },
        teams: vec![TeamSummary {
            id: 1,
            name: "Support".into(),
        }],
        columns: vec![
            column(10, "New", vec![card(1, 10), card(2, 10)]),
            column(20, "In Progress", vec![card(3, 20)]),
        ],
        now: 0,
        members: Vec::new(),
        more: 0,
        prefers_list: false,
    }
}

fn press(el: &HtmlElement, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    el.dispatch_event(&KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap())
        .unwrap();
}

fn root() -> HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn card_el(root: &HtmlElement, id: i64) -> HtmlElement {
    root.query_selector(&format!("[data-ticket=\"{id}\"]"))
        .unwrap()
        .unwrap()
        .unchecked_into()
}

fn list_ids(root: &HtmlElement, name: &str) -> Vec<String> {
    let list = root
        .query_selector(&format!("ol[aria-label=\"{name}\"]"))
        .unwrap()
        .unwrap();
    let items = list.query_selector_all("li[data-ticket]").unwrap();
    (0..items.length())
        .map(|i| {
            items
                .item(i)
                .unwrap()
                .unchecked_into::<web_sys::Element>()
                .get_attribute("data-ticket")
                .unwrap()
        })
        .collect()
}

fn announced(root: &HtmlElement) -> String {
    root.query_selector("[aria-live]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_card_is_picked_up_moved_with_arrows_and_put_back_with_escape() {
    let root = root();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        let move_card = ServerAction::<MoveCard>::new();
        view! { <BoardView board=board() move_card/> }
    });
    leptos::task::tick().await;

    press(&card_el(&root, 2), " ");
    leptos::task::tick().await;
    assert!(
        announced(&root).starts_with("#1002 picked up in New, position 2 of 2"),
        "{}",
        announced(&root)
    );

    press(&card_el(&root, 2), "ArrowUp");
    leptos::task::tick().await;
    assert_eq!(list_ids(&root, "New"), ["2", "1"]);
    assert_eq!(announced(&root), "#1002 moved to New, position 1 of 2");

    press(&card_el(&root, 2), "ArrowRight");
    leptos::task::tick().await;
    assert_eq!(list_ids(&root, "New"), ["1"]);
    assert_eq!(list_ids(&root, "In Progress"), ["2", "3"]);
    assert_eq!(
        announced(&root),
        "#1002 moved to In Progress, position 1 of 2"
    );
    // The column counts follow the cards.
    let counts = root.query_selector_all(".count").unwrap();
    assert_eq!(counts.item(1).unwrap().text_content().unwrap(), "2");

    press(&card_el(&root, 2), "Escape");
    leptos::task::tick().await;
    assert_eq!(list_ids(&root, "New"), ["1", "2"]);
    assert_eq!(list_ids(&root, "In Progress"), ["3"]);
    assert!(
        announced(&root).contains("move cancelled; back in New, position 2 of 2"),
        "{}",
        announced(&root)
    );
}

#[wasm_bindgen_test]
async fn arrows_do_nothing_until_a_card_is_picked_up() {
    let root = root();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        let move_card = ServerAction::<MoveCard>::new();
        view! { <BoardView board=board() move_card/> }
    });
    leptos::task::tick().await;
    press(&card_el(&root, 1), "ArrowDown");
    leptos::task::tick().await;
    assert_eq!(list_ids(&root, "New"), ["1", "2"]);
    // At an edge the card stays and the reader hears why.
    press(&card_el(&root, 3), "Enter");
    press(&card_el(&root, 3), "ArrowRight");
    leptos::task::tick().await;
    assert_eq!(announced(&root), "#1003 cannot move further that way");
}
