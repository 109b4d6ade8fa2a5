//! Customer records on both backends: addresses that belong to one customer whatever
//! their case or kind, edits audited with where they came from, stale edits refused,
//! the list's filters and paging, a customer's page limited to the viewer's boards,
//! and deletion that never loses history.

use app::auth::model::{Email, PersonName};
use app::customers::model::{CustomerFields, CustomerFilter, CustomerSort, TypedCustomer};
use app::customers::store::{self as customers, Placement};
use app::error::AppError;
use axum::body::Body;
use http::{header, Request, StatusCode};

use crate::common::{enc, ticket_for, Reply, TestApp, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    an_address_belongs_to_one_customer_whatever_its_case_or_kind,
    edits_are_audited_with_the_client_address_and_user_agent,
    a_stale_edit_is_refused_and_changes_nothing,
    the_list_filters_by_words_owner_tag_and_open_tickets_and_pages_without_gaps,
    a_customer_page_shows_tickets_and_messages_from_the_viewers_boards_only,
    a_customer_with_history_or_an_account_is_not_deleted,
    the_audit_trail_filters_and_exports_as_csv_for_admins_only,
    a_merge_moves_everything_to_the_survivor_and_its_undo_puts_it_back,
    a_merge_is_refused_for_the_same_customer_without_confirmation_and_undone_once_within_a_day,
    likely_duplicates_are_listed_until_merged,
);

/// The tickets, message authors, addresses, tags and (company, role, primary) of
/// customer `id`, each sorted: what a merge moves.
async fn belongings(
    app: &TestApp,
    id: i64,
) -> (
    Vec<i64>,
    Vec<i64>,
    Vec<String>,
    Vec<String>,
    Vec<(i64, String, bool)>,
) {
    let ids = |sql: &'static str| async move {
        app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_all(pool).await)
            .unwrap()
    };
    let texts = |sql: &'static str| async move {
        app::db!(&app.db, pool => sqlx::query_scalar::<_, String>(sql).bind(id).fetch_all(pool).await).unwrap()
    };
    let companies = app::companies::store::memberships(&app.db, id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.company_id, m.role, m.primary_company))
        .collect();
    (
        ids("SELECT id FROM tickets WHERE customer_id = $1 ORDER BY id").await,
        ids("SELECT id FROM messages WHERE customer_id = $1 ORDER BY id").await,
        texts("SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY email").await,
        texts("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag").await,
        companies,
    )
}

