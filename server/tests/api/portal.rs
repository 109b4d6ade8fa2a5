//! The customer portal through the real router on both backends, written as an
//! attacker would try it: another customer's ticket by number, by id, through every
//! server function and attachment URL; internal notes by any path; submitting before
//! verifying; reusing a reset link. Also the happy paths: register, verify, submit
//! with a file, follow, reply, close and reopen, company managers.

use app::auth::model::{Email, PersonName};
use app::customers::store as customers;
use app::teams::store as teams;
use app::tickets::conversation::model::{MessageBody, MessageKind};
use app::tickets::conversation::store::{self as conversation, Writer};
use app::tickets::store;
use axum::body::Body;
use http::{header, Request, StatusCode};

use crate::common::{Reply, TestApp, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_customer_registers_verifies_and_submits_a_ticket_with_a_file,
    an_unverified_customer_cannot_submit_and_is_told_why,
    registering_someone_elses_email_never_signs_the_registrant_in,
    registering_answers_the_same_whether_or_not_the_email_has_an_account,
    a_customers_uploads_stop_at_their_daily_quota_and_hourly_rate,
    a_customer_gets_404_for_anyone_elses_ticket_whatever_the_path,
    a_customer_never_receives_an_internal_note_or_its_file,
    replying_to_a_waiting_ticket_reopens_it_and_the_customer_can_close_and_reopen,
    a_reset_link_works_once_expires_and_signs_out_other_sessions,
    a_company_manager_sees_company_tickets_and_a_plain_member_does_not,
    a_customer_in_two_companies_asks_for_one_and_only_its_managers_see_it,
    a_registered_customer_takes_over_the_record_an_agent_created,
    a_refused_submission_writes_nothing_and_keeps_what_was_typed,
    the_list_filters_sorts_searches_and_pages,
    customers_choose_among_the_teams_that_take_portal_requests,
    files_uploaded_before_a_request_is_sent_go_with_it_and_with_nothing_else,
    a_request_whose_confirmation_cannot_be_queued_leaves_nothing_behind,
);

const PASSWORD: &str = "customer password is long";

/// Asks for an account through `/portal/register`'s server function: a name and an
/// email, nothing else; it signs nobody in.
async fn register(app: &TestApp, name: &str, email: &str) -> Reply {
    let r = app
        .call("/api/register", &[("name", name), ("email", email)], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "register failed: {}", r.body);
    assert!(
        r.cookie().is_none(),
        "asking for an account signs nobody in"
    );
    r
}

/// The newest outbox mail to `to`: (subject, body).
async fn last_mail(app: &TestApp, to: &str) -> Option<(String, String)> {
    app::db!(&app.db, pool => sqlx::query_as::<_, (String, String)>(
        "SELECT subject, body FROM outbox WHERE to_addr = $1 ORDER BY id DESC LIMIT 1"
    ).bind(to).fetch_optional(pool).await)
    .unwrap()
}

async fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT body FROM outbox WHERE to_addr = $1 ORDER BY id"
    ).bind(to).fetch_all(pool).await)
    .unwrap()
}

/// The token of the link in a mail body (`?token=…`).
fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + 6;
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

/// Chooses `password` on the registration link `token`'s page.
async fn finish_with(app: &TestApp, token: &str, password: &str) -> Reply {
    app.call(
        "/api/register/finish",
        &[
            ("token", token),
            ("password", password),
            ("confirm", password),
        ],
        None,
    )
    .await
}

/// Opens the newest registration link mailed to `email` and chooses the password
/// there, as its owner does; returns the signed-in cookie.
async fn finish(app: &TestApp, email: &str) -> String {
    let (subject, body) = last_mail(app, email).await.expect("a registration mail");
    assert_eq!(subject, "Finish creating your account");
    let token = token_in(&body);
    let page = app
        .get(&format!("/portal/verify?token={token}"), None)
        .await;
    assert!(
        page.body
            .contains(&format!("Choose the password for {email}")),
        "the link's page: {}",
        page.body
    );
    let r = finish_with(app, &token, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "finishing failed: {}", r.body);
    r.cookie().expect("finishing signs in")
}

/// A registered (and so confirmed) customer's cookie.
async fn verified_customer(app: &TestApp, name: &str, email: &str) -> String {
    register(app, name, email).await;
    finish(app, email).await
}

/// A customer's account as the old registration left it: a password chosen by
/// whoever typed the email, never confirmed. Returns its signed-in cookie.
async fn unconfirmed_account(app: &TestApp, name: &str, email: &str, password: &str) -> String {
    let hash = app::auth::password::hash_password(password.into())
        .await
        .unwrap();
    let new = app::auth::store::NewUser {
        name: &PersonName::parse(name).unwrap(),
        email: &Email::parse(email).unwrap(),
        role: app::auth::Role::Customer,
        password_hash: &hash,
    };
    let id = app::auth::store::create_user(&app.db, new, None, false)
        .await
        .unwrap();
    app::db!(&app.db, pool => sqlx::query("UPDATE users SET verified_at = NULL WHERE id = $1")
        .bind(id).execute(pool).await.map(|_| ()))
    .unwrap();
    app.signed_in(email, password).await
}

/// Posts a multipart form as a browser does (`files`: field, file name, type, bytes).
pub(crate) async fn post_multipart(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
    cookie: Option<&str>,
) -> Reply {
    let boundary = "----gripboundary7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, file, ctype, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {ctype}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut b = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::ACCEPT, "text/html")
        .header(header::HOST, "grip.test")
        .header(header::ORIGIN, "http://grip.test");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

/// Submits a ticket in the portal; returns its number.
async fn submit(
    app: &TestApp,
    cookie: &str,
    title: &str,
    files: &[(&str, &str, &str, &[u8])],
) -> i64 {
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", title),
            ("description", "It **broke** this morning."),
            ("priority", "high"),
        ],
        files,
        Some(cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().unwrap();
    assert!(to.ends_with("?submitted=1"), "went to {to}");
    to.trim_start_matches("/portal/tickets/")
        .trim_end_matches("?submitted=1")
        .parse()
        .unwrap()
}

async fn ticket_id(app: &TestApp, number: i64) -> i64 {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM tickets WHERE number = $1")
        .bind(number).fetch_one(pool).await)
    .unwrap()
}

