//! A fuzzer for every registered server function, on both backends: proptest
//! generates hostile forms — unknown, missing and duplicated fields, numbers that are
//! negative, enormous or not numbers, control characters, markup and SQL, strings up
//! to 1 MB, invalid UTF-8 — sent as the hydrated app sends them (JSON answers) and
//! as a plain form (HTML answers), by a stranger, a customer, an agent and an admin.
//! Required: no 5xx and no panic, every refusal a message, and a refused call
//! (4xx) leaves the ticket tables as they were (row counts and a checksum).

use axum::body::Body;
use http::{header, Request};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::common::TestApp;
use crate::on_both_backends;

on_both_backends!(hostile_calls_to_every_server_function_never_fail_the_server);

/// Calls per backend (the test command runs both: 10,000 a run).
const CASES: usize = 5_000;

/// One field value: text (percent-encoded as a browser does) or raw escapes that
/// decode to bytes that are not UTF-8.
#[derive(Clone, Debug)]
enum Value {
    Text(String),
    Raw(&'static str),
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (1i64..6).prop_map(|n| Value::Text(n.to_string())),
        2 => "-?[0-9]{1,25}".prop_map(Value::Text),
        1 => prop_oneof![
            Just("9223372036854775807"),
            Just("-9223372036854775808"),
            Just("18446744073709551616"),
            Just("1e309"),
            Just("NaN"),
            Just("true"),
            Just("null"),
            Just("[]"),
            Just("<script>alert(1)</script>"),
            Just("' OR 1=1 --"),
            Just("/tickets\r\nSet-Cookie: x=y"),
            Just("//evil.example/"),
            Just("ada@example.com"),
            Just("a password that is long enough"),
        ]
        .prop_map(|s| Value::Text(s.to_string())),
        3 => "\\PC{0,40}".prop_map(Value::Text),
        1 => "[\\x00-\\x1f\\x7f]{1,20}".prop_map(Value::Text),
        1 => prop_oneof![Just("%FF%FE%00"), Just("%C3%28"), Just("%ED%A0%80")].prop_map(Value::Raw),
        1 => (1usize..=1024 * 1024).prop_map(|n| Value::Text("x".repeat(n))),
    ]
}

/// Field names the functions use, and some they do not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop_oneof![
            Just("id"), Just("ticket_id"), Just("team"), Just("team_id"), Just("stage_id"),
            Just("title"), Just("description"), Just("body"), Just("kind"), Just("priority"),
            Just("email"), Just("name"), Just("password"), Just("confirm"), Just("token"),
            Just("ids"), Just("ids[]"), Just("action"), Just("back"), Just("next"),
            Just("relation"), Just("other"), Just("other_id"), Just("message_id"),
            Just("assignee"), Just("assignee_id"), Just("due"), Just("tags"), Just("minutes"),
            Just("note"), Just("zone"), Just("q"), Just("status"), Just("sort"), Just("after"),
            Just("before"), Just("company"), Just("manager"), Just("customer"), Just("role"),
            Just("active"), Just("stage"), Just("position"), Just("wip_limit"), Just("label"),
            Just("attachment_ids[]"), Just("content"), Just("scope"), Just("at"), Just("into"),
        ]
        .prop_map(str::to_string),
        1 => "[a-z_\\[\\]]{1,12}",
    ]
}

fn form() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec((key(), value()), 0..8)
}