async fn a_merge_moves_everything_to_the_survivor_and_its_undo_puts_it_back(app: &TestApp) {
    let cookie = app.setup_admin().await;
    let admin: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE role = 'admin'")
        .fetch_one(pool).await)
    .unwrap();
    let team = app::teams::store::default_team_id(&app.db).await.unwrap();
    let north = customers::create_company(&app.db, "North").await.unwrap();
    let south = customers::create_company(&app.db, "South").await.unwrap();
    let typed = |name: &'static str,
                 email: &'static str,
                 aliases: &'static str,
                 notes: &'static str,
                 tags: &'static str| {
        CustomerFields::parse(&TypedCustomer {
            name,
            email,
            aliases,
            notes,
            tags,
            ..Default::default()
        })
        .unwrap()
    };
    let place = |company: &'static str| Placement {
        company,
        owner_id: None,
    };
    let ann = customers::create_customer_record(
        &app.db,
        admin,
        &typed(
            "Ann Able",
            "ann@example.com",
            "",
            "Prefers mornings.",
            "vip",
        ),
        place("North"),
    )
    .await
    .unwrap();
    let bob = customers::create_customer_record(
        &app.db,
        admin,
        &typed(
            "Bob Able",
            "bob@example.com",
            "bob@home.example",
            "Same person as Ann?",
            "vip, b2b",
        ),
        place("South"),
    )
    .await
    .unwrap();
    app::companies::store::add_member(
        &app.db,
        admin,
        south,
        "bob@example.com",
        app::companies::model::MemberRole::Manager,
    )
    .await
    .unwrap();
    // Bob signs in to the portal with his address.
    let bob_portal = app.customer_account("Bob Able", "bob@example.com").await;
    let t_ann = ticket_for(&app.db, admin, team, ann, "Ann's printer").await;
    let t_bob = ticket_for(&app.db, admin, team, bob, "Bob's scanner").await;
    let bob_user: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = 'bob@example.com'")
        .fetch_one(pool).await)
    .unwrap();
    app::tickets::conversation::store::post_message(
        &app.db,
        &app.state.outbox,
        t_bob.id,
        app::tickets::conversation::store::Writer::Customer {
            user: bob_user,
            customer: bob,
        },
        app::tickets::conversation::model::MessageKind::Reply,
        &app::tickets::conversation::model::MessageBody::parse("Still broken.").unwrap(),
        &[],
        "http://grip.test",
    )
    .await
    .unwrap();
    let ann_before = belongings(app, ann).await;
    let bob_before = belongings(app, bob).await;
    assert_eq!(bob_before.0, [t_bob.id]);
    assert_eq!(bob_before.1.len(), 1);

    // Bob merged into Ann, by one of his addresses, from the browser.
    let r = call_from(
        app,
        "/api/customers/merge",
        &[
            ("id", &ann.to_string()),
            ("other", "BOB@home.example"),
            ("confirm", "on"),
        ],
        &cookie,
        "192.0.2.44",
        "MergeTest/1.0",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (tickets, messages, emails, tags, companies) = belongings(app, ann).await;
    assert_eq!(tickets, [t_ann.id, t_bob.id]);
    assert_eq!(messages, bob_before.1);
    assert_eq!(
        emails,
        ["ann@example.com", "bob@example.com", "bob@home.example"]
    );
    assert_eq!(tags, ["b2b", "vip"]);
    assert_eq!(
        companies,
        [
            (north, "member".to_string(), true),
            (south, "manager".to_string(), false)
        ]
    );
    let record = customers::customer_record(&app.db, ann).await.unwrap();
    assert_eq!(record.notes, "Prefers mornings.\n\nSame person as Ann?");
    assert_eq!(record.aliases, ["bob@example.com", "bob@home.example"]);
    assert_eq!(
        belongings(app, bob).await,
        (vec![], vec![], vec![], vec![], vec![])
    );
    assert!(matches!(
        customers::customer_record(&app.db, bob).await,
        Err(AppError::NotFound)
    ));
    // One audit row records it, with where it came from.
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = app::db!(&app.db, pool => sqlx::query_as::<_, Row>(
        "SELECT action, old_value, client_ip, user_agent FROM audit_log WHERE entity = 'customer' AND entity_id = $1 AND action = 'merged'"
    ).bind(ann).fetch_all(pool).await)
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0]
        .1
        .as_deref()
        .unwrap()
        .contains("Bob Able <bob@example.com>"));
    assert_eq!(rows[0].2.as_deref(), Some("192.0.2.44"));
    assert_eq!(rows[0].3.as_deref(), Some("MergeTest/1.0"));
    // The search index follows: Ann is found by Bob's address and by his company (not
    // her primary one); Bob is not listed.
    for q in ["bob@home.example", "South"] {
        assert_eq!(found(app, q, &cookie).await, ["Ann Able"], "{q}");
    }
    // Bob's old page leads to Ann's.
    let old = app.get(&format!("/customers/{bob}"), Some(&cookie)).await;
    assert!(old.status.is_redirection(), "{}", old.status);
    assert_eq!(
        old.location().as_deref(),
        Some(format!("/customers/{ann}").as_str())
    );
    // Bob's portal account now speaks for the survivor: he sees both tickets.
    let portal = app.get("/portal?status=all", Some(&bob_portal)).await;
    assert!(
        portal.body.contains("Ann&#x27;s printer") || portal.body.contains("Ann's printer"),
        "{}",
        portal.body
    );
    // The survivor's page offers the undo; undoing puts everything back.
    let merge_id = app::customers::merge::merges_into(&app.db, ann)
        .await
        .unwrap()[0]
        .id;
    let r = call_from(
        app,
        "/api/customers/merge-undo",
        &[("merge", &merge_id.to_string())],
        &cookie,
        "192.0.2.44",
        "MergeTest/1.0",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(belongings(app, ann).await, ann_before);
    assert_eq!(belongings(app, bob).await, bob_before);
    let back = customers::customer_record(&app.db, bob).await.unwrap();
    assert_eq!(
        (back.name.as_str(), back.email.as_str(), back.notes.as_str()),
        ("Bob Able", "bob@example.com", "Same person as Ann?")
    );
    assert_eq!(
        customers::customer_record(&app.db, ann)
            .await
            .unwrap()
            .notes,
        "Prefers mornings."
    );
    let undone: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'merge_undone' AND entity_id IN ($1, $2)"
    ).bind(ann).bind(bob).fetch_one(pool).await)
    .unwrap();
    assert_eq!(undone, 2);
}