async fn admin_id(app: &TestApp) -> i64 {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(pool).await).unwrap()
}

/// A staff message on a ticket (as the ticket page's composer posts it).
async fn staff_says(app: &TestApp, ticket: i64, kind: MessageKind, text: &str) {
    conversation::post_message(
        &app.db,
        &app.state.outbox,
        ticket,
        Writer::Staff(admin_id(app).await),
        kind,
        &MessageBody::parse(text).unwrap(),
        &[],
        "http://grip.test",
    )
    .await
    .unwrap();
}

async fn stage_kind(app: &TestApp, number: i64) -> String {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT s.kind FROM tickets t JOIN stages s ON s.id = t.stage_id WHERE t.number = $1"
    ).bind(number).fetch_one(pool).await)
    .unwrap()
}

async fn a_customer_registers_verifies_and_submits_a_ticket_with_a_file(app: &TestApp) {
    app.setup_admin().await;
    register(app, "Cora Customer", "Cora@Initech.example").await;
    let (subject, body) = last_mail(app, "cora@initech.example").await.unwrap();
    assert_eq!(subject, "Finish creating your account");
    assert!(
        body.contains("http://127.0.0.1:3000/portal/verify?token="),
        "{body}"
    );
    // The token is stored only as a hash.
    let token = token_in(&body);
    let stored: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM registrations WHERE token_hash = $1").bind(&token).fetch_one(pool).await).unwrap();
    assert_eq!(stored, 0);
    let cookie = finish(app, "cora@initech.example").await;
    // A second use of the same link does nothing.
    let again = app
        .get(&format!("/portal/verify?token={token}"), None)
        .await;
    assert!(again.body.contains("expired or was already used"));
    let r = finish_with(app, &token, "another password entirely").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.cookie().is_none());

    let number = submit(
        app,
        &cookie,
        "Invoice PDF is empty",
        &[(
            "attachments",
            "screen.png",
            "image/png",
            b"PNG fake image bytes",
        )],
    )
    .await;
    let (source, priority): (String, String) = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT source, priority FROM tickets WHERE number = $1").bind(number).fetch_one(pool).await).unwrap();
    assert_eq!((source.as_str(), priority.as_str()), ("portal", "high"));
    // The confirmation page and email carry the number.
    let page = app
        .get(
            &format!("/portal/tickets/{number}?submitted=1"),
            Some(&cookie),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("your request #{number} is in")));
    assert!(page.body.contains("screen.png"));
    let (subject, body) = last_mail(app, "cora@initech.example").await.unwrap();
    assert!(subject.contains(&format!("#{number}")));
    assert!(body.contains(&format!("/portal/tickets/{number}")));
    // The file downloads for its customer.
    let id: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM attachments WHERE name = 'screen.png'").fetch_one(pool).await)
    .unwrap();
    let file = app
        .get(&format!("/attachments/{id}/screen.png"), Some(&cookie))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body.as_bytes(), b"PNG fake image bytes");
    // The list shows it.
    let list = app.get("/portal", Some(&cookie)).await;
    assert!(list.body.contains("Invoice PDF is empty"), "{}", list.body);
}

