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

on_both_backends!(
    hostile_calls_to_every_server_function_never_fail_the_server,
    hostile_requests_to_every_other_route_never_fail_the_server,
);

/// Calls per backend (the test command runs both: 10,000 a run).
const CASES: usize = 5_000;

/// Requests per backend to the routes that are not server functions.
const ROUTE_CASES: usize = 600;

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

/// Every kind of caller, and a ticket of the customer's for the ids to land on.
struct Callers {
    cookies: [Option<String>; 4],
    number: i64,
    id: i64,
}

async fn callers(app: &TestApp) -> Callers {
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
    crate::common::ticket_for(&app.db, actor, team, cora, "Fuzzed ticket").await;
    let ticket = app::tickets::store::find_ticket_by_number(&app.db, 1001)
        .await
        .unwrap()
        .expect("the fuzzed ticket");
    Callers {
        cookies: [None, Some(customer), Some(agent), Some(admin)],
        number: ticket.number,
        id: ticket.id,
    }
}

async fn hostile_calls_to_every_server_function_never_fail_the_server(app: &TestApp) {
    let callers = callers(app).await.cookies;
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

/// Bytes for a multipart name, file name or value: text, markup, control characters,
/// invalid UTF-8, quotes that end the header early, or a lot of it.
fn raw_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "\\PC{0,30}".prop_map(String::into_bytes),
        1 => Just(vec![0xff, 0xfe, 0x00, b'a']),
        1 => Just(vec![0xc3, 0x28, b'"', b';', b'\r', b'\n']),
        1 => Just(b"../../etc/passwd".to_vec()),
        1 => Just(b"<script>alert(1)</script>".to_vec()),
        1 => Just(b"title".to_vec()),
        1 => Just(b"team".to_vec()),
        1 => Just(b"body".to_vec()),
        1 => (1usize..=200_000).prop_map(|n| vec![b'x'; n]),
    ]
}

/// One part of a multipart body: (name, file name if a file, content).
type Part = (Vec<u8>, Option<Vec<u8>>, Vec<u8>);

fn parts() -> impl Strategy<Value = Vec<Part>> {
    prop::collection::vec(
        (raw_bytes(), prop::option::of(raw_bytes()), raw_bytes()),
        0..6,
    )
}

/// What the route fuzzer sends: which route, its id-like path or query value, and
/// the hostile parts of the request.
#[derive(Clone, Debug)]
enum Route {
    PortalNew,
    PortalReply,
    Upload,
    Download,
}

fn id_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{valid}".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("99999999999999999999".to_string()),
        Just("abc".to_string()),
        Just("%FF%FE".to_string()),
        Just("1%00".to_string()),
        "[0-9]{1,6}",
    ]
}

async fn hostile_requests_to_every_other_route_never_fail_the_server(app: &TestApp) {
    let who = callers(app).await;
    let mut runner = TestRunner::deterministic();
    let case = (
        prop_oneof![
            Just(Route::PortalNew),
            Just(Route::PortalReply),
            Just(Route::Upload),
            Just(Route::Download),
        ],
        0..who.cookies.len(),
        id_text(),
        parts(),
        any::<bool>(),
        raw_bytes(),
    );
    let mut before = checksum(app).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..ROUTE_CASES {
        let (route, c, id, parts, truncated, extra) = case.new_tree(&mut runner).unwrap().current();
        let id = id.replace(
            "{valid}",
            &match route {
                Route::PortalReply => who.number.to_string(),
                _ => who.id.to_string(),
            },
        );
        let boundary = "fuzzboundary";
        let mut body = Vec::new();
        for (name, file, content) in &parts {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"").as_bytes(),
            );
            body.extend_from_slice(name);
            body.push(b'"');
            if let Some(file) = file {
                body.extend_from_slice(b"; filename=\"");
                body.extend_from_slice(file);
                body.extend_from_slice(b"\"\r\nContent-Type: text/plain");
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        if !truncated {
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        }
        let escaped: String = extra.iter().map(|b| format!("%{b:02X}")).collect();
        // Within what an address may carry (http refuses longer ones before Grip).
        let escaped = &escaped[..escaped.len().min(3000)];
        let (method, path, content_type) = match route {
            Route::PortalNew => (
                "POST",
                "/portal/new".to_string(),
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Route::PortalReply => (
                "POST",
                format!("/portal/tickets/{id}/reply"),
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Route::Upload => (
                "POST",
                format!("/attachments?ticket={id}"),
                "text/plain".to_string(),
            ),
            Route::Download => (
                "GET",
                format!("/attachments/{id}/{escaped}?preview={escaped}"),
                String::new(),
            ),
        };
        let mut req = Request::builder()
            .method(method)
            .uri(&path)
            .header(header::HOST, "grip.test")
            .header(header::ORIGIN, "http://grip.test")
            .header(header::ACCEPT, "text/html");
        if !content_type.is_empty() {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        if let Route::Upload = route {
            // The file's name as the composer sends it (percent-encoded), here any bytes.
            req = req.header("x-file-name", escaped);
        }
        if let Some(cookie) = &who.cookies[c] {
            req = req.header(header::COOKIE, cookie);
        }
        let r = app.send(req.body(Body::from(body)).unwrap()).await;
        assert!(
            !r.status.is_server_error(),
            "{method} {} as caller {c}: {} {}",
            &path[..path.len().min(120)],
            r.status,
            &r.body[..r.body.len().min(300)]
        );
        *statuses.entry(r.status.as_u16()).or_default() += 1;
        let after = checksum(app).await;
        let location = r.location().unwrap_or_default();
        let refused = r.status.is_client_error()
            || (r.status.is_redirection()
                && !location.contains("submitted=1")
                && !location.contains("sent=1"));
        if refused {
            assert_eq!(
                before, after,
                "{method} {path} refused ({}) but changed the database",
                r.status
            );
        }
        before = after;
    }
    println!("route fuzzer: {ROUTE_CASES} hostile requests to the portal's forms, uploads and downloads, none 5xx: {statuses:?}");
}