async fn a_merge_is_refused_for_the_same_customer_without_confirmation_and_undone_once_within_a_day(
    app: &TestApp,
) {
    let cookie = app.setup_admin().await;
    let admin: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE role = 'admin'")
        .fetch_one(pool).await)
    .unwrap();
    let make = |email: &'static str| async move {
        customers::create_customer_record(&app.db, admin, &fields("Cy Twin", email, ""), NOWHERE)
            .await
            .unwrap()
    };
    let (cy, cy2, cy3) = (
        make("cy@example.com").await,
        make("cy2@example.com").await,
        make("cy3@example.com").await,
    );
    let merge = |id: i64, other: &'static str, confirm: &'static str| {
        let cookie = cookie.clone();
        async move {
            app.call(
                "/api/customers/merge",
                &[
                    ("id", &id.to_string()),
                    ("other", other),
                    ("confirm", confirm),
                ],
                Some(&cookie),
            )
            .await
        }
    };
    let field_of = |r: &Reply| {
        serde_json::from_str::<AppError>(&r.body)
            .ok()
            .and_then(|e| e.field().map(str::to_string))
    };
    let r = merge(cy, "cy@example.com", "on").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(field_of(&r).as_deref(), Some("other"));
    let r = merge(cy, "cy2@example.com", "").await;
    assert_eq!(field_of(&r).as_deref(), Some("confirm"));
    let r = merge(cy, "nobody@example.com", "on").await;
    assert_eq!(field_of(&r).as_deref(), Some("other"));
    assert_eq!(
        belongings(app, cy2).await.2,
        ["cy2@example.com"],
        "a refused merge moves nothing"
    );
    // By number works too; a merged customer cannot be merged again.
    let r = merge(cy, Box::leak(format!("#{cy2}").into_boxed_str()), "on").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = merge(cy3, Box::leak(format!("{cy2}").into_boxed_str()), "on").await;
    assert_eq!(field_of(&r).as_deref(), Some("other"));
    // Undone once; a second undo is refused. A merge older than a day stays.
    let first = app::customers::merge::merges_into(&app.db, cy)
        .await
        .unwrap()[0]
        .id;
    let undo = |id: i64| {
        let cookie = cookie.clone();
        async move {
            app.call(
                "/api/customers/merge-undo",
                &[("merge", &id.to_string())],
                Some(&cookie),
            )
            .await
        }
    };
    assert_eq!(undo(first).await.status, StatusCode::OK);
    assert_eq!(undo(first).await.status, StatusCode::CONFLICT);
    let r = merge(cy, "cy3@example.com", "on").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = app::customers::merge::merges_into(&app.db, cy)
        .await
        .unwrap()[0]
        .id;
    app::db!(&app.db, pool => sqlx::query("UPDATE customer_merges SET at = at - 86400001 WHERE id = $1")
        .bind(second).execute(pool).await.map(|_| ()))
    .unwrap();
    assert!(
        !app::customers::merge::merges_into(&app.db, cy)
            .await
            .unwrap()[0]
            .can_undo
    );
    assert_eq!(undo(second).await.status, StatusCode::CONFLICT);
    assert_eq!(
        belongings(app, cy).await.2,
        ["cy3@example.com", "cy@example.com"]
    );
}

