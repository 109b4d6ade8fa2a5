//! Working tickets through the real router on both backends: the ticket page and its
//! edits, filters in the URL, the list with keyset paging and bulk changes, the
//! remembered board/list choice, Admin → Teams, Team settings, and the seed command.

use app::audit::audit_for;
use app::auth::model::{Email, PersonName};
use app::customers::store as customers;
use app::teams::store as teams;
use app::tickets::model::{Priority, TicketTitle};
use app::tickets::store::{self, NewTicket, TicketRow};
use http::StatusCode;

use crate::common::{TestApp, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    the_ticket_page_shows_fields_and_history_and_saves_each_change_with_its_audit_row,
    an_edit_of_a_ticket_changed_meanwhile_is_refused_and_saves_nothing,
    the_ticket_page_is_not_found_for_an_agent_of_another_team,
    board_filters_in_the_url_narrow_the_cards,
    the_list_pages_by_key_without_gaps_or_repeats,
    bulk_assign_changes_every_selected_ticket_in_one_go_with_audit_rows,
    a_bulk_change_including_a_ticket_of_another_team_changes_nothing,
    the_board_or_list_choice_is_remembered,
    an_admin_creates_renames_archives_a_team_and_manages_its_members,
    a_lead_adds_renames_reorders_and_removes_stages_of_their_team_only,
    seeding_fills_an_empty_database_and_refuses_a_filled_one,
    a_write_that_fails_half_way_leaves_nothing_and_the_next_one_runs,
);

