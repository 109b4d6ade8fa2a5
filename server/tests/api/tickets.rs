//! The ticket store on SQLite and on Postgres: numbers, the first stage, completion
//! times, ranks after many moves, concurrent moves, stage removal, the customer and
//! assignee rules, and the audit row of every change.

use app::audit::audit_for;
use app::auth::model::{Email, PersonName};
use app::auth::Role;
use app::customers::store as customers;
use app::error::AppError;
use app::store::Db;
use app::teams::store as teams;
use app::tickets::model::{Priority, Stage, StageKind, TicketTitle};
use app::tickets::store::{self, NewTicket, Placement, TicketRow};

use crate::common::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_new_ticket_gets_the_next_number_and_lands_on_top_of_the_first_stage,
    a_ticket_without_a_customer_is_refused_next_to_the_customer_field,
    entering_a_done_stage_sets_completed_at_and_leaving_clears_it,
    every_change_writes_its_audit_row,
    ranks_keep_the_order_people_made_after_many_moves,
    a_card_can_be_dropped_between_neighbours_of_equal_rank,
    two_concurrent_moves_of_one_ticket_both_apply_and_are_both_audited,
    a_stage_holding_tickets_is_removed_only_by_moving_them,
    an_assignee_must_be_an_active_member_of_the_team,
    a_customer_email_is_unique_whatever_its_case,
    a_move_to_a_stage_of_another_team_is_refused,
);

struct Fixture {
    actor: i64,
    customer: i64,
    team: i64,
    stages: Vec<Stage>,
}

async fn person(db: &Db, name: &str, email: &str, role: Role) -> i64 {
    let name = PersonName::parse(name).unwrap();
    let email = Email::parse(email).unwrap();
    let new = app::auth::store::NewUser {
        name: &name,
        email: &email,
        role,
        password_hash: "x",
    };
    app::auth::store::create_user(db, new, None, false)
        .await
        .unwrap()
}

async fn fixture(app: &TestApp) -> Fixture {
    let db = &app.db;
    let actor = person(db, "Alan Agent", "alan@example.com", Role::Agent).await;
    let company = customers::create_company(db, "Initech").await.unwrap();
    let customer = customers::create_customer(
        db,
        &PersonName::parse("Cora Customer").unwrap(),
        &Email::parse("cora@initech.example").unwrap(),
        Some(company),
    )
    .await
    .unwrap();
    let team = teams::default_team_id(db).await.unwrap();
    teams::add_member(db, team, actor).await.unwrap();
    let stages = teams::team_stages(db, team).await.unwrap();
    Fixture {
        actor,
        customer,
        team,
        stages,
    }
}

async fn ticket(app: &TestApp, f: &Fixture, title: &str) -> TicketRow {
    let title = TicketTitle::parse(title).unwrap();
    let tags = vec!["billing".to_string()];
    let new = NewTicket {
        title: &title,
        description: "It broke.",
        customer_id: Some(f.customer),
        team_id: f.team,
        priority: Priority::Normal,
        assignee_id: None,
        tags: &tags,
        due_at: None,
        company_id: None,
        from_portal: false,
    };
    store::create_ticket(&app.db, f.actor, new).await.unwrap()
}

fn stage<'a>(f: &'a Fixture, name: &str) -> &'a Stage {
    f.stages.iter().find(|s| s.name == name).unwrap()
}

async fn order(app: &TestApp, stage_id: i64) -> Vec<i64> {
    store::stage_tickets(&app.db, stage_id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect()
}

async fn a_new_ticket_gets_the_next_number_and_lands_on_top_of_the_first_stage(app: &TestApp) {
    let f = fixture(app).await;
    assert_eq!(
        f.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["New", "In Progress", "Waiting", "Completed"]
    );
    assert_eq!(stage(&f, "Completed").kind, StageKind::Done);
    let a = ticket(app, &f, "Printer on fire").await;
    let b = ticket(app, &f, "Cannot log in").await;
    assert_eq!((a.number, b.number), (1001, 1002));
    assert_eq!(a.stage_id, stage(&f, "New").id);
    assert_eq!(order(app, a.stage_id).await, vec![b.id, a.id]);
    assert_eq!(
        store::ticket_tags(&app.db, a.id).await.unwrap(),
        vec!["billing"]
    );
    assert_eq!(a.completed_at, None);
}

async fn a_ticket_without_a_customer_is_refused_next_to_the_customer_field(app: &TestApp) {
    let f = fixture(app).await;
    let title = TicketTitle::parse("No one asked").unwrap();
    let mut new = NewTicket {
        title: &title,
        description: "",
        customer_id: None,
        team_id: f.team,
        priority: Priority::Low,
        assignee_id: None,
        tags: &[],
        due_at: None,
        company_id: None,
        from_portal: false,
    };
    let e = store::create_ticket(&app.db, f.actor, new)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("customer"));
    new = NewTicket {
        customer_id: Some(999_999),
        ..new_from(&title, f.team)
    };
    assert_eq!(
        store::create_ticket(&app.db, f.actor, new)
            .await
            .unwrap_err()
            .field(),
        Some("customer")
    );
    // Nothing was written, and no number was used up.
    assert!(order(app, stage(&f, "New").id).await.is_empty());
    assert_eq!(ticket(app, &f, "Real one").await.number, 1001);
}