async fn likely_duplicates_are_listed_until_merged(app: &TestApp) {
    let cookie = app.setup_admin().await;
    let admin: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE role = 'admin'")
        .fetch_one(pool).await)
    .unwrap();
    let add = |name: &'static str,
               email: &'static str,
               phone: &'static str,
               company: &'static str| async move {
        let f = CustomerFields::parse(&TypedCustomer {
            name,
            email,
            phone,
            ..Default::default()
        })
        .unwrap();
        customers::create_customer_record(
            &app.db,
            admin,
            &f,
            Placement {
                company,
                owner_id: None,
            },
        )
        .await
        .unwrap()
    };
    let dee = add("Dee Phone", "dee@example.com", "+49 30 1234567", "").await;
    let dee2 = add("D. Phone", "dee@work.example", "+49-30-123 4567", "").await;
    let _other = add("Other Phone", "other@example.com", "+49 30 7654321", "").await;
    let eve = add("Eve Same", "eve@acme.example", "", "Acme").await;
    let eve2 = add("eve same", "eve2@acme.example", "", "Acme").await;
    let _eve3 = add("Eve Same", "eve@elsewhere.example", "", "Elsewhere").await;
    let pairs = app::customers::merge::possible_duplicates(&app.db, 100)
        .await
        .unwrap();
    let shape: Vec<(i64, i64, &str)> = pairs
        .iter()
        .map(|p| (p.keep_id, p.other_id, p.reason.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            (dee, dee2, "same phone"),
            (eve, eve2, "same name and company")
        ]
    );
    let page = app.get("/customers/duplicates", Some(&cookie)).await;
    assert!(
        page.body
            .contains("Merge D. Phone (dee@work.example) into Dee Phone (dee@example.com)"),
        "{}",
        page.body
    );
    app::customers::merge::merge_customers(&app.db, admin, dee, dee2)
        .await
        .unwrap();
    let pairs = app::customers::merge::possible_duplicates(&app.db, 100)
        .await
        .unwrap();
    assert_eq!(pairs.len(), 1);
}

fn fields(name: &str, email: &str, aliases: &str) -> CustomerFields {
    CustomerFields::parse(&TypedCustomer {
        name,
        email,
        aliases,
        notes: "",
        ..Default::default()
    })
    .unwrap()
}

const NOWHERE: Placement<'static> = Placement {
    company: "",
    owner_id: None,
};

/// Calls a server function as the hydrated app does, from client address `ip` with
/// user agent `agent` (the test router trusts one proxy's X-Forwarded-For).
/// The names the customer list's search finds for `q`, in order.
pub(crate) async fn found(app: &TestApp, q: &str, cookie: &str) -> Vec<String> {
    let r = app
        .call(
            "/api/customers/list",
            &[
                ("q", q),
                ("company", ""),
                ("owner", ""),
                ("open", "false"),
                ("tag", ""),
                ("from", ""),
                ("to", ""),
                ("sort", "name"),
            ],
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub(crate) async fn call_from(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    cookie: &str,
    ip: &str,
    agent: &str,
) -> Reply {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::HOST, "grip.test")
        .header(header::ORIGIN, "http://grip.test")
        .header(header::USER_AGENT, agent)
        .header(header::COOKIE, cookie)
        .header("x-forwarded-for", ip)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

fn record_form<'a>(
    name: &'a str,
    email: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", name),
        ("email", email),
        ("aliases", ""),
        ("phone", ""),
        ("time_zone", ""),
        ("language", ""),
        ("notes", ""),
        ("tags", ""),
        ("company", ""),
        ("owner", ""),
    ];
    for (k, v) in extra {
        if let Some(slot) = form.iter_mut().find(|(key, _)| key == k) {
            slot.1 = v;
        } else {
            form.push((k, v));
        }
    }
    form
}