fn encode(form: &[(String, Value)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    form.iter()
        .map(|(k, v)| match v {
            Value::Text(t) => format!("{}={}", enc(k), enc(t)),
            Value::Raw(r) => format!("{}={r}", enc(k)),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Row counts and sums over the ticket tables and what surrounds them.
async fn checksum(app: &TestApp) -> Vec<i64> {
    let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM tickets),
                (SELECT CAST(COALESCE(SUM(updated_at + number + stage_id), 0) AS BIGINT) FROM tickets),
                (SELECT COUNT(*) FROM messages),
                (SELECT CAST(COALESCE(SUM(LENGTH(body)), 0) AS BIGINT) FROM messages),
                (SELECT COUNT(*) FROM attachments),
                (SELECT COUNT(*) FROM audit_log),
                (SELECT COUNT(*) FROM users),
                (SELECT COUNT(*) FROM customers),
                (SELECT COUNT(*) FROM teams),
                (SELECT COUNT(*) FROM stages),
                (SELECT COUNT(*) FROM ticket_links),
                (SELECT COUNT(*) FROM canned_replies)"
    ).fetch_one(pool).await)
    .unwrap();
    vec![
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11,
    ]
}

async fn hostile_calls_to_every_server_function_never_fail_the_server(app: &TestApp) {
    // Real records for the ids to land on: a ticket with a message, every kind of caller.
    let admin = app.setup_admin().await;
    app.create_person(&admin, "Alan Agent", "alan@example.com", "agent")
        .await;
    let agent = app
        .signed_in("alan@example.com", crate::common::STAFF_PASSWORD)
        .await;
    let customer = app
        .customer_account("Cora Customer", "cora@example.com")
        .await;
    let cora = app::customers::store::create_customer(
        &app.db,
        &app::auth::model::PersonName::parse("Cora Customer").unwrap(),
        &app::auth::model::Email::parse("cora@example.com").unwrap(),
        None,
    )
    .await
    .unwrap();
    let team = app::teams::store::default_team_id(&app.db).await.unwrap();
    let actor: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(pool).await).unwrap();
    let title = app::tickets::model::TicketTitle::parse("Fuzzed ticket").unwrap();
    app::tickets::store::create_ticket(
        &app.db,
        actor,
        app::tickets::store::NewTicket {
            title: &title,
            description: "d",
            customer_id: Some(cora),
            team_id: team,
            priority: app::tickets::model::Priority::Normal,
            assignee_id: None,
            tags: &[],
            due_at: None,
            from_portal: false,
        },
    )
    .await
    .unwrap();
    let callers = [None, Some(customer), Some(agent), Some(admin)];
    let mut paths: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|p| !p.contains("logout"))
        .collect();
    paths.sort();
    let mut runner = TestRunner::deterministic();
    let case = (0..paths.len(), 0..callers.len(), any::<bool>(), form());
    let mut before = checksum(app).await;
    let (mut refused, mut allowed) = (0, 0);
    for _ in 0..CASES {
        let (p, c, json, form) = case.new_tree(&mut runner).unwrap().current();
        let path = paths[p];
        let mut req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(
                header::ACCEPT,
                if json {
                    "application/json"
                } else {
                    "text/html"
                },
            )
            .header(header::HOST, "grip.test")
            .header(header::ORIGIN, "http://grip.test");
        if let Some(cookie) = &callers[c] {
            req = req.header(header::COOKIE, cookie);
        }
        let r = app.send(req.body(Body::from(encode(&form))).unwrap()).await;
        let shown: Vec<_> = form
            .iter()
            .map(|(k, v)| match v {
                Value::Text(t) => (k.clone(), t.chars().take(30).collect::<String>()),
                Value::Raw(r) => (k.clone(), r.to_string()),
            })
            .collect();
        assert!(
            !r.status.is_server_error(),
            "{path} as caller {c} with {shown:?}: {} {}",
            r.status,
            &r.body[..r.body.len().min(300)]
        );
        let after = checksum(app).await;
        if json && r.status.is_client_error() {
            refused += 1;
            assert!(!r.body.trim().is_empty(), "{path}: a refusal says why");
            assert_eq!(
                before, after,
                "{path} refused ({}) but changed the database: {shown:?}",
                r.status
            );
        } else {
            allowed += 1;
        }
        before = after;
    }
    println!("fuzzer: {CASES} hostile calls to {} server functions ({refused} refused with the database unchanged, {allowed} answered otherwise), none 5xx", paths.len());
}