fn new_from<'a>(title: &'a TicketTitle, team: i64) -> NewTicket<'a> {
    NewTicket {
        title,
        description: "",
        customer_id: None,
        team_id: team,
        priority: Priority::Low,
        assignee_id: None,
        tags: &[],
        due_at: None,
        company_id: None,
        from_portal: false,
    }
}

async fn entering_a_done_stage_sets_completed_at_and_leaving_clears_it(app: &TestApp) {
    let f = fixture(app).await;
    let t = ticket(app, &f, "Refund").await;
    let done = store::move_ticket(
        &app.db,
        f.actor,
        t.id,
        stage(&f, "Completed").id,
        Placement::default(),
    )
    .await
    .unwrap();
    let completed = done
        .completed_at
        .expect("completed_at set on entering done");
    // Reordering inside the done stage keeps the completion time.
    let again = store::move_ticket(
        &app.db,
        f.actor,
        t.id,
        stage(&f, "Completed").id,
        Placement::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.completed_at, Some(completed));
    let reopened = store::move_ticket(
        &app.db,
        f.actor,
        t.id,
        stage(&f, "Waiting").id,
        Placement::default(),
    )
    .await
    .unwrap();
    assert_eq!(reopened.completed_at, None);
}

async fn every_change_writes_its_audit_row(app: &TestApp) {
    let f = fixture(app).await;
    let t = ticket(app, &f, "Audit me").await;
    let u = ticket(app, &f, "Neighbour").await;
    store::move_ticket(
        &app.db,
        f.actor,
        t.id,
        stage(&f, "In Progress").id,
        Placement::default(),
    )
    .await
    .unwrap();
    store::move_ticket(
        &app.db,
        f.actor,
        u.id,
        stage(&f, "In Progress").id,
        Placement::default(),
    )
    .await
    .unwrap();
    store::move_ticket(
        &app.db,
        f.actor,
        u.id,
        stage(&f, "In Progress").id,
        Placement {
            after: None,
            before: Some(t.id),
        },
    )
    .await
    .unwrap();
    let trail = audit_for(&app.db, "ticket", t.id).await.unwrap();
    let seen: Vec<_> = trail
        .iter()
        .map(|a| {
            (
                a.action.as_str(),
                a.old_value.as_deref(),
                a.new_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("created", None, Some("#1001")),
            ("moved", Some("New"), Some("In Progress"))
        ]
    );
    assert!(trail.iter().all(|a| a.actor_id == Some(f.actor)));
    let trail = audit_for(&app.db, "ticket", u.id).await.unwrap();
    assert_eq!(trail.last().unwrap().action, "reordered");
}

async fn ranks_keep_the_order_people_made_after_many_moves(app: &TestApp) {
    let f = fixture(app).await;
    let column = stage(&f, "In Progress").id;
    let mut model: Vec<i64> = Vec::new();
    for i in 0..8 {
        let t = ticket(app, &f, &format!("Card {i}")).await;
        store::move_ticket(&app.db, f.actor, t.id, column, Placement::default())
            .await
            .unwrap();
        model.push(t.id);
    }
    assert_eq!(order(app, column).await, model);
    // Deterministic pseudo-random moves: to the top, the bottom, and in between.
    let mut seed: u64 = 7;
    for step in 0..120 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let from = (seed >> 33) as usize % model.len();
        let card = model.remove(from);
        let to = match step % 3 {
            0 => 0,
            1 => model.len(),
            _ => (seed >> 40) as usize % (model.len() + 1),
        };
        let place = Placement {
            after: to.checked_sub(1).map(|i| model[i]),
            before: model.get(to).copied(),
        };
        model.insert(to, card);
        store::move_ticket(&app.db, f.actor, card, column, place)
            .await
            .unwrap();
    }
    assert_eq!(order(app, column).await, model);
}