async fn an_address_belongs_to_one_customer_whatever_its_case_or_kind(app: &TestApp) {
    let admin_cookie = app.setup_admin().await;
    let ada = customers::create_customer_record(
        &app.db,
        1,
        &fields("Ada Lovelace", "ada@example.com", "ada@home.example"),
        NOWHERE,
    )
    .await
    .unwrap();
    // Another customer with Ada's alias (typed in capitals) as primary address.
    let taken = customers::create_customer_record(
        &app.db,
        1,
        &fields("Ada Again", "ADA@Home.Example", ""),
        NOWHERE,
    )
    .await
    .unwrap_err();
    assert_eq!(taken.field(), Some("email"));
    assert!(taken.to_string().contains("Ada Lovelace"), "{taken}");
    // …or with Ada's primary address as an alias.
    let taken = customers::create_customer_record(
        &app.db,
        1,
        &fields("Someone Else", "else@example.com", "ada@example.com"),
        NOWHERE,
    )
    .await
    .unwrap_err();
    assert_eq!(taken.field(), Some("aliases"));
    // Over HTTP the refusal is a 409 on the email field; nothing was added.
    let r = app
        .call(
            "/api/customers/create",
            &record_form("Ada Again", "ada@home.example", &[]),
            Some(&admin_cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let count: i64 =
        app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM customers")
        .fetch_one(pool).await)
        .unwrap();
    assert_eq!(count, 1);
    // The alias finds Ada: the New ticket form files a ticket from it under her.
    let found =
        customers::find_customer_by_email(&app.db, &Email::parse("Ada@HOME.example").unwrap())
            .await
            .unwrap();
    assert_eq!(found, Some(ada));
    let r = app
        .call(
            "/api/tickets/create",
            &[
                ("title", "Printer on fire"),
                ("description", ""),
                ("customer_email", "ada@home.example"),
                ("customer_name", ""),
                ("company", ""),
                ("team", "1"),
                ("priority", "normal"),
                ("assignee", ""),
                ("tags", ""),
                ("due", ""),
            ],
            Some(&admin_cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let owner: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT customer_id FROM tickets WHERE title = 'Printer on fire'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(owner, ada);
    // Her account owner is shown on her tickets.
    let number: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "UPDATE customers SET owner_id = (SELECT id FROM users WHERE role = 'admin') WHERE id = $1 RETURNING
            (SELECT number FROM tickets WHERE title = 'Printer on fire')"
    ).bind(ada).fetch_one(pool).await)
    .unwrap();
    let r = app
        .call(
            "/api/tickets/get",
            &[("number", &number.to_string())],
            Some(&admin_cookie),
        )
        .await;
    assert_eq!(r.json()["owner"], "Ada Admin", "{}", r.body);
    assert_eq!(r.json()["customer_id"], ada);
    let page = app
        .get(&format!("/tickets/{number}"), Some(&admin_cookie))
        .await;
    assert!(
        page.body.contains("Account owner: Ada Admin"),
        "shown on the ticket's page"
    );
}

async fn edits_are_audited_with_the_client_address_and_user_agent(app: &TestApp) {
    let cookie = app.setup_admin().await;
    let agent = "Mozilla/5.0 (GripTest) Firefox/140.0";
    let r = call_from(
        app,
        "/api/customers/create",
        &record_form(
            "Grace Hopper",
            "grace@example.com",
            &[("phone", "+1 555 0100"), ("tags", "vip")],
        ),
        &cookie,
        "203.0.113.7",
        agent,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let path: String = serde_json::from_str(&r.body).unwrap();
    let id: i64 = path.trim_start_matches("/customers/").parse().unwrap();
    let version = customers::customer_record(&app.db, id)
        .await
        .unwrap()
        .updated_at;
    let version = version.to_string();
    let id_text = id.to_string();
    let r = call_from(
        app,
        "/api/customers/update",
        &record_form(
            "Grace Hopper",
            "grace@example.com",
            &[
                ("id", &id_text),
                ("version", &version),
                ("phone", "+1 555 0199"),
                ("notes", "Found the first bug."),
                ("tags", "vip, navy"),
            ],
        ),
        &cookie,
        "198.51.100.23",
        agent,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let history = customers::history(&app.db, "customer", id).await.unwrap();
    let change = |field: &str| {
        history
            .iter()
            .find(|h| h.field.as_deref() == Some(field))
            .unwrap_or_else(|| panic!("no {field} change in {history:?}"))
    };
    let phone = change("phone");
    assert_eq!(phone.old_value.as_deref(), Some("+1 555 0100"));
    assert_eq!(phone.new_value.as_deref(), Some("+1 555 0199"));
    assert_eq!(phone.client_ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(phone.user_agent.as_deref(), Some(agent));
    assert_eq!(change("tags").new_value.as_deref(), Some("navy, vip"));
    assert_eq!(change("notes").old_value, None);
    // Unchanged fields leave no row; the creation has the first request's origin.
    assert!(history.iter().all(|h| h.field.as_deref() != Some("name")));
    let created = history.iter().find(|h| h.action == "created").unwrap();
    assert_eq!(created.client_ip.as_deref(), Some("203.0.113.7"));
    let record = customers::customer_record(&app.db, id).await.unwrap();
    assert_eq!(record.tags, vec!["navy", "vip"]);
    assert_eq!(record.notes, "Found the first bug.");
}

async fn a_stale_edit_is_refused_and_changes_nothing(app: &TestApp) {
    app.setup_admin().await;
    let id = customers::create_customer_record(
        &app.db,
        1,
        &fields("Alan Turing", "alan@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    let opened = customers::customer_record(&app.db, id)
        .await
        .unwrap()
        .updated_at;
    // Someone saves first…
    customers::update_customer_record(
        &app.db,
        1,
        id,
        opened,
        &fields("Alan M. Turing", "alan@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    // …so an edit of the version opened before is refused whole.
    let e = customers::update_customer_record(
        &app.db,
        1,
        id,
        opened,
        &fields("Alan Turing", "alan@bletchley.example", "alan@example.com"),
        NOWHERE,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
    let record = customers::customer_record(&app.db, id).await.unwrap();
    assert_eq!(record.name, "Alan M. Turing");
    assert_eq!(record.email, "alan@example.com");
    assert!(record.aliases.is_empty());
    // An unknown time zone and an owner who is not staff are refused by the server.
    let current = record.updated_at;
    let mut bad = fields("Alan M. Turing", "alan@example.com", "");
    bad.time_zone = "Mars/Olympus".into();
    let e = customers::update_customer_record(&app.db, 1, id, current, &bad, NOWHERE)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("time_zone"));
    let customer_user = app::auth::store::create_user(
        &app.db,
        app::auth::store::NewUser {
            name: &PersonName::parse("Not Staff").unwrap(),
            email: &Email::parse("not.staff@example.com").unwrap(),
            role: app::auth::Role::Customer,
            password_hash: "x",
        },
        None,
        false,
    )
    .await
    .unwrap();
    let e = customers::update_customer_record(
        &app.db,
        1,
        id,
        current,
        &fields("Alan M. Turing", "alan@example.com", ""),
        Placement {
            company: "",
            owner_id: Some(customer_user),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.field(), Some("owner"));
}

async fn the_list_filters_by_words_owner_tag_and_open_tickets_and_pages_without_gaps(
    app: &TestApp,
) {
    let cookie = app.setup_admin().await;
    let r = app
        .create_person(&cookie, "Olga Owner", "olga@example.com", "agent")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let olga: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE email = 'olga@example.com'"
    ).fetch_one(pool).await)
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..57 {
        let mut f = fields(&format!("Person {i:02}"), &format!("p{i}@example.com"), "");
        if i == 13 {
            f.notes = "Allergic to marzipan; call before noon.".into();
        }
        if i % 10 == 0 {
            f.tags = vec!["vip".into()];
        }
        let place = Placement {
            company: if i % 2 == 0 { "Even Ltd" } else { "" },
            owner_id: (i % 3 == 0).then_some(olga),
        };
        ids.push(
            customers::create_customer_record(&app.db, 1, &f, place)
                .await
                .unwrap(),
        );
    }
    ticket_for(&app.db, 1, 1, ids[7], "Open question").await;
    let list = |filter: CustomerFilter, after: Option<i64>| {
        let db = app.db.clone();
        async move {
            customers::list_customers(&db, &filter, olga, after, 50)
                .await
                .unwrap()
        }
    };
    let names = |rows: Vec<app::customers::model::CustomerRow>| {
        rows.into_iter().map(|r| r.name).collect::<Vec<_>>()
    };
    let by_words = list(
        CustomerFilter {
            q: "MARZIPAN noon".into(),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(names(by_words), vec!["Person 13"]);
    let mine = list(
        CustomerFilter {
            owner: "me".into(),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(mine.len(), 19);
    let vip_even = list(
        CustomerFilter {
            tag: "VIP".into(),
            company: "even".into(),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(vip_even.len(), 6);
    let open = list(
        CustomerFilter {
            open: true,
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(names(open.clone()), vec!["Person 07"]);
    assert_eq!(open[0].open_tickets, 1);
    // Both orders page through every customer once.
    for sort in [CustomerSort::Name, CustomerSort::Newest] {
        let filter = CustomerFilter {
            sort,
            ..Default::default()
        };
        let first = list(filter.clone(), None).await;
        assert_eq!(first.len(), 50);
        let second = list(filter, first.last().map(|r| r.id)).await;
        let mut seen: Vec<i64> = first.iter().chain(second.iter()).map(|r| r.id).collect();
        assert_eq!(seen.len(), 57);
        if sort == CustomerSort::Name {
            assert_eq!(first[0].name, "Person 00");
        } else {
            assert_eq!(first[0].name, "Person 56");
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 57);
    }
    // A date that is not one is refused next to its field, as a 422.
    let r = app
        .call(
            "/api/customers/list",
            &[
                ("q", ""),
                ("company", ""),
                ("owner", ""),
                ("open", "false"),
                ("tag", ""),
                ("from", "2026-02-30"),
                ("to", ""),
                ("sort", "name"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("from"), "{}", r.body);
}

async fn a_customer_page_shows_tickets_and_messages_from_the_viewers_boards_only(app: &TestApp) {
    let admin = app.setup_admin().await;
    let team_b = app::teams::store::create_team(&app.db, "Team B")
        .await
        .unwrap();
    let r = app
        .create_person(&admin, "Bea Agent", "bea@example.com", "agent")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE email = 'bea@example.com'"
    ).fetch_one(pool).await)
    .unwrap();
    app::teams::store::add_team_member(&app.db, 1, team_b, bea)
        .await
        .unwrap();
    app::teams::store::remove_team_member(&app.db, 1, 1, bea)
        .await
        .unwrap();
    let id = customers::create_customer_record(
        &app.db,
        1,
        &fields("Cleo Client", "cleo@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    let on_a = ticket_for(&app.db, 1, 1, id, "Support-only title").await;
    ticket_for(&app.db, 1, team_b, id, "Team B title").await;
    for (kind, body) in [
        ("reply", "Public-answer-on-A"),
        ("note", "Internal-remark-on-A"),
    ] {
        let r = app
            .call(
                "/api/tickets/messages/post",
                &[
                    ("ticket_id", &on_a.id.to_string()),
                    ("kind", kind),
                    ("body", body),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let bea_cookie = app.signed_in("bea@example.com", STAFF_PASSWORD).await;
    let page = |cookie: String| async move {
        app.call(
            "/api/customers/page",
            &[("id", &id.to_string())],
            Some(&cookie),
        )
        .await
    };
    let as_bea = page(bea_cookie).await;
    assert_eq!(as_bea.status, StatusCode::OK, "{}", as_bea.body);
    assert!(as_bea.body.contains("Team B title"));
    assert!(
        !as_bea.body.contains("Support-only title"),
        "{}",
        as_bea.body
    );
    assert!(!as_bea.body.contains("Internal-remark-on-A"));
    assert_eq!(as_bea.json()["ticket_count"], 1);
    let as_admin = page(admin).await;
    assert!(as_admin.body.contains("Support-only title"));
    assert!(as_admin.body.contains("Internal-remark-on-A"));
    // The timeline: the newest message first, across tickets, with its author.
    let timeline = as_admin.json()["timeline"].clone();
    assert_eq!(timeline[0]["excerpt"], "Internal-remark-on-A", "{timeline}");
    assert_eq!(timeline[0]["author"], "Ada Admin");
    assert_eq!(timeline[0]["internal"], true);
    let at: Vec<i64> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_i64().unwrap())
        .collect();
    assert!(at.len() == 2 && at[0] >= at[1], "{at:?}");
    assert_eq!(timeline[1]["excerpt"], "Public-answer-on-A");
    assert_eq!(as_admin.json()["ticket_count"], 2);
    // The page itself renders on the server for staff.
    let html = app
        .get(
            &format!("/customers/{id}"),
            Some(&app.signed_in("bea@example.com", STAFF_PASSWORD).await),
        )
        .await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.body.contains("Cleo Client") && html.body.contains("Team B title"));
}

async fn a_customer_with_history_or_an_account_is_not_deleted(app: &TestApp) {
    let admin = app.setup_admin().await;
    let with_ticket = customers::create_customer_record(
        &app.db,
        1,
        &fields("Has Ticket", "t@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    ticket_for(&app.db, 1, 1, with_ticket, "Keep me").await;
    let with_account = customers::create_customer_record(
        &app.db,
        1,
        &fields("Has Account", "acct@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    app.customer_account("Has Account", "acct@example.com")
        .await;
    let plain = customers::create_customer_record(
        &app.db,
        1,
        &fields("Typo Record", "typo@example.com", "typo2@example.com"),
        NOWHERE,
    )
    .await
    .unwrap();
    let delete = |id: i64| {
        let admin = admin.clone();
        async move {
            app.call(
                "/api/customers/delete",
                &[("id", &id.to_string())],
                Some(&admin),
            )
            .await
        }
    };
    assert_eq!(delete(with_ticket).await.status, StatusCode::CONFLICT);
    assert_eq!(delete(with_account).await.status, StatusCode::CONFLICT);
    let r = delete(plain).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(matches!(
        customers::customer_record(&app.db, plain).await,
        Err(AppError::NotFound)
    ));
    assert!(customers::customer_record(&app.db, with_ticket)
        .await
        .is_ok());
    // Its addresses are free again, and the deletion is in the trail.
    let fixed = customers::create_customer_record(
        &app.db,
        1,
        &fields("Typo Fixed", "typo2@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    let trail = customers::history(&app.db, "customer", plain)
        .await
        .unwrap();
    assert_eq!(trail[0].action, "deleted");
    assert_eq!(trail[0].old_value.as_deref(), Some("Typo Record"));
    // The deleted record's id is never given to another customer (SQLite reuses the
    // highest id of a deleted row), so its trail stays its own; the list skips it.
    assert_ne!(fixed, plain);
    assert!(trail
        .iter()
        .all(|h| h.new_value.as_deref() != Some("Typo Fixed")));
    let all = customers::list_customers(&app.db, &CustomerFilter::default(), 1, None, 50)
        .await
        .unwrap();
    assert!(all.iter().all(|r| r.id != plain));
}

async fn the_audit_trail_filters_and_exports_as_csv_for_admins_only(app: &TestApp) {
    let admin = app.setup_admin().await;
    let id = customers::create_customer_record(
        &app.db,
        1,
        &fields("=cmd|' /C calc'!A0", "csv@example.com", ""),
        NOWHERE,
    )
    .await
    .unwrap();
    let version = customers::customer_record(&app.db, id)
        .await
        .unwrap()
        .updated_at;
    let mut changed = fields("Calc Person", "csv@example.com", "");
    changed.phone = "+1 555 0142".into();
    customers::update_customer_record(&app.db, 1, id, version, &changed, NOWHERE)
        .await
        .unwrap();
    let trail = |form: &'static [(&'static str, &'static str)]| {
        let mut all = vec![
            ("who", ""),
            ("entity", ""),
            ("field", ""),
            ("from", ""),
            ("to", ""),
        ];
        for (k, v) in form {
            all.iter_mut().find(|(key, _)| key == k).unwrap().1 = v;
        }
        let admin = admin.clone();
        async move { app.call("/api/admin/audit", &all, Some(&admin)).await }
    };
    let phone = trail(&[("entity", "customer"), ("field", "phone")]).await;
    assert_eq!(phone.status, StatusCode::OK, "{}", phone.body);
    let rows = phone.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["new_value"], "+1 555 0142");
    let by_someone_else = trail(&[("who", "nobody-by-this-name")]).await;
    assert_eq!(by_someone_else.json().as_array().unwrap().len(), 0);
    let bad = trail(&[("from", "yesterday")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let csv = app
        .get("/admin/audit.csv?entity=customer", Some(&admin))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(lines[0].starts_with("id,at,actor,record"), "{}", lines[0]);
    // Newest first: the phone change, then the name, then the creation; a value that
    // starts like a formula is kept as text.
    assert!(
        lines.iter().any(|l| l.contains("+1 555 0142")),
        "{}",
        csv.body
    );
    assert!(lines.iter().any(|l| l.contains("'=cmd|")), "{}", csv.body);
    assert!(!csv.body.contains(",=cmd"), "{}", csv.body);
    // Compressed as a browser asks for it, the stream ends cleanly (an unfused stream
    // panicked when the compressor polled it after its end).
    let req = Request::get("/admin/audit.csv?entity=customer")
        .header(header::HOST, "grip.test")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .header(header::COOKIE, &admin)
        .body(Body::empty())
        .unwrap();
    let compressed = app.send(req).await;
    assert_eq!(compressed.status, StatusCode::OK);
    assert_eq!(compressed.headers[header::CONTENT_ENCODING], "br");
    assert!(!compressed.bytes.is_empty());
    let bad = app
        .get("/admin/audit.csv?from=2026-13-01", Some(&admin))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Staff are refused.
    let r = app
        .create_person(&admin, "Ann Agent", "ann@example.com", "agent")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let agent = app.signed_in("ann@example.com", STAFF_PASSWORD).await;
    assert_eq!(
        app.get("/admin/audit.csv", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
}
