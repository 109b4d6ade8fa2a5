//! The board through the real router: what it shows, who may open it, and the move
//! form that works without JavaScript.

use app::auth::model::{Email, PersonName};
use app::tickets::model::{Priority, TicketTitle};
use app::tickets::store::{self, NewTicket};
use http::StatusCode;

use crate::common::{TestApp, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    the_board_shows_each_stage_as_a_named_list_of_cards,
    an_agent_of_another_team_cannot_open_this_teams_board_or_move_its_cards,
    a_card_moves_with_the_plain_form_and_stays_there_after_a_reload,
);

/// A signed-in admin and one ticket for a customer of a company, on the Support team.
async fn seeded(app: &TestApp) -> (String, i64) {
    let admin = app.setup_admin().await;
    let company = store::create_company(&app.db, "Initech").await.unwrap();
    let customer = store::create_customer(
        &app.db,
        &PersonName::parse("Cora Customer").unwrap(),
        &Email::parse("cora@initech.example").unwrap(),
        Some(company),
    )
    .await
    .unwrap();
    let team = store::default_team_id(&app.db).await.unwrap();
    let title = TicketTitle::parse("Printer on fire").unwrap();
    let new = NewTicket {
        title: &title,
        description: "",
        customer_id: Some(customer),
        team_id: team,
        priority: Priority::Urgent,
        assignee_id: None,
        tags: &[],
        due_at: Some(0),
    };
    let t = store::create_ticket(&app.db, 1, new).await.unwrap();
    (admin, t.id)
}

async fn the_board_shows_each_stage_as_a_named_list_of_cards(app: &TestApp) {
    let (admin, _) = seeded(app).await;
    let r = app.get("/board", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    for stage in ["New", "In Progress", "Waiting", "Completed"] {
        assert!(
            r.body.contains(&format!("<ol aria-label=\"{stage}\"")),
            "list for {stage}"
        );
    }
    assert!(r.body.contains("aria-label=\"#1001 Printer on fire\""));
    assert!(r.body.contains("Cora Customer · Initech"));
    assert!(
        r.body.contains("Overdue · due 1970-01-01"),
        "a past due date is shown as overdue"
    );
    assert!(r.body.contains("Urgent"));
}

async fn an_agent_of_another_team_cannot_open_this_teams_board_or_move_its_cards(app: &TestApp) {
    let (admin, ticket) = seeded(app).await;
    let billing = store::create_team(&app.db, "Billing").await.unwrap();
    app.create_person(&admin, "Bea Billing", "bea@example.com", "agent")
        .await;
    // Move Bea from the default team to Billing only.
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bea@example.com'").fetch_one(pool).await).unwrap();
    app::db!(&app.db, pool => sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(bea).execute(pool).await.map(|_| ())).unwrap();
    store::add_member(&app.db, billing, bea).await.unwrap();
    let cookie = app.signed_in("bea@example.com", STAFF_PASSWORD).await;

    let support = store::default_team_id(&app.db).await.unwrap();
    assert_eq!(
        app.get(&format!("/board?team={support}"), Some(&cookie))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let own = app.get("/board", Some(&cookie)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("Billing board"));
    assert!(!own.body.contains("Printer on fire"));

    let stages = store::team_stages(&app.db, support).await.unwrap();
    let r = app
        .call(
            "/api/board/move",
            &[
                ("ticket_id", &ticket.to_string()),
                ("stage_id", &stages[1].id.to_string()),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        store::find_ticket(&app.db, ticket)
            .await
            .unwrap()
            .unwrap()
            .stage_id,
        stages[0].id
    );
}

async fn a_card_moves_with_the_plain_form_and_stays_there_after_a_reload(app: &TestApp) {
    let (admin, ticket) = seeded(app).await;
    let team = store::default_team_id(&app.db).await.unwrap();
    let waiting = store::team_stages(&app.db, team).await.unwrap()[2].id;
    let r = app
        .post(
            "/api/board/move",
            &[
                ("ticket_id", &ticket.to_string()),
                ("stage_id", &waiting.to_string()),
            ],
            Some(&admin),
            "text/html",
            Some("http://grip.test"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let page = app.get("/board", Some(&admin)).await.body;
    let waiting_list = page
        .split("aria-label=\"Waiting\"")
        .nth(1)
        .unwrap()
        .split("</ol>")
        .next()
        .unwrap();
    assert!(waiting_list.contains("#1001 Printer on fire"));
}
