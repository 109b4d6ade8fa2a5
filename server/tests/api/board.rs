//! The board through the real router: what it shows, who may open it, and the move
//! form that works without JavaScript.

use app::auth::model::{Email, PersonName};
use app::customers::store as customers;
use app::teams::store as teams;
use app::tickets::model::{Priority, TicketTitle};
use app::tickets::store::{self, NewTicket};
use http::StatusCode;

use crate::common::{TestApp, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    the_board_shows_each_stage_as_a_named_list_of_cards,
    an_agent_of_another_team_cannot_open_this_teams_board_or_move_its_cards,
    a_card_moves_with_the_plain_form_and_stays_there_after_a_reload,
    a_ticket_created_with_a_new_customer_lands_in_the_first_column,
    a_ticket_form_error_names_its_field_and_creates_nothing,
    a_request_dropped_while_it_waits_to_write_leaves_later_writes_working,
    tickets_for_one_new_customer_at_once_make_one_customer,
    a_refused_ticket_for_a_new_customer_adds_no_customer_or_company,
);

fn ticket_form<'a>(
    team: &'a str,
    title: &'a str,
    email: &'a str,
    name: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("title", title),
        ("description", "It smells of smoke."),
        ("customer_email", email),
        ("customer_name", name),
        ("company", "Initrode"),
        ("team", team),
        ("priority", "high"),
        ("assignee", ""),
        ("tags", "hardware, Urgent"),
        ("due", "2030-01-31"),
    ]
}