async fn companies_named(app: &TestApp, name: &str) -> i64 {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM companies WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

/// `write_tx!` in both of its transaction modes: a body that wrote and then failed
/// leaves nothing behind, and the writer queue is free for the next write.
async fn a_write_that_fails_half_way_leaves_nothing_and_the_next_one_runs(app: &TestApp) {
    use app::error::AppError;
    let db = &app.db;
    let begun: Result<(), AppError> = async {
        app::write_tx!(db, tx => async {
            sqlx::query("INSERT INTO companies (name, created_at) VALUES ('Half Way', 1)")
                .execute(&mut *tx).await?;
            Err(AppError::validation("name", "refused after writing"))
        }.await)
    }
    .await;
    assert!(begun.is_err());
    assert_eq!(companies_named(app, "Half Way").await, 0, "rolled back");
    let folded: Result<(), AppError> = async {
        app::write_tx!(db, folded tx => async {
            let sql = tx.opening("INSERT INTO companies (name, created_at) VALUES ('Folded Half', 1)");
            sqlx::query(&sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO companies (name, created_at) VALUES ('Folded Half', 2)")
                .execute(&mut *tx).await?; // a unique violation
            Ok(())
        }.await)
    }
    .await;
    assert!(folded.is_err());
    assert_eq!(companies_named(app, "Folded Half").await, 0, "rolled back");
    let after: Result<i64, AppError> = async {
        app::write_tx!(db, tx => async {
            let id: i64 = sqlx::query_scalar("INSERT INTO companies (name, created_at) VALUES ('Next', 1) RETURNING id")
                .fetch_one(&mut *tx).await?;
            Ok(id)
        }.await)
    }
    .await;
    assert!(after.is_ok());
    assert_eq!(companies_named(app, "Next").await, 1, "committed");
}

struct Seeded {
    admin: String,
    team: i64,
    customer: i64,
    actor: i64,
}

async fn seeded(app: &TestApp) -> Seeded {
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
    let actor: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(pool).await).unwrap();
    teams::add_member(&app.db, team, actor).await.unwrap();
    Seeded {
        admin,
        team,
        customer,
        actor,
    }
}

async fn ticket(app: &TestApp, s: &Seeded, title: &str, priority: Priority) -> TicketRow {
    let title = TicketTitle::parse(title).unwrap();
    let tags = vec!["billing".to_string()];
    let new = NewTicket {
        title: &title,
        description: "It broke.",
        customer_id: Some(s.customer),
        team_id: s.team,
        priority,
        assignee_id: None,
        tags: &tags,
        due_at: None,
        company_id: None,
        from_portal: false,
    };
    store::create_ticket(&app.db, s.actor, new).await.unwrap()
}

fn edit_form(t: &TicketRow, stage: i64) -> Vec<(&'static str, String)> {
    vec![
        ("ticket_id", t.id.to_string()),
        ("seen", t.updated_at.to_string()),
        ("title", t.title.clone()),
        ("description", t.description.clone()),
        ("stage", stage.to_string()),
        ("priority", t.priority.clone()),
        ("assignee", String::new()),
        ("tags", "billing".into()),
        ("due", String::new()),
    ]
}

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn set(form: &mut [(&'static str, String)], key: &str, value: &str) {
    if let Some(f) = form.iter_mut().find(|(k, _)| *k == key) {
        f.1 = value.to_string();
    }
}

async fn the_ticket_page_shows_fields_and_history_and_saves_each_change_with_its_audit_row(
    app: &TestApp,
) {
    let s = seeded(app).await;
    let t = ticket(app, &s, "Printer on fire", Priority::Normal).await;
    let stages = teams::team_stages(&app.db, s.team).await.unwrap();
    let page = app.get("/tickets/1001", Some(&s.admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("#1001 Printer on fire"));
    assert!(page.body.contains("created the ticket #1001"));

    let mut form = edit_form(&t, stages[3].id);
    set(&mut form, "title", "Printer on fire again");
    set(&mut form, "priority", "urgent");
    set(&mut form, "assignee", &s.actor.to_string());
    set(&mut form, "tags", "billing, hardware");
    set(&mut form, "due", "2030-01-31");
    let r = app
        .call("/api/tickets/update", &pairs(&form), Some(&s.admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let saved = store::find_ticket(&app.db, t.id).await.unwrap().unwrap();
    assert_eq!(saved.title, "Printer on fire again");
    assert_eq!(saved.priority, "urgent");
    assert_eq!(saved.assignee_id, Some(s.actor));
    assert_eq!(saved.stage_id, stages[3].id);
    assert!(saved.completed_at.is_some(), "moved to a done stage");
    assert_eq!(
        store::ticket_tags(&app.db, t.id).await.unwrap(),
        vec!["billing", "hardware"]
    );
    let trail = audit_for(&app.db, "ticket", t.id).await.unwrap();
    let fields: Vec<&str> = trail.iter().filter_map(|a| a.field.as_deref()).collect();
    for f in ["stage", "title", "priority", "assignee", "due", "tags"] {
        assert!(fields.contains(&f), "audit row for {f}: {fields:?}");
    }
    let prio = trail
        .iter()
        .find(|a| a.field.as_deref() == Some("priority"))
        .unwrap();
    assert_eq!(
        (prio.old_value.as_deref(), prio.new_value.as_deref()),
        (Some("Normal"), Some("Urgent"))
    );
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(
        page.contains("changed the priority from “Normal” to “Urgent”"),
        "history shows the change"
    );
    assert!(page.contains("moved it from New to Completed"));

    // A bad field is refused next to the field, and nothing is saved.
    let fresh = store::find_ticket(&app.db, t.id).await.unwrap().unwrap();
    let mut bad = edit_form(&fresh, fresh.stage_id);
    set(&mut bad, "title", " ");
    let r = app
        .call("/api/tickets/update", &pairs(&bad), Some(&s.admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("title"), "{}", r.body);
    assert_eq!(
        store::find_ticket(&app.db, t.id)
            .await
            .unwrap()
            .unwrap()
            .title,
        "Printer on fire again"
    );
}

async fn an_edit_of_a_ticket_changed_meanwhile_is_refused_and_saves_nothing(app: &TestApp) {
    let s = seeded(app).await;
    let t = ticket(app, &s, "Printer on fire", Priority::Normal).await;
    let stages = teams::team_stages(&app.db, s.team).await.unwrap();
    // Someone moves the ticket after the page was loaded.
    store::move_ticket(&app.db, s.actor, t.id, stages[1].id, Default::default())
        .await
        .unwrap();
    let mut form = edit_form(&t, t.stage_id);
    set(&mut form, "title", "My edit");
    let r = app
        .call("/api/tickets/update", &pairs(&form), Some(&s.admin))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let now = store::find_ticket(&app.db, t.id).await.unwrap().unwrap();
    assert_eq!(now.title, "Printer on fire");
    assert_eq!(now.stage_id, stages[1].id, "the other person's move stands");
}

async fn the_ticket_page_is_not_found_for_an_agent_of_another_team(app: &TestApp) {
    let s = seeded(app).await;
    let t = ticket(app, &s, "Printer on fire", Priority::Normal).await;
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    app.create_person(&s.admin, "Bea Billing", "bea@example.com", "agent")
        .await;
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bea@example.com'").fetch_one(pool).await).unwrap();
    app::db!(&app.db, pool => sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(bea).execute(pool).await.map(|_| ())).unwrap();
    teams::add_member(&app.db, billing, bea).await.unwrap();
    let cookie = app.signed_in("bea@example.com", STAFF_PASSWORD).await;
    let page = app.get("/tickets/1001", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Printer on fire"));
    let form = edit_form(&t, t.stage_id);
    let r = app
        .call("/api/tickets/update", &pairs(&form), Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            "/api/tickets/list",
            &[("team", &s.team.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn board_filters_in_the_url_narrow_the_cards(app: &TestApp) {
    let s = seeded(app).await;
    let a = ticket(app, &s, "Refund request", Priority::High).await;
    let b = ticket(app, &s, "Login broken", Priority::Low).await;
    ticket(app, &s, "Another refund", Priority::Low).await;
    let stages = teams::team_stages(&app.db, s.team).await.unwrap();
    let mut form = edit_form(&a, stages[0].id);
    set(&mut form, "assignee", &s.actor.to_string());
    set(&mut form, "due", "2001-01-01");
    set(&mut form, "tags", "vip");
    let r = app
        .call("/api/tickets/update", &pairs(&form), Some(&s.admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let shows = |body: &str, title: &str| {
        body.contains(&format!("{title}</a>")) || body.contains(&format!(" {title}\""))
    };
    for (query, expect_a, expect_b) in [
        ("q=refund", true, false),
        ("q=%231002", false, true),
        ("assignee=me", true, false),
        ("assignee=none", false, true),
        ("priority=high", true, false),
        ("tag=vip", true, false),
        ("overdue=1", true, false),
        ("customer=initech", true, true),
        ("customer=nobody", false, false),
    ] {
        let page = app.get(&format!("/board?{query}"), Some(&s.admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(
            shows(&page.body, &a.title),
            expect_a,
            "{query}: {}",
            a.title
        );
        assert_eq!(
            shows(&page.body, &b.title),
            expect_b,
            "{query}: {}",
            b.title
        );
    }
    // The customer filter also matches the name of the customer's company alone.
    let propane = customers::create_company(&app.db, "Strickland Propane")
        .await
        .unwrap();
    let hank = customers::create_customer(
        &app.db,
        &PersonName::parse("Hank Hill").unwrap(),
        &Email::parse("hank@example.com").unwrap(),
        Some(propane),
    )
    .await
    .unwrap();
    let title = TicketTitle::parse("Grill on fire").unwrap();
    let new = NewTicket {
        title: &title,
        description: "",
        customer_id: Some(hank),
        team_id: s.team,
        priority: Priority::Urgent,
        assignee_id: None,
        tags: &[],
        due_at: None,
        company_id: None,
        from_portal: false,
    };
    store::create_ticket(&app.db, s.actor, new).await.unwrap();
    let page = app
        .get("/board?customer=propane", Some(&s.admin))
        .await
        .body;
    assert!(shows(&page, "Grill on fire") && !shows(&page, &a.title));
    let r = app
        .call(
            "/api/tickets/list",
            &[
                ("team", &s.team.to_string()),
                ("filter", "customer=propane"),
            ],
            Some(&s.admin),
        )
        .await;
    let titles: Vec<String> = r.json()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles, ["Grill on fire"]);
    assert_eq!(r.json()["rows"][0]["company"], "Strickland Propane");
    // The form keeps the filter, and "Clear filters" is offered.
    let page = app.get("/board?q=refund", Some(&s.admin)).await.body;
    assert!(page.contains("value=\"refund\""));
    assert!(page.contains("Clear filters"));
}

async fn the_list_pages_by_key_without_gaps_or_repeats(app: &TestApp) {
    let s = seeded(app).await;
    for i in 0..120 {
        ticket(app, &s, &format!("Ticket {i}"), Priority::Normal).await;
    }
    for sort in ["newest", "oldest", "updated", "stale"] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut form = vec![("team", s.team.to_string()), ("sort", sort.to_string())];
            if let Some(a) = &after {
                form.push(("after", a.clone()));
            }
            let r = app
                .call("/api/tickets/list", &pairs(&form), Some(&s.admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let j = r.json();
            let rows = j["rows"].as_array().unwrap();
            assert!(rows.len() <= 50);
            seen.extend(rows.iter().map(|r| r["number"].as_i64().unwrap()));
            match j["next"].as_str() {
                Some(n) => after = Some(n.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 120, "{sort}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 120, "{sort}: no repeats");
        if sort == "newest" {
            assert_eq!(seen[0], 1120);
            assert!(seen.windows(2).all(|w| w[0] > w[1]));
        }
    }
    let page = app.get("/tickets?sort=oldest", Some(&s.admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Next page"));
    assert!(page.body.contains("Select #1001"));
}

async fn bulk_assign_changes_every_selected_ticket_in_one_go_with_audit_rows(app: &TestApp) {
    let s = seeded(app).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            ticket(app, &s, &format!("Ticket {i}"), Priority::Normal)
                .await
                .id,
        );
    }
    let team = s.team.to_string();
    let actor = s.actor.to_string();
    let (a, b, c) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let r = app
        .call(
            "/api/tickets/bulk",
            &[
                ("team", &team),
                ("ids[]", &a),
                ("ids[]", &b),
                ("ids[]", &c),
                ("action", "assign"),
                ("assignee", &actor),
                ("priority", "low"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (i, id) in ids.iter().enumerate() {
        let t = store::find_ticket(&app.db, *id).await.unwrap().unwrap();
        assert_eq!(t.assignee_id.is_some(), i < 3, "ticket {i}");
        assert_eq!(t.priority, "normal", "only the chosen action applies");
        let trail = audit_for(&app.db, "ticket", *id).await.unwrap();
        assert_eq!(
            trail.iter().any(|a| a.field.as_deref() == Some("assignee")),
            i < 3
        );
    }
    // Move and priority too; nothing selected is a field error.
    let stages = teams::team_stages(&app.db, s.team).await.unwrap();
    let waiting = stages[2].id.to_string();
    let r = app
        .call(
            "/api/tickets/bulk",
            &[
                ("team", &team),
                ("ids[]", &a),
                ("action", "stage"),
                ("stage", &waiting),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        store::find_ticket(&app.db, ids[0])
            .await
            .unwrap()
            .unwrap()
            .stage_id,
        stages[2].id
    );
    let r = app
        .call(
            "/api/tickets/bulk",
            &[
                ("team", &team),
                ("action", "priority"),
                ("priority", "high"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Select at least one ticket"), "{}", r.body);
}

async fn a_bulk_change_including_a_ticket_of_another_team_changes_nothing(app: &TestApp) {
    let s = seeded(app).await;
    let mine = ticket(app, &s, "Mine", Priority::Normal).await;
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    let theirs = crate::common::ticket_for(&app.db, s.actor, billing, s.customer, "Theirs").await;
    let r = app
        .call(
            "/api/tickets/bulk",
            &[
                ("team", &s.team.to_string()),
                ("ids[]", &mine.id.to_string()),
                ("ids[]", &theirs.id.to_string()),
                ("action", "priority"),
                ("priority", "urgent"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for id in [mine.id, theirs.id] {
        assert_eq!(
            store::find_ticket(&app.db, id)
                .await
                .unwrap()
                .unwrap()
                .priority,
            "normal"
        );
    }
}

async fn the_board_or_list_choice_is_remembered(app: &TestApp) {
    let s = seeded(app).await;
    assert_eq!(
        app.get("/board", Some(&s.admin)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/tickets?view=list", Some(&s.admin)).await.status,
        StatusCode::OK
    );
    let r = app.get("/board", Some(&s.admin)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(r.location().unwrap().starts_with("/tickets?team="));
    assert_eq!(
        app.get("/board?view=board", Some(&s.admin)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/board", Some(&s.admin)).await.status,
        StatusCode::OK
    );
}

async fn an_admin_creates_renames_archives_a_team_and_manages_its_members(app: &TestApp) {
    let s = seeded(app).await;
    let r = app
        .call(
            "/api/admin/teams/create",
            &[("name", "Billing")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dup = app
        .call(
            "/api/admin/teams/create",
            &[("name", "billing")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let billing: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM teams WHERE name = 'Billing'").fetch_one(pool).await).unwrap();
    let id = billing.to_string();
    let r = app
        .call(
            "/api/admin/teams/rename",
            &[("team_id", &id), ("name", "Billing & Payments")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.create_person(&s.admin, "Bea Billing", "bea@example.com", "agent")
        .await;
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bea@example.com'").fetch_one(pool).await).unwrap();
    let r = app
        .call(
            "/api/admin/teams/member",
            &[
                ("team_id", &id),
                ("user_id", &bea.to_string()),
                ("add", "true"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = app.get("/admin/teams", Some(&s.admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Billing &amp; Payments"));
    assert!(page
        .body
        .contains("Remove Bea Billing from Billing &amp; Payments"));
    let bea_cookie = app.signed_in("bea@example.com", STAFF_PASSWORD).await;
    assert!(app
        .get("/board", Some(&bea_cookie))
        .await
        .body
        .contains("Billing &amp; Payments"));
    assert_eq!(
        app.get("/admin/teams", Some(&bea_cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(
            "/api/admin/teams/archive",
            &[("team_id", &id), ("archived", "true")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let board = app.get("/board", Some(&bea_cookie)).await.body;
    assert!(
        !board.contains("Billing &amp; Payments board"),
        "archived boards close"
    );
    // The last active team stays.
    let support = s.team.to_string();
    let r = app
        .call(
            "/api/admin/teams/archive",
            &[("team_id", &support), ("archived", "true")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let trail = audit_for(&app.db, "team", billing).await.unwrap();
    assert!(trail.iter().any(|a| a.field.as_deref() == Some("name")));
    assert!(trail.iter().any(|a| a.field.as_deref() == Some("member")));
}

async fn a_lead_adds_renames_reorders_and_removes_stages_of_their_team_only(app: &TestApp) {
    let s = seeded(app).await;
    app.create_person(&s.admin, "Lee Lead", "lee@example.com", "lead")
        .await;
    let lee = app.signed_in("lee@example.com", STAFF_PASSWORD).await;
    let team = s.team.to_string();
    let r = app
        .call(
            "/api/team/stages/add",
            &[
                ("team_id", &team),
                ("name", "Review"),
                ("kind", "open"),
                ("wip_limit", "3"),
            ],
            Some(&lee),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bad = app
        .call(
            "/api/team/stages/add",
            &[
                ("team_id", &team),
                ("name", "X"),
                ("kind", "open"),
                ("wip_limit", "none"),
            ],
            Some(&lee),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("wip_limit"));
    let stages = teams::team_stages(&app.db, s.team).await.unwrap();
    let review = stages.last().unwrap();
    assert_eq!(
        (review.name.as_str(), review.wip_limit),
        ("Review", Some(3))
    );
    let board = app.get("/board", Some(&lee)).await.body;
    assert!(
        board.contains("<ol aria-label=\"Review\""),
        "the new stage is on the board"
    );

    let rid = review.id.to_string();
    let r = app
        .call(
            "/api/team/stages/move",
            &[("stage_id", &rid), ("direction", "up")],
            Some(&lee),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let names: Vec<String> = teams::team_stages(&app.db, s.team)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        names,
        ["New", "In Progress", "Waiting", "Review", "Completed"]
    );
    let r = app
        .call(
            "/api/team/stages/update",
            &[
                ("stage_id", &rid),
                ("name", "Code review"),
                ("kind", "waiting"),
                ("wip_limit", ""),
            ],
            Some(&lee),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A stage with tickets goes only when its tickets have somewhere to go.
    let t = ticket(app, &s, "In review", Priority::Normal).await;
    store::move_ticket(&app.db, s.actor, t.id, review.id, Default::default())
        .await
        .unwrap();
    let r = app
        .call("/api/team/stages/remove", &[("stage_id", &rid)], Some(&lee))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("move_to"));
    let new_stage = stages[0].id.to_string();
    let r = app
        .call(
            "/api/team/stages/remove",
            &[("stage_id", &rid), ("move_to", &new_stage)],
            Some(&lee),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        store::find_ticket(&app.db, t.id)
            .await
            .unwrap()
            .unwrap()
            .stage_id,
        stages[0].id
    );

    // Another team's stages are not this lead's; agents have no Team settings.
    let other = teams::create_team(&app.db, "Billing").await.unwrap();
    let r = app
        .call(
            "/api/team/stages/add",
            &[
                ("team_id", &other.to_string()),
                ("name", "Nope"),
                ("kind", "open"),
                ("wip_limit", ""),
            ],
            Some(&lee),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.create_person(&s.admin, "Alan Agent", "alan@example.com", "agent")
        .await;
    let alan = app.signed_in("alan@example.com", STAFF_PASSWORD).await;
    assert_eq!(
        app.get("/team", Some(&alan)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/team", Some(&lee)).await.status, StatusCode::OK);
}

/// On the seeded tickets: each search, and each page of the list's text filter, is the
/// same whichever step answers it: a walk too short to fill a page (every match then
/// comes from the index as a set) or one that holds every ticket (tested row by row).
async fn both_steps_of_a_search_agree(app: &TestApp, admin: &app::auth::model::CurrentUser) {
    use app::board::store::{board_columns, board_columns_walking};
    use app::search::store::{search_all_walking, Walk};
    use app::tickets::filter::TicketFilter;
    use app::tickets::store::{list_cursor, list_tickets_walking, ListSort};
    for q in [
        "invoice",
        "firewall",
        "\"colleague in Lisbon\"",
        "webh",
        "regards -berlin",
    ] {
        let numbers = |walk: Walk| async move {
            let found = search_all_walking(&app.db, admin, q, walk).await.unwrap();
            found.tickets.iter().map(|t| t.number).collect::<Vec<_>>()
        };
        // Each step answers in turn: the walk (it reads every ticket), the probe (it
        // holds every match), the long walk, the sorted matches.
        let step = |walk, enough, probe, long_walk| Walk {
            walk,
            enough,
            probe,
            long_walk,
        };
        let walked = numbers(step(1_000_000, 0, 0, 0)).await;
        assert_eq!(walked.len(), app::search::store::TICKETS_SHOWN, "{q}");
        for (i, later) in [
            step(1, 1_000, 1_000_000, 0),
            step(1, 1_000, 1, 1_000_000),
            step(1, 1_000, 1, 1),
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(numbers(later).await, walked, "{q}: step {}", i + 2);
        }
        // On Postgres a walk shorter than the matches reads the newest tickets
        // (numbers 1001 to 3500 were seeded); SQLite's index walks newest first itself.
        if matches!(app.db, app::store::Db::Postgres(_)) {
            let newest = numbers(step(300, 0, 0, 0)).await;
            assert!(!newest.is_empty(), "{q}");
            assert!(newest.iter().all(|n| *n > 3_500 - 300), "{q}: {newest:?}");
        }
    }
    let team: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM teams WHERE name = 'Support'").fetch_one(pool).await)
    .unwrap();
    for (q, sort) in [
        ("invoice", ListSort::Newest),
        ("firewall -berlin", ListSort::Updated),
        ("-berlin", ListSort::Oldest),
        ("\"colleague in Lisbon\"", ListSort::Stale),
    ] {
        let filter = TicketFilter {
            text: q.into(),
            ..TicketFilter::default()
        };
        let page = |walk: i64, after: Option<String>| {
            let filter = filter.clone();
            async move {
                list_tickets_walking(
                    &app.db,
                    team,
                    &filter,
                    1,
                    0,
                    sort,
                    after.as_deref(),
                    40,
                    walk,
                )
                .await
                .unwrap()
            }
        };
        let first = page(1_000_000, None).await;
        assert_eq!(first.len(), 40, "{q}: the walk fills the page");
        let ids =
            |rows: &[app::tickets::store::ListRowDb]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&page(1, None).await), ids(&first), "{q}");
        let after = Some(list_cursor(sort, &first[39]));
        let second = page(1_000_000, after.clone()).await;
        assert_eq!(second.len(), 40, "{q}");
        assert_eq!(ids(&page(1, after).await), ids(&second), "{q}: second page");
        assert!(
            ids(&second).iter().all(|id| !ids(&first).contains(id)),
            "{q}"
        );
    }
    // A number finds its ticket, besides the words that begin with it, by either step.
    let numbered = TicketFilter {
        text: "#1500".into(),
        ..TicketFilter::default()
    };
    let list = |walk: i64| {
        let filter = numbered.clone();
        async move {
            let rows = list_tickets_walking(
                &app.db,
                team,
                &filter,
                1,
                0,
                ListSort::Newest,
                None,
                40,
                walk,
            );
            rows.await
                .unwrap()
                .iter()
                .map(|r| r.number)
                .collect::<Vec<_>>()
        }
    };
    let (walked, indexed) = (list(1_000_000).await, list(1).await);
    assert!(walked.contains(&1500), "{walked:?}");
    assert_eq!(walked, indexed);
    let on_board = |walk: i64| {
        let filter = numbered.clone();
        async move {
            let columns = board_columns_walking(&app.db, team, &filter, 1, 0, (200, 50), walk);
            let columns = columns.await.unwrap();
            columns
                .iter()
                .flat_map(|c| c.cards.iter().map(|k| k.number))
                .collect::<Vec<_>>()
        }
    };
    let (walked, indexed) = (on_board(1_000_000).await, on_board(1).await);
    assert!(walked.contains(&1500), "{walked:?}");
    assert_eq!(walked, indexed);
    // The board's columns: the same cards either way; a count read by a walk that
    // stopped short says "at least".
    for q in ["invoice", "firewall -berlin", "\"colleague in Lisbon\""] {
        let filter = TicketFilter {
            text: q.into(),
            ..TicketFilter::default()
        };
        let board = |walk: i64| {
            let filter = filter.clone();
            async move {
                board_columns_walking(&app.db, team, &filter, 1, 0, (200, 50), walk)
                    .await
                    .unwrap()
            }
        };
        let (indexed, walked) = (board(1).await, board(1_000_000).await);
        let cards = |columns: &[app::board::api::BoardColumn]| {
            columns
                .iter()
                .map(|c| c.cards.iter().map(|k| k.id).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(cards(&indexed), cards(&walked), "{q}");
        let done = walked.last().unwrap();
        assert_eq!(done.cards.len(), 50, "{q}");
        assert!(!done.at_least && done.total > 50, "{q}");
        // 2,380 done tickets: the default walk (2,000) counts only what it read.
        let default = board_columns(&app.db, team, &filter, 1, 0, 200, 50)
            .await
            .unwrap();
        let counted = default.last().unwrap();
        if matches!(app.db, app::store::Db::Postgres(_)) {
            assert!(counted.at_least && counted.total < done.total, "{q}");
        }
        assert_eq!(cards(&default), cards(&walked), "{q}");
    }
}

async fn seeding_fills_an_empty_database_and_refuses_a_filled_one(app: &TestApp) {
    let volume = server::seed::Volume {
        customers: 400,
        messages: 3,
    };
    server::seed::tickets_fast(&app.db, 2_500, 120, "Support", false, volume)
        .await
        .unwrap();
    let count = |sql: &'static str| async move {
        app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).unwrap()
    };
    assert_eq!(count("SELECT COUNT(*) FROM tickets").await, 2_500);
    assert_eq!(
        count("SELECT COUNT(*) FROM tickets WHERE completed_at IS NULL").await,
        120
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'created'").await,
        2_500
    );
    assert_eq!(count("SELECT COUNT(*) FROM customers").await, 400);
    assert_eq!(
        count("SELECT COUNT(DISTINCT customer_id) FROM tickets").await,
        400
    );
    assert_eq!(count("SELECT COUNT(*) FROM messages").await, 7_500);
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE internal = TRUE").await,
        500
    );
    // The text is indexed as it is written: the search finds the seeded words.
    let admin = app::auth::model::CurrentUser {
        id: 1,
        name: "Seeder".into(),
        email: "seeder@example.com".into(),
        role: app::auth::Role::Admin,
    };
    let found = app::search::store::search_all(&app.db, &admin, "\"corrected invoice\"")
        .await
        .unwrap();
    assert_eq!(found.tickets.len(), app::search::store::TICKETS_SHOWN);
    assert!(found.more_tickets);
    both_steps_of_a_search_agree(app, &admin).await;
    let again = server::seed::tickets_fast(&app.db, 10, 10, "Support", false, volume).await;
    assert!(again.unwrap_err().contains("already has 2500 tickets"));
    // A new ticket continues the numbers.
    let s = seeded(app).await;
    let t = ticket(app, &s, "After the seed", Priority::Normal).await;
    assert_eq!(t.number, 1000 + 2_500 + 1);
    server::seed::demo(&app.db, true).await.unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM tickets").await, 2_500 + 1 + 600);
    assert_eq!(count("SELECT COUNT(*) FROM teams").await, 3);
}