async fn an_unverified_customer_cannot_submit_and_is_told_why(app: &TestApp) {
    app.setup_admin().await;
    // An account the old registration made: its password was typed by whoever gave
    // the email, which nobody confirmed.
    let cookie = unconfirmed_account(app, "Una Verified", "una@example.com", PASSWORD).await;
    let page = app.get("/portal", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Confirm your email to continue"));
    assert!(page.body.contains("Email me a link"));
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Let me in"),
            ("description", "Please"),
            ("priority", "low"),
        ],
        &[],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location().as_deref(), Some("/portal/new"));
    let count: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tickets").fetch_one(pool).await).unwrap();
    assert_eq!(count, 0);
    // The link it asks for is a registration link: its owner chooses the password.
    let r = app.call("/api/verify/resend", &[], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (_, body) = last_mail(app, "una@example.com").await.unwrap();
    let token = token_in(&body);
    let r = finish_with(app, &token, "the owner's own password").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let owner = r.cookie().unwrap();
    let page = app.get("/portal", Some(&owner)).await;
    assert!(!page.body.contains("Confirm your email to continue"));
    // Whoever typed the first password is signed out and cannot sign in with it.
    let old = app.get("/portal", Some(&cookie)).await;
    assert!(
        !old.body.contains("Una Verified"),
        "the old session is void"
    );
    assert_eq!(
        app.login("una@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Defect: anyone could register a customer's email with a password of their own and,
/// once the owner (or a mail scanner) opened the link, read that customer's tickets.
/// Now asking for an account sets no password, opening the link changes nothing,
/// and only the one who chooses the password on the link's page gets in.
async fn registering_someone_elses_email_never_signs_the_registrant_in(app: &TestApp) {
    app.setup_admin().await;
    let victim = customers::create_customer(
        &app.db,
        &PersonName::parse("Vera Victim").unwrap(),
        &Email::parse("vera@example.com").unwrap(),
        None,
    )
    .await
    .unwrap();
    let team = teams::default_team_id(&app.db).await.unwrap();
    crate::common::ticket_for(
        &app.db,
        admin_id(app).await,
        team,
        victim,
        "Vera's private matter",
    )
    .await;
    // The attacker asks for an account with Vera's email, sending a password too.
    let r = app
        .call(
            "/api/register",
            &[
                ("name", "Mallory"),
                ("email", "vera@example.com"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
            None,
        )
        .await;
    assert!(r.cookie().is_none(), "not signed in");
    assert_eq!(
        app.login("vera@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A mail scanner (or Vera) opens the link: nothing changes.
    let (_, body) = last_mail(app, "vera@example.com").await.unwrap();
    let token = token_in(&body);
    for _ in 0..2 {
        let page = app
            .get(&format!("/portal/verify?token={token}"), None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page
            .body
            .contains("Choose the password for vera@example.com"));
    }
    assert_eq!(
        app.login("vera@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let accounts: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users WHERE email = 'vera@example.com'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(
        accounts, 0,
        "no account before the owner chooses a password"
    );
    // Vera chooses her password on the page; only she is in, under her own password.
    let r = finish_with(app, &token, "vera's own password").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let vera = r.cookie().unwrap();
    let list = app.get("/portal", Some(&vera)).await;
    assert!(
        list.body.contains("Vera&#x27;s private matter")
            || list.body.contains("Vera's private matter")
    );
    assert_eq!(
        app.login("vera@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Asking for an account answers the same whether or not the email has one; the
/// owner of an existing account is told by email, with no link that sets anything.
async fn registering_answers_the_same_whether_or_not_the_email_has_an_account(app: &TestApp) {
    app.setup_admin().await;
    verified_customer(app, "Erin Existing", "erin@example.com").await;
    let fresh = register(app, "Nina New", "nina@example.com").await;
    let known = register(app, "Erin Again", "erin@example.com").await;
    assert_eq!((fresh.status, &fresh.body), (known.status, &known.body));
    let (subject, body) = last_mail(app, "erin@example.com").await.unwrap();
    assert_eq!(subject, "You already have an account");
    assert!(!body.contains("token="), "{body}");
    // At most three emails an hour to one address; the answer stays the same.
    for _ in 0..4 {
        let again = register(app, "Nina New", "nina@example.com").await;
        assert_eq!((again.status, &again.body), (fresh.status, &fresh.body));
    }
    assert_eq!(mails_to(app, "nina@example.com").await.len(), 3);
}

async fn a_customer_gets_404_for_anyone_elses_ticket_whatever_the_path(app: &TestApp) {
    app.setup_admin().await;
    let owner = verified_customer(app, "Olga Owner", "olga@example.com").await;
    let number = submit(
        app,
        &owner,
        "Olga's secret title",
        &[("attachments", "olga.txt", "text/plain", b"olga's file")],
    )
    .await;
    let id = ticket_id(app, number).await;
    let file: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM attachments WHERE name = 'olga.txt'").fetch_one(pool).await)
    .unwrap();
    let mallory = verified_customer(app, "Mallory", "mallory@example.com").await;
    let secret = "Olga's secret title";

    let page = app
        .get(&format!("/portal/tickets/{number}"), Some(&mallory))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains(secret));
    let missing = app.get("/portal/tickets/999999", Some(&mallory)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let list = app.get("/portal?status=all", Some(&mallory)).await;
    assert!(!list.body.contains(secret));
    let search = app
        .get(&format!("/portal?status=all&q={number}"), Some(&mallory))
        .await;
    assert!(!search.body.contains(secret));
    let dl = app
        .get(&format!("/attachments/{file}/olga.txt"), Some(&mallory))
        .await;
    assert_eq!(dl.status, StatusCode::NOT_FOUND);
    let staff_page = app.get(&format!("/tickets/{number}"), Some(&mallory)).await;
    assert!(!staff_page.body.contains(secret));
    let reply = post_multipart(
        app,
        &format!("/portal/tickets/{number}/reply"),
        &[("body", "mine now")],
        &[],
        Some(&mallory),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    for (fn_path, args) in [
        ("/api/portal/close", vec![("number", number.to_string())]),
        ("/api/portal/reopen", vec![("number", number.to_string())]),
        ("/api/portal/ticket", vec![("number", number.to_string())]),
        ("/api/tickets/get", vec![("number", number.to_string())]),
        ("/api/tickets/side", vec![("ticket_id", id.to_string())]),
    ] {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app.call(fn_path, &args, Some(&mallory)).await;
        assert!(!r.body.contains(secret), "{fn_path} leaked: {}", r.body);
        assert!(
            r.status.is_client_error(),
            "{fn_path} answered {}",
            r.status
        );
    }
    // Every registered server function, with every argument naming the ticket's number
    // or id, gives Mallory nothing of it.
    for path in leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()) {
        for value in [number.to_string(), id.to_string()] {
            let args = [
                ("number", value.as_str()),
                ("ticket_id", value.as_str()),
                ("id", value.as_str()),
                ("path", "/portal/tickets/1001"),
                ("query", ""),
            ];
            let r = app.call(&path, &args, Some(&mallory)).await;
            assert!(!r.body.contains(secret), "{path} leaked: {}", r.body);
        }
    }
    // Nothing changed.
    assert_eq!(stage_kind(app, number).await, "open");
}

async fn a_customer_never_receives_an_internal_note_or_its_file(app: &TestApp) {
    let admin = app.setup_admin().await;
    let cookie = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let number = submit(app, &cookie, "Printer on fire", &[]).await;
    let id = ticket_id(app, number).await;
    staff_says(
        app,
        id,
        MessageKind::Note,
        "INTERNAL: customer is on a legacy plan",
    )
    .await;
    staff_says(app, id, MessageKind::Reply, "We are sending a technician.").await;
    // A note with a file, as the composer posts it.
    let up = app
        .upload(
            id,
            "internal.txt",
            "text/plain",
            b"staff only".to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    let file = up.json()["id"].as_i64().unwrap();
    let r = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &id.to_string()),
                ("kind", "note"),
                ("body", "INTERNAL: see the attached file"),
                ("attachment_ids[0]", &file.to_string()),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let page = app
        .get(&format!("/portal/tickets/{number}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("We are sending a technician."));
    assert!(!page.body.contains("INTERNAL"), "a note reached the portal");
    assert!(!page.body.contains("internal.txt"));
    // The page's data, as the browser loads it on a client-side visit.
    let data = app
        .call(
            "/api/portal/ticket",
            &[("number", &number.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    assert!(data.body.contains("technician") && !data.body.contains("INTERNAL"));
    assert!(!data.body.contains("internal.txt"));
    let dl = app
        .get(&format!("/attachments/{file}/internal.txt"), Some(&cookie))
        .await;
    assert_eq!(dl.status, StatusCode::NOT_FOUND);
    // The public reply was emailed; the notes never were.
    let mails = mails_to(app, "cora@example.com").await.join("\n");
    assert!(mails.contains("We are sending a technician."));
    assert!(!mails.contains("INTERNAL"));
}

async fn replying_to_a_waiting_ticket_reopens_it_and_the_customer_can_close_and_reopen(
    app: &TestApp,
) {
    app.setup_admin().await;
    let cookie = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let number = submit(app, &cookie, "Where is my order", &[]).await;
    let id = ticket_id(app, number).await;
    let waiting: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT s.id FROM stages s JOIN tickets t ON t.team_id = s.team_id WHERE t.id = $1 AND s.kind = 'waiting'"
    ).bind(id).fetch_one(pool).await).unwrap();
    store::move_ticket(
        &app.db,
        admin_id(app).await,
        id,
        waiting,
        Default::default(),
    )
    .await
    .unwrap();
    let r = post_multipart(
        app,
        &format!("/portal/tickets/{number}/reply"),
        &[("body", "Here is the **tracking** number.")],
        &[("attachments", "receipt.txt", "text/plain", b"receipt")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location().as_deref(),
        Some(format!("/portal/tickets/{number}?sent=1").as_str())
    );
    assert_eq!(stage_kind(app, number).await, "open");
    let customer_user: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE email = 'cora@example.com'").fetch_one(pool).await)
    .unwrap();
    let trail = app::audit::audit_for(&app.db, "ticket", id).await.unwrap();
    assert!(trail.iter().any(|a| a.action == "moved"
        && a.actor_id == Some(customer_user)
        && a.new_value.as_deref() == Some("New")));
    assert!(trail.iter().any(|a| a.action == "customer_replied"));
    let page = app
        .get(&format!("/portal/tickets/{number}"), Some(&cookie))
        .await;
    assert!(page.body.contains("<strong>tracking"));
    assert!(page.body.contains("receipt.txt"));

    // "This is solved", then reopen; a reply to a closed ticket is refused.
    let r = app
        .call(
            "/api/portal/close",
            &[("number", &number.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(stage_kind(app, number).await, "done");
    let r = post_multipart(
        app,
        &format!("/portal/tickets/{number}/reply"),
        &[("body", "more")],
        &[],
        Some(&cookie),
    )
    .await;
    assert!(r.location().unwrap().contains("__err"));
    let r = app
        .call(
            "/api/portal/reopen",
            &[("number", &number.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(stage_kind(app, number).await, "open");
    // Closed more than 14 days ago: no reopening.
    app.call(
        "/api/portal/close",
        &[("number", &number.to_string())],
        Some(&cookie),
    )
    .await;
    app::db!(&app.db, pool => sqlx::query("UPDATE tickets SET completed_at = completed_at - 15 * 86400000 WHERE id = $1")
        .bind(id).execute(pool).await.map(|_| ())).unwrap();
    let r = app
        .call(
            "/api/portal/reopen",
            &[("number", &number.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("more than 14 days"));
    assert_eq!(stage_kind(app, number).await, "done");
}

async fn a_reset_link_works_once_expires_and_signs_out_other_sessions(app: &TestApp) {
    app.setup_admin().await;
    let old_session = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let other_device = app.signed_in("cora@example.com", PASSWORD).await;
    // The same answer for an unknown email, and no mail for it.
    let known = app
        .post(
            "/api/password/forgot",
            &[("email", "cora@example.com")],
            None,
            "text/html",
            Some("http://grip.test"),
        )
        .await;
    let unknown = app
        .post(
            "/api/password/forgot",
            &[("email", "nobody@example.com")],
            None,
            "text/html",
            Some("http://grip.test"),
        )
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.location(), unknown.location());
    assert!(last_mail(app, "nobody@example.com").await.is_none());
    let (subject, body) = last_mail(app, "cora@example.com").await.unwrap();
    assert_eq!(subject, "Reset your password");
    let token = token_in(&body);
    let form = app.get(&format!("/reset?token={token}"), None).await;
    assert!(form.body.contains("Set the new password"));

    let new_password = "a brand new long password";
    let r = app
        .call(
            "/api/password/reset",
            &[
                ("token", &token),
                ("password", new_password),
                ("confirm", new_password),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fresh = r.cookie().expect("the reset signs this browser in");
    // Every other session is signed out; this one works.
    for c in [&old_session, &other_device] {
        let page = app.get("/portal", Some(c)).await;
        assert_eq!(page.status, StatusCode::FOUND, "an old session still works");
    }
    assert_eq!(
        app.get("/portal", Some(&fresh)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("cora@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.signed_in("cora@example.com", new_password).await;
    // Once only.
    let again = app
        .call(
            "/api/password/reset",
            &[
                ("token", &token),
                ("password", "yet another long password"),
                ("confirm", "yet another long password"),
            ],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("expired or was already used"));
    // An hour later a link no longer works.
    app.post(
        "/api/password/forgot",
        &[("email", "cora@example.com")],
        None,
        "text/html",
        Some("http://grip.test"),
    )
    .await;
    let (_, body) = last_mail(app, "cora@example.com").await.unwrap();
    let late = token_in(&body);
    app::db!(&app.db, pool => sqlx::query("UPDATE email_tokens SET expires_at = expires_at - 3600001 WHERE purpose = 'reset'")
        .execute(pool).await.map(|_| ())).unwrap();
    let page = app.get(&format!("/reset?token={late}"), None).await;
    assert!(page.body.contains("expired or was already used"));
    let r = app
        .call(
            "/api/password/reset",
            &[
                ("token", &late),
                ("password", "late long password!"),
                ("confirm", "late long password!"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn set_company(app: &TestApp, admin: &str, email: &str, company: &str, manager: bool) {
    let customer: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM customers WHERE email = $1").bind(email).fetch_one(pool).await)
    .unwrap();
    let mut args = vec![
        ("customer_id", customer.to_string()),
        ("company", company.to_string()),
    ];
    if manager {
        args.push(("manager", "on".to_string()));
    }
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .call("/api/admin/customers/company", &args, Some(admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Adds a company through its server function (as staff): its id.
async fn company(app: &TestApp, staff: &str, name: &str) -> i64 {
    let r = app
        .call(
            "/api/companies/create",
            &[
                ("name", name),
                ("domains", ""),
                ("notes", ""),
                ("tags", ""),
                ("owner", ""),
            ],
            Some(staff),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM companies WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

/// Puts the customer with `email` in `company` as `role` (as staff).
async fn join(app: &TestApp, staff: &str, company: i64, email: &str, role: &str) {
    let r = app
        .call(
            "/api/companies/member",
            &[
                ("id", &company.to_string()),
                ("email", email),
                ("role", role),
            ],
            Some(staff),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn a_customer_in_two_companies_asks_for_one_and_only_its_managers_see_it(app: &TestApp) {
    let admin = app.setup_admin().await;
    let dana = verified_customer(app, "Dana Double", "dana@double.example").await;
    let bea = verified_customer(app, "Bea Boss", "bea@initech.example").await;
    let gus = verified_customer(app, "Gus Globex", "gus@globex.example").await;
    let initech = company(app, &admin, "Initech").await;
    let globex = company(app, &admin, "Globex").await;
    let elsewhere = company(app, &admin, "Elsewhere").await;
    // Initech first: her primary company.
    join(app, &admin, initech, "dana@double.example", "member").await;
    join(app, &admin, globex, "dana@double.example", "member").await;
    join(app, &admin, initech, "bea@initech.example", "manager").await;
    join(app, &admin, globex, "gus@globex.example", "manager").await;
    // Gus also belongs to Initech, as a plain member: managing Globex says nothing
    // about Initech's tickets.
    join(app, &admin, initech, "gus@globex.example", "member").await;
    // The form asks which company, her primary one first.
    let form = app.get("/portal/new", Some(&dana)).await;
    assert!(
        form.body.contains("Which company is this for?"),
        "{}",
        form.body
    );
    let at = |name: &str| form.body.find(&format!(">{name}</option>")).unwrap();
    assert!(at("Initech") < at("Globex"));
    // Not saying, or naming a company she is not in, is refused next to the field.
    let fields = |company: &str| {
        vec![
            ("title", "Globex invoice".to_string()),
            ("description", "For Globex, please.".to_string()),
            ("priority", "normal".to_string()),
            ("company", company.to_string()),
        ]
    };
    for wrong in [String::new(), elsewhere.to_string()] {
        let f = fields(&wrong);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post_multipart(app, "/portal/new", &f, &[], Some(&dana)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let back = r.location().unwrap();
        assert!(!back.contains("submitted"), "{back}");
        let page = app.get(&back, Some(&dana)).await;
        assert!(
            page.body
                .contains("Choose which company this request is for."),
            "{}",
            page.body
        );
    }
    let count: i64 =
        app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tickets")
        .fetch_one(pool).await)
        .unwrap();
    assert_eq!(count, 0, "a refused request writes nothing");
    // For Globex: Globex's manager sees it, Initech's does not.
    let f = fields(&globex.to_string());
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(app, "/portal/new", &f, &[], Some(&dana)).await;
    let to = r.location().unwrap();
    assert!(to.ends_with("?submitted=1"), "{to}");
    let number: i64 = to
        .trim_start_matches("/portal/tickets/")
        .trim_end_matches("?submitted=1")
        .parse()
        .unwrap();
    let page = |who: &str| {
        let who = who.to_string();
        async move {
            app.get(&format!("/portal/tickets/{number}"), Some(&who))
                .await
                .status
        }
    };
    assert_eq!(page(&dana).await, StatusCode::OK);
    assert_eq!(page(&gus).await, StatusCode::OK);
    assert_eq!(page(&bea).await, StatusCode::NOT_FOUND);
    assert!(app
        .get("/portal", Some(&gus))
        .await
        .body
        .contains("Globex invoice"));
    assert!(!app
        .get("/portal", Some(&bea))
        .await
        .body
        .contains("Globex invoice"));
    // Her next request, for Initech (her primary company), is Bea's to see.
    let f = [
        ("title", "Initech badge"),
        ("description", "My badge stopped working."),
        ("priority", "normal"),
        ("company", &initech.to_string()),
    ];
    let r = post_multipart(app, "/portal/new", &f, &[], Some(&dana)).await;
    assert!(r.location().unwrap().ends_with("?submitted=1"));
    assert!(app
        .get("/portal", Some(&bea))
        .await
        .body
        .contains("Initech badge"));
    assert!(!app
        .get("/portal", Some(&gus))
        .await
        .body
        .contains("Initech badge"));
    // Staff see the ticket on Globex's page; removing Gus as a member ends his view.
    let company_page = app.get(&format!("/companies/{globex}"), Some(&admin)).await;
    assert!(
        company_page.body.contains("Globex invoice"),
        "{}",
        company_page.body
    );
    let gus_id: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM customers WHERE email = 'gus@globex.example'").fetch_one(pool).await)
    .unwrap();
    let r = app
        .call(
            "/api/companies/member-remove",
            &[
                ("id", &globex.to_string()),
                ("customer", &gus_id.to_string()),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(page(&gus).await, StatusCode::NOT_FOUND);
}

async fn a_company_manager_sees_company_tickets_and_a_plain_member_does_not(app: &TestApp) {
    let admin = app.setup_admin().await;
    let boss = verified_customer(app, "Bea Boss", "bea@initech.example").await;
    let member = verified_customer(app, "Milo Member", "milo@initech.example").await;
    let colleague = verified_customer(app, "Cal Colleague", "cal@initech.example").await;
    let outsider = verified_customer(app, "Otto Outsider", "otto@elsewhere.example").await;
    set_company(app, &admin, "bea@initech.example", "Initech", true).await;
    set_company(app, &admin, "milo@initech.example", "Initech", false).await;
    set_company(app, &admin, "cal@initech.example", "Initech", false).await;
    let cals = submit(app, &colleague, "Cal's stapler", &[]).await;
    let ottos = submit(app, &outsider, "Otto's request", &[]).await;
    // The manager sees and answers the colleague's ticket, not the outsider's.
    let list = app.get("/portal", Some(&boss)).await;
    assert!(
        list.body.contains("Cal&#x27;s stapler") || list.body.contains("Cal's stapler"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("Otto"));
    assert_eq!(
        app.get(&format!("/portal/tickets/{cals}"), Some(&boss))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/portal/tickets/{ottos}"), Some(&boss))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = post_multipart(
        app,
        &format!("/portal/tickets/{cals}/reply"),
        &[("body", "Bea here")],
        &[],
        Some(&boss),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap().ends_with("?sent=1"));
    // A plain member of the same company does not.
    assert_eq!(
        app.get(&format!("/portal/tickets/{cals}"), Some(&member))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let list = app.get("/portal?status=all", Some(&member)).await;
    assert!(!list.body.contains("stapler"));
    // The change is audited; a manager without a company is refused next to the field.
    let customer: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM customers WHERE email = 'bea@initech.example'").fetch_one(pool).await)
    .unwrap();
    let trail = app::audit::audit_for(&app.db, "customer", customer)
        .await
        .unwrap();
    assert!(trail
        .iter()
        .any(|a| a.field.as_deref() == Some("company_manager")));
    let r = app
        .post(
            "/api/admin/customers/company",
            &[
                ("customer_id", &customer.to_string()),
                ("company", " "),
                ("manager", "on"),
            ],
            Some(&admin),
            "text/html",
            Some("http://grip.test"),
        )
        .await;
    let back = r.location().unwrap();
    assert!(back.contains("__err"), "{back}");
    let page = app
        .get(&back.replace("/login", "/admin/customers"), Some(&admin))
        .await;
    assert!(
        page.body.contains("A company manager needs a company"),
        "{}",
        page.body
    );
    // Only admins may change it.
    let r = app
        .call(
            "/api/admin/customers/company",
            &[("customer_id", &customer.to_string()), ("company", "Mine")],
            Some(&boss),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn a_registered_customer_takes_over_the_record_an_agent_created(app: &TestApp) {
    app.setup_admin().await;
    let customer = customers::create_customer(
        &app.db,
        &PersonName::parse("Dana Doe").unwrap(),
        &Email::parse("dana@example.com").unwrap(),
        None,
    )
    .await
    .unwrap();
    let team = teams::default_team_id(&app.db).await.unwrap();
    let t = crate::common::ticket_for(
        &app.db,
        admin_id(app).await,
        team,
        customer,
        "Phoned in: broken hinge",
    )
    .await;
    // Asking for the account gives nobody access; the owner's password does.
    register(app, "Dana D.", "dana@example.com").await;
    let cookie = finish(app, "dana@example.com").await;
    let page = app
        .get(&format!("/portal/tickets/{}", t.number), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("broken hinge"));
    let records: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM customers WHERE email = 'dana@example.com'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(records, 1);
    let _ = STAFF_PASSWORD;
}

async fn a_refused_submission_writes_nothing_and_keeps_what_was_typed(app: &TestApp) {
    app.setup_admin().await;
    let cookie = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "  "),
            ("description", "Typed with care"),
            ("priority", "urgent"),
        ],
        &[("attachments", "a.txt", "text/plain", b"a")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.location().unwrap();
    assert!(back.starts_with("/portal/new?"), "{back}");
    let page = app.get(&back, Some(&cookie)).await;
    assert!(page.body.contains("Typed with care"), "{}", page.body);
    assert!(page.body.contains("aria-invalid=\"true\""));
    // Urgent is for staff.
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Real title"),
            ("description", "x"),
            ("priority", "urgent"),
        ],
        &[],
        Some(&cookie),
    )
    .await;
    let page = app.get(&r.location().unwrap(), Some(&cookie)).await;
    assert!(page.body.contains("Choose low, normal or high."));
    let (tickets, files): (i64, i64) = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM attachments)").fetch_one(pool).await).unwrap();
    assert_eq!((tickets, files), (0, 0));
    // No spooled file is left behind.
    let incoming = app.attachments_dir().join("incoming");
    let left = std::fs::read_dir(&incoming).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0);
    // Over the size limit: refused naming the limit, nothing written.
    let big = vec![b'x'; 26 * 1024 * 1024];
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Big file"),
            ("description", "see file"),
            ("priority", "low"),
        ],
        &[("attachments", "big.bin", "application/octet-stream", &big)],
        Some(&cookie),
    )
    .await;
    let page = app.get(&r.location().unwrap(), Some(&cookie)).await;
    assert!(
        page.body.contains("25 MB"),
        "{}",
        &page.body[..page.body.len().min(2000)]
    );
    let tickets: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tickets").fetch_one(pool).await).unwrap();
    assert_eq!(tickets, 0);
}

async fn the_list_filters_sorts_searches_and_pages(app: &TestApp) {
    app.setup_admin().await;
    let cookie = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let mut numbers = Vec::new();
    for i in 0..30 {
        numbers.push(submit(app, &cookie, &format!("Request number {i:02}"), &[]).await);
    }
    let first = app.get("/portal", Some(&cookie)).await.body;
    assert!(first.contains("Request number 29"));
    assert!(!first.contains("Request number 04"), "a page holds 25");
    let next = first
        .split("href=\"/portal?status=open&amp;sort=updated&amp;q=&amp;after=")
        .nth(1)
        .expect("a next-page link")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let second = app
        .get(
            &format!("/portal?status=open&sort=updated&q=&after={next}"),
            Some(&cookie),
        )
        .await
        .body;
    assert!(second.contains("Request number 04") && !second.contains("Request number 29"));
    // Closed ones only under "closed"; search by number and by words.
    app.call(
        "/api/portal/close",
        &[("number", &numbers[3].to_string())],
        Some(&cookie),
    )
    .await;
    let closed = app.get("/portal?status=closed", Some(&cookie)).await.body;
    assert!(closed.contains("Request number 03") && !closed.contains("Request number 04"));
    let by_number = app
        .get(
            &format!("/portal?status=all&q=%23{}", numbers[7]),
            Some(&cookie),
        )
        .await
        .body;
    assert!(by_number.contains("Request number 07") && !by_number.contains("Request number 08"));
    let by_words = app
        .get("/portal?status=all&q=number+1", Some(&cookie))
        .await
        .body;
    assert!(by_words.contains("Request number 12") && !by_words.contains("Request number 22"));
    // Oldest activity last: a reply moves a ticket to the top of "last update".
    post_multipart(
        app,
        &format!("/portal/tickets/{}/reply", numbers[0]),
        &[("body", "bump")],
        &[],
        Some(&cookie),
    )
    .await;
    let top = app.get("/portal?sort=updated", Some(&cookie)).await.body;
    let first_row = top.find("Request number").unwrap();
    assert!(top[first_row..].starts_with("Request number 00"));
    let created = app.get("/portal?sort=created", Some(&cookie)).await.body;
    let first_row = created.find("Request number").unwrap();
    assert!(created[first_row..].starts_with("Request number 29"));
}

async fn customers_choose_among_the_teams_that_take_portal_requests(app: &TestApp) {
    let admin = app.setup_admin().await;
    let cookie = verified_customer(app, "Cora Customer", "cora@example.com").await;
    // One team: no question asked.
    let page = app.get("/portal/new", Some(&cookie)).await;
    assert!(!page.body.contains("What do you need help with?"));
    let r = app
        .call(
            "/api/admin/teams/create",
            &[("name", "Billing")],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let billing: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM teams WHERE name = 'Billing'").fetch_one(pool).await)
    .unwrap();
    let page = app.get("/portal/new", Some(&cookie)).await;
    assert!(page.body.contains("What do you need help with?"));
    assert!(page.body.contains("Billing"));
    // The customer's choice decides the team.
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Double charge"),
            ("description", "Twice in May."),
            ("priority", "normal"),
            ("team", &billing.to_string()),
        ],
        &[],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let team: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT team_id FROM tickets WHERE title = 'Double charge'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(team, billing);
    // An admin stops Billing's portal requests: no longer offered, nor accepted.
    let r = app
        .call(
            "/api/admin/teams/portal",
            &[("team_id", &billing.to_string()), ("accepts", "false")],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = app.get("/portal/new", Some(&cookie)).await;
    assert!(!page.body.contains("What do you need help with?"));
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Again"),
            ("description", "x"),
            ("priority", "normal"),
            ("team", &billing.to_string()),
        ],
        &[],
        Some(&cookie),
    )
    .await;
    let team: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT team_id FROM tickets WHERE title = 'Again'").fetch_one(pool).await)
    .unwrap();
    assert_ne!(team, billing, "{:?}", r.location());
    let trail = app::audit::audit_for(&app.db, "team", billing)
        .await
        .unwrap();
    assert!(trail
        .iter()
        .any(|a| a.field.as_deref() == Some("accepts_portal")));
    // Not for customers.
    let r = app
        .call(
            "/api/admin/teams/portal",
            &[("team_id", &billing.to_string()), ("accepts", "true")],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// The id of a pending upload answered by `/attachments`.
fn upload_id(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::OK, "upload refused: {}", r.body);
    r.json()["id"]
        .as_i64()
        .expect("an attachment id")
        .to_string()
}

async fn files_uploaded_before_a_request_is_sent_go_with_it_and_with_nothing_else(app: &TestApp) {
    let admin = app.setup_admin().await;
    let cora = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let mallory = verified_customer(app, "Mallory", "mallory@example.com").await;
    let plan = upload_id(
        &app.upload_at(
            "/attachments",
            "plan.pdf",
            "application/pdf",
            b"%PDF plan".to_vec(),
            Some(&cora),
        )
        .await,
    );
    // Someone else's waiting file cannot ride on their request: refused, nothing
    // written, the file still waits for its owner.
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Steal a file"),
            ("description", "mine now"),
            ("priority", "low"),
            ("attachment_ids[]", &plan),
        ],
        &[],
        Some(&mallory),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.location().unwrap();
    assert!(back.starts_with("/portal/new?"), "{back}");
    let page = app.get(&back, Some(&mallory)).await;
    assert!(page.body.contains("no longer available"), "{}", page.body);
    let tickets: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tickets").fetch_one(pool).await).unwrap();
    assert_eq!(tickets, 0);

    // Its owner sends it with the request, next to a file sent with the form.
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Plan attached"),
            ("description", "See the plan."),
            ("priority", "normal"),
            ("attachment_ids[]", &plan),
        ],
        &[("attachments", "photo.txt", "text/plain", b"photo")],
        Some(&cora),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().unwrap();
    let number: i64 = to
        .trim_start_matches("/portal/tickets/")
        .trim_end_matches("?submitted=1")
        .parse()
        .unwrap_or_else(|_| panic!("went to {to}"));
    let id = ticket_id(app, number).await;
    let tied: Vec<(String, Option<i64>, bool)> = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT name, ticket_id, message_id IS NOT NULL FROM attachments ORDER BY name").fetch_all(pool).await).unwrap();
    assert_eq!(
        tied,
        vec![
            ("photo.txt".to_string(), Some(id), true),
            ("plan.pdf".to_string(), Some(id), true)
        ]
    );
    let page = app
        .get(&format!("/portal/tickets/{number}"), Some(&cora))
        .await;
    assert!(
        page.body.contains("Attached: photo.txt, plan.pdf"),
        "{}",
        page.body
    );
    let file = app
        .get(&format!("/attachments/{plan}/plan.pdf"), Some(&cora))
        .await;
    assert_eq!(file.body.as_bytes(), b"%PDF plan");
    let stolen = app
        .get(&format!("/attachments/{plan}/plan.pdf"), Some(&mallory))
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    // Sent once: it cannot go with a second request.
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Again"),
            ("description", "Same plan"),
            ("priority", "low"),
            ("attachment_ids[]", &plan),
        ],
        &[],
        Some(&cora),
    )
    .await;
    assert!(r.location().unwrap().starts_with("/portal/new?"));

    // A reply's files go up to the ticket first, by its owner only.
    let note = upload_id(
        &app.upload_at(
            &format!("/attachments?ticket={id}"),
            "note.txt",
            "text/plain",
            b"more".to_vec(),
            Some(&cora),
        )
        .await,
    );
    let other = app
        .upload_at(
            &format!("/attachments?ticket={id}"),
            "x.txt",
            "text/plain",
            b"x".to_vec(),
            Some(&mallory),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    let r = post_multipart(
        app,
        &format!("/portal/tickets/{number}/reply"),
        &[("body", "Here is more."), ("attachment_ids[]", &note)],
        &[],
        Some(&cora),
    )
    .await;
    assert_eq!(
        r.location().unwrap(),
        format!("/portal/tickets/{number}?sent=1")
    );
    let on_reply: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM attachments a JOIN messages m ON m.id = a.message_id
         WHERE a.name = 'note.txt' AND m.body = 'Here is more.'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(on_reply, 1);

    // Staff upload to tickets only; an unconfirmed account not at all.
    let staff = app
        .upload_at(
            "/attachments",
            "s.txt",
            "text/plain",
            b"s".to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(staff.status, StatusCode::NOT_FOUND);
    let una = unconfirmed_account(app, "Una Verified", "una@example.com", PASSWORD).await;
    let unverified = app
        .upload_at(
            "/attachments",
            "u.txt",
            "text/plain",
            b"u".to_vec(),
            Some(&una),
        )
        .await;
    assert_eq!(unverified.status, StatusCode::NOT_FOUND);

    // Nobody keeps more than a set number of files waiting.
    let max = app::tickets::conversation::files::MAX_PENDING;
    for i in 0..max {
        upload_id(
            &app.upload_at(
                "/attachments",
                &format!("f{i}.txt"),
                "text/plain",
                vec![b'a'; 3],
                Some(&mallory),
            )
            .await,
        );
    }
    let over = app
        .upload_at(
            "/attachments",
            "one-more.txt",
            "text/plain",
            b"z".to_vec(),
            Some(&mallory),
        )
        .await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.body);
    assert!(over.body.contains("waiting to be sent"), "{}", over.body);
}

async fn a_request_whose_confirmation_cannot_be_queued_leaves_nothing_behind(app: &TestApp) {
    app.setup_admin().await;
    let cora = verified_customer(app, "Cora Customer", "cora@example.com").await;
    let waiting = upload_id(
        &app.upload_at(
            "/attachments",
            "plan.pdf",
            "application/pdf",
            b"%PDF plan".to_vec(),
            Some(&cora),
        )
        .await,
    );
    // The outbox refuses every row from now on (a broken mail queue).
    match &app.db {
        app::store::Db::Sqlite(pool, _) => {
            sqlx::query("CREATE TRIGGER no_mail BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox broken'); END")
                .execute(pool).await.unwrap();
        }
        app::store::Db::Postgres(pool) => {
            sqlx::query("CREATE FUNCTION no_mail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox broken'; END $$ LANGUAGE plpgsql")
                .execute(pool).await.unwrap();
            sqlx::query("CREATE TRIGGER no_mail BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION no_mail()")
                .execute(pool).await.unwrap();
        }
    }
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "All or nothing"),
            ("description", "With two files."),
            ("priority", "normal"),
            ("attachment_ids[]", &waiting),
        ],
        &[("attachments", "photo.txt", "text/plain", b"photo")],
        Some(&cora),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location().unwrap().starts_with("/portal/new?"),
        "{:?}",
        r.location()
    );
    // No ticket, no message, no audit row; the file sent with the form is gone, the
    // one uploaded before still waits for the customer's next try.
    let (tickets, messages, audit): (i64, i64, i64) = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM messages),
                (SELECT COUNT(*) FROM audit_log WHERE entity = 'ticket')").fetch_one(pool).await)
    .unwrap();
    assert_eq!((tickets, messages, audit), (0, 0, 0));
    let left: Vec<(String, Option<i64>)> = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT name, ticket_id FROM attachments ORDER BY name").fetch_all(pool).await)
    .unwrap();
    assert_eq!(left, vec![("plan.pdf".to_string(), None)]);
}

/// Defect: a verified customer could upload without limit (10 × 25 MB a request, as
/// often as they liked). Now each account has a daily quota (250 MB by default) and
/// an hourly number of files (60), counted on every upload path, also for files
/// removed again; the spool keeps nothing of a refused file.
async fn a_customers_uploads_stop_at_their_daily_quota_and_hourly_rate(app: &TestApp) {
    app.setup_admin().await;
    let cookie = verified_customer(app, "Quinn Quota", "quinn@example.com").await;
    let user: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE email = 'quinn@example.com'").fetch_one(pool).await)
    .unwrap();
    let logged = || async {
        app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM upload_log WHERE user_id = $1"
        ).bind(user).fetch_one(pool).await)
        .unwrap()
    };
    let used = |size: i64| async move {
        let now = app::store::now_ms();
        app::db!(&app.db, pool => sqlx::query("INSERT INTO upload_log (user_id, size, at) VALUES ($1, $2, $3)")
            .bind(user).bind(size).bind(now).execute(pool).await.map(|_| ())).unwrap();
    };
    let r = app
        .upload_at(
            "/attachments",
            "a.txt",
            "text/plain",
            b"hello".to_vec(),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(logged().await, 5, "counted");
    // Nearly all of today's quota used: a file larger than what is left is refused.
    used(250 * 1024 * 1024 - 5 - 10).await;
    let r = app
        .upload_at(
            "/attachments",
            "big.txt",
            "text/plain",
            vec![b'x'; 100],
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("you can still upload today"), "{}", r.body);
    // The portal's form refuses it the same way, and writes nothing.
    let r = post_multipart(
        app,
        "/portal/new",
        &[
            ("title", "Quota"),
            ("description", "x"),
            ("priority", "low"),
        ],
        &[("attachments", "big.txt", "text/plain", &[b'x'; 100][..])],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap().starts_with("/portal/new?"));
    let tickets: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tickets").fetch_one(pool).await).unwrap();
    assert_eq!(tickets, 0);
    // All of it used: refused until the oldest upload is a day old.
    used(10).await;
    let r = app
        .upload_at(
            "/attachments",
            "one.txt",
            "text/plain",
            b"1".to_vec(),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("try again in"), "{}", r.body);
    assert!(r.headers.get("retry-after").is_some());
    // A fresh day, but 60 files within the hour: refused too.
    app::db!(&app.db, pool => sqlx::query("DELETE FROM upload_log").execute(pool).await.map(|_| ())).unwrap();
    for _ in 0..60 {
        used(1).await;
    }
    let r = app
        .upload_at(
            "/attachments",
            "one.txt",
            "text/plain",
            b"1".to_vec(),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // Nothing of the refused files waits in the spool.
    let incoming = app.attachments_dir().join("incoming");
    let left = std::fs::read_dir(&incoming).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "the spool is empty");
}