async fn a_ticket_created_with_a_new_customer_lands_in_the_first_column(app: &TestApp) {
    let admin = app.setup_admin().await;
    let team = teams::default_team_id(&app.db).await.unwrap().to_string();
    let r = app
        .call(
            "/api/tickets/create",
            &ticket_form(
                &team,
                "Toner everywhere",
                "Pat@Initrode.example",
                "Pat Printer",
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!(format!("/board?team={team}")));
    let page = app.get("/board", Some(&admin)).await.body;
    let new_list = page
        .split("aria-label=\"New\"")
        .nth(1)
        .unwrap()
        .split("</ol>")
        .next()
        .unwrap();
    assert!(new_list.contains("#1001 Toner everywhere"));
    assert!(new_list.contains("Pat Printer · Initrode"));
    // The same email finds the same customer (case-insensitively), no name needed.
    let again = app
        .call(
            "/api/tickets/create",
            &ticket_form(&team, "More toner", "pat@initrode.example", ""),
            Some(&admin),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let hits = app
        .call("/api/customers/search", &[("q", "pat")], Some(&admin))
        .await
        .json();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["company"], "Initrode");
}

async fn a_ticket_form_error_names_its_field_and_creates_nothing(app: &TestApp) {
    let admin = app.setup_admin().await;
    let team = teams::default_team_id(&app.db).await.unwrap().to_string();
    let cases = [
        (
            ticket_form(&team, "   ", "pat@initrode.example", "Pat"),
            "title",
        ),
        (
            ticket_form(&team, "Fine title", "not-an-email", "Pat"),
            "customer_email",
        ),
        (
            ticket_form(&team, "Fine title", "new@initrode.example", ""),
            "customer_name",
        ),
        (
            ticket_form("999999", "Fine title", "pat@initrode.example", "Pat"),
            "team",
        ),
    ];
    for (form, field) in cases {
        let r = app.call("/api/tickets/create", &form, Some(&admin)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert_eq!(r.json()["Validation"]["field"], field);
    }
    let mut bad_due = ticket_form(&team, "Fine title", "pat@initrode.example", "Pat");
    bad_due[9] = ("due", "2030-02-30");
    assert_eq!(
        app.call("/api/tickets/create", &bad_due, Some(&admin))
            .await
            .json()["Validation"]["field"],
        "due"
    );
    let page = app.get("/board", Some(&admin)).await.body;
    assert!(!page.contains("#1001"), "nothing was created");
    // Customers cannot file tickets here.
    assert_eq!(
        app.call(
            "/api/tickets/create",
            &ticket_form(&team, "x", "a@b.co", "A"),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

/// A signed-in admin and one ticket for a customer of a company, on the Support team.
async fn seeded(app: &TestApp) -> (String, i64) {
    let admin = app.setup_admin().await;
    let company = customers::create_company(&app.db, "Initech").await.unwrap();
    let customer = customers::create_customer(
        &app.db,
        &PersonName::parse("Cora Customer").unwrap(),
        &Email::parse("cora@initech.example").unwrap(),
        Some(company),
    )
    .await
    .unwrap();
    let team = teams::default_team_id(&app.db).await.unwrap();
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
        company_id: None,
        from_portal: false,
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
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    app.create_person(&admin, "Bea Billing", "bea@example.com", "agent")
        .await;
    // Move Bea from the default team to Billing only.
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bea@example.com'").fetch_one(pool).await).unwrap();
    app::db!(&app.db, pool => sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(bea).execute(pool).await.map(|_| ())).unwrap();
    teams::add_member(&app.db, billing, bea).await.unwrap();
    let cookie = app.signed_in("bea@example.com", STAFF_PASSWORD).await;

    let support = teams::default_team_id(&app.db).await.unwrap();
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

    let stages = teams::team_stages(&app.db, support).await.unwrap();
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
    let team = teams::default_team_id(&app.db).await.unwrap();
    let waiting = teams::team_stages(&app.db, team).await.unwrap()[2].id;
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

/// A client that goes away (or a load generator that stops) while its request waits
/// for the database must not leave a pooled connection inside a transaction: beginning
/// one is not cancel-safe in sqlx, and on SQLite such a connection held the write lock
/// so every later write failed with "database is locked" (this test failed so).
async fn a_request_dropped_while_it_waits_to_write_leaves_later_writes_working(app: &TestApp) {
    use sqlx::Connection;
    let admin = app.setup_admin().await;
    let team = teams::default_team_id(&app.db).await.unwrap().to_string();
    let form = |title: &'static str| ticket_form(&team, title, "pat@initrode.example", "Pat");
    // Another process holds the database's write lock (SQLite) or the tickets table
    // (Postgres), so the request's transaction waits…
    let mut sqlite_holder = None;
    let mut pg_holder = None;
    match &app.db {
        app::store::Db::Sqlite(..) => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlite_holder = Some(conn);
        }
        app::store::Db::Postgres(_) => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
            sqlx::query("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap();
            pg_holder = Some(conn);
        }
    }
    // …and its client gives up.
    let waited = tokio::time::timeout(
        std::time::Duration::from_millis(400),
        app.call("/api/tickets/create", &form("Abandoned"), Some(&admin)),
    )
    .await;
    assert!(waited.is_err(), "the request should still be waiting");
    if let Some(mut conn) = sqlite_holder {
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    if let Some(mut conn) = pg_holder {
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    // The abandoned request's transaction began once the lock was free. It is rolled
    // back at once, not when this process's next writer comes: another connection
    // (a session save, another process) gets SQLite's write lock within its wait.
    if let app::store::Db::Sqlite(..) = &app.db {
        use std::str::FromStr;
        // SQLite's busy handler retries at most every 100 ms: by then it has begun.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&app.database_url)
            .unwrap()
            .busy_timeout(std::time::Duration::from_secs(2));
        let mut conn = sqlx::ConnectOptions::connect(&opts).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("the write lock is free");
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    // Clients that give up at every moment of a request's life: some requests are
    // dropped before their transaction, some inside it (between BEGIN and the first
    // statement, mid-statement, at COMMIT), some after.
    for i in 0..300u64 {
        let _ = tokio::time::timeout(
            std::time::Duration::from_micros(200 + i * 97 % 4000),
            app.call("/api/tickets/create", &form("Impatient"), Some(&admin)),
        )
        .await;
    }
    // Every later write works, on whichever pooled connection it gets.
    for title in [
        "After one",
        "After two",
        "After three",
        "After four",
        "After five",
        "After six",
    ] {
        let r = app
            .call("/api/tickets/create", &form(title), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{title}: {}", r.body);
    }
    let titles: Vec<String> = app::db!(&app.db, pool => sqlx::query_scalar(
        "SELECT title FROM tickets WHERE title <> 'Impatient' ORDER BY number"
    ).fetch_all(pool).await)
    .unwrap();
    // The abandoned request wrote nothing; the later ones all did.
    assert_eq!(
        titles,
        [
            "After one",
            "After two",
            "After three",
            "After four",
            "After five",
            "After six"
        ]
    );
    // Whatever a dropped request wrote, it wrote whole: each ticket has its audit row.
    let unaudited: i64 = app::db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM audit_log a
           WHERE a.entity = 'ticket' AND a.entity_id = t.id AND a.action = 'created')"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(unaudited, 0);
}

async fn customers_with_email(app: &TestApp, email: &str) -> i64 {
    app::db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM customers WHERE email = $1"
    ).bind(email).fetch_one(pool).await)
    .unwrap()
}

/// Several agents filing tickets for the same new customer at the same moment: every
/// ticket is created, all for one customer (a second insert of the email is refused
/// by the database, and that creation is tried again and finds the customer).
async fn tickets_for_one_new_customer_at_once_make_one_customer(app: &TestApp) {
    let admin = app.setup_admin().await;
    let team = teams::default_team_id(&app.db).await.unwrap().to_string();
    let form = |title: &'static str| ticket_form(&team, title, "new@initrode.example", "Nia New");
    let create = |title: &'static str| {
        let form = form(title);
        let admin = admin.clone();
        async move { app.call("/api/tickets/create", &form, Some(&admin)).await }
    };
    let replies = tokio::join!(
        create("One"),
        create("Two"),
        create("Three"),
        create("Four"),
        create("Five"),
        create("Six")
    );
    for r in [
        replies.0, replies.1, replies.2, replies.3, replies.4, replies.5,
    ] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(customers_with_email(app, "new@initrode.example").await, 1);
    let tickets_of_others: i64 = app::db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE c.email <> $1"
    ).bind("new@initrode.example").fetch_one(pool).await)
    .unwrap();
    assert_eq!(tickets_of_others, 0);
    let companies: i64 = app::db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM companies WHERE name = 'Initrode'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(companies, 1);
}

/// The customer (and company) a ticket form names are added with the ticket or not
/// at all: a ticket refused for any field leaves neither behind.
async fn a_refused_ticket_for_a_new_customer_adds_no_customer_or_company(app: &TestApp) {
    let admin = app.setup_admin().await;
    let team = teams::default_team_id(&app.db).await.unwrap().to_string();
    let mut bad_assignee = ticket_form(&team, "Fine title", "new@initrode.example", "Nia New");
    bad_assignee[7] = ("assignee", "999999");
    let r = app
        .call("/api/tickets/create", &bad_assignee, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["Validation"]["field"], "assignee");
    let mut bad_company = ticket_form(&team, "Fine title", "new@initrode.example", "Nia New");
    let long = "C".repeat(121);
    bad_company[4] = ("company", &long);
    let r = app
        .call("/api/tickets/create", &bad_company, Some(&admin))
        .await;
    assert_eq!(r.json()["Validation"]["field"], "company", "{}", r.body);
    let bad_team = ticket_form("999999", "Fine title", "new@initrode.example", "Nia New");
    let r = app
        .call("/api/tickets/create", &bad_team, Some(&admin))
        .await;
    assert_eq!(r.json()["Validation"]["field"], "team", "{}", r.body);
    assert_eq!(customers_with_email(app, "new@initrode.example").await, 0);
    let companies: i64 = app::db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM companies"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(companies, 0);
    // Corrected, the same form goes through and adds both.
    let good = ticket_form(&team, "Fine title", "new@initrode.example", "Nia New");
    let r = app.call("/api/tickets/create", &good, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(customers_with_email(app, "new@initrode.example").await, 1);
}