async fn a_card_can_be_dropped_between_neighbours_of_equal_rank(app: &TestApp) {
    let f = fixture(app).await;
    let column = stage(&f, "Waiting").id;
    let mut ids = Vec::new();
    for i in 0..4 {
        let t = ticket(app, &f, &format!("Card {i}")).await;
        store::move_ticket(&app.db, f.actor, t.id, column, Placement::default())
            .await
            .unwrap();
        ids.push(t.id);
    }
    // As concurrent moves can leave them: cards 0 and 1 share one rank.
    let shared = store::find_ticket(&app.db, ids[0])
        .await
        .unwrap()
        .unwrap()
        .rank;
    app::db!(&app.db, pool => sqlx::query("UPDATE tickets SET rank = $1 WHERE id = $2").bind(&shared).bind(ids[1]).execute(pool).await.map(|_| ())).unwrap();
    let moved = store::move_ticket(
        &app.db,
        f.actor,
        ids[3],
        column,
        Placement {
            after: Some(ids[0]),
            before: Some(ids[1]),
        },
    )
    .await
    .unwrap();
    assert!(moved.rank > shared);
    let now = order(app, column).await;
    assert_eq!(now.len(), 4);
    // It sits after the equal pair and before the card that followed them.
    let pos = now.iter().position(|&i| i == ids[3]).unwrap();
    assert_eq!(now[pos + 1], ids[2]);
}

async fn two_concurrent_moves_of_one_ticket_both_apply_and_are_both_audited(app: &TestApp) {
    let f = fixture(app).await;
    let t = ticket(app, &f, "Contested").await;
    let (a, b) = tokio::join!(
        store::move_ticket(
            &app.db,
            f.actor,
            t.id,
            stage(&f, "In Progress").id,
            Placement::default()
        ),
        store::move_ticket(
            &app.db,
            f.actor,
            t.id,
            stage(&f, "Waiting").id,
            Placement::default()
        ),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let last = store::find_ticket(&app.db, t.id).await.unwrap().unwrap();
    assert!(last.stage_id == a.stage_id || last.stage_id == b.stage_id);
    let mut seen = 0;
    for s in &f.stages {
        seen += order(app, s.id)
            .await
            .iter()
            .filter(|&&i| i == t.id)
            .count();
    }
    assert_eq!(seen, 1, "the ticket is on the board exactly once");
    let moves = audit_for(&app.db, "ticket", t.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "moved")
        .count();
    assert_eq!(moves, 2);
}

async fn a_stage_holding_tickets_is_removed_only_by_moving_them(app: &TestApp) {
    let f = fixture(app).await;
    let extra = teams::add_stage(&app.db, f.team, "Escalated", StageKind::Open, Some(3))
        .await
        .unwrap();
    assert_eq!(extra.position, 4);
    let t = ticket(app, &f, "Escalate me").await;
    store::move_ticket(&app.db, f.actor, t.id, extra.id, Placement::default())
        .await
        .unwrap();
    let e = teams::remove_stage(&app.db, f.actor, extra.id, None)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("move_to"));
    assert!(e.to_string().contains("1 tickets are in Escalated"), "{e}");
    teams::remove_stage(&app.db, f.actor, extra.id, Some(stage(&f, "Completed").id))
        .await
        .unwrap();
    let moved = store::find_ticket(&app.db, t.id).await.unwrap().unwrap();
    assert_eq!(moved.stage_id, stage(&f, "Completed").id);
    assert!(moved.completed_at.is_some());
    assert_eq!(teams::team_stages(&app.db, f.team).await.unwrap().len(), 4);
    let trail = audit_for(&app.db, "ticket", t.id).await.unwrap();
    assert_eq!(
        trail.last().unwrap().new_value.as_deref(),
        Some("Completed")
    );
}

async fn an_assignee_must_be_an_active_member_of_the_team(app: &TestApp) {
    let f = fixture(app).await;
    let outsider = person(&app.db, "Olga Outsider", "olga@example.com", Role::Agent).await;
    let title = TicketTitle::parse("Assign me").unwrap();
    let new = NewTicket {
        customer_id: Some(f.customer),
        assignee_id: Some(outsider),
        ..new_from(&title, f.team)
    };
    let e = store::create_ticket(&app.db, f.actor, new)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("assignee"));
    let new = NewTicket {
        customer_id: Some(f.customer),
        assignee_id: Some(f.actor),
        ..new_from(&title, f.team)
    };
    assert_eq!(
        store::create_ticket(&app.db, f.actor, new)
            .await
            .unwrap()
            .assignee_id,
        Some(f.actor)
    );
}

async fn a_customer_email_is_unique_whatever_its_case(app: &TestApp) {
    fixture(app).await;
    let e = customers::create_customer(
        &app.db,
        &PersonName::parse("Cora Two").unwrap(),
        &Email::parse("CORA@Initech.example").unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, AppError::Conflict { ref field, .. } if field == "email"),
        "{e:?}"
    );
}

async fn a_move_to_a_stage_of_another_team_is_refused(app: &TestApp) {
    let f = fixture(app).await;
    let t = ticket(app, &f, "Stay home").await;
    let e = store::move_ticket(&app.db, f.actor, t.id, 999_999, Placement::default())
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("stage"));
    assert_eq!(
        store::find_ticket(&app.db, t.id)
            .await
            .unwrap()
            .unwrap()
            .stage_id,
        stage(&f, "New").id
    );
}
