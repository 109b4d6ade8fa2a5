//! The ticket conversation through the real router on both backends: replies and
//! internal notes, their audit rows, safe Markdown, deleting one's own note, and the
//! rule that no server function or page ever hands a customer an internal note.

use app::audit::audit_for;
use app::auth::model::{Email, PersonName};
use app::customers::store as customers;
use app::teams::store as teams;
use app::tickets::conversation::model::MessageKind;
use app::tickets::conversation::store::{self as conversation, Audience};
use app::tickets::store::{self, TicketRow};
use http::StatusCode;

use crate::common::{TestApp, ADMIN_PASSWORD, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_reply_and_an_internal_note_are_told_apart_and_audited,
    a_blank_message_is_refused_next_to_the_message_box,
    markdown_is_rendered_without_letting_any_markup_through,
    only_the_author_deletes_their_own_note_and_only_within_ten_minutes,
    the_composer_starts_on_the_kind_last_used_on_that_ticket,
    an_agent_of_another_team_cannot_read_or_write_the_conversation,
    a_customer_never_gets_an_internal_note_or_its_file_by_page_or_download,
    attachments_go_with_a_message_and_are_served_only_to_those_who_may_see_them,
    a_file_over_the_limit_is_refused_naming_the_limit,
    the_same_file_twice_is_stored_once_and_its_last_reference_removes_it,
    a_draft_is_saved_restored_never_replaced_by_an_older_one_and_cleared_by_sending,
    canned_replies_are_kept_by_leads_and_filled_for_the_ticket,
    merging_moves_the_conversation_closes_the_duplicate_and_redirects_its_number,
    merging_across_customers_asks_first,
    a_parent_cannot_be_completed_while_a_child_is_open,
    one_timer_runs_per_agent_and_time_is_logged_and_audited,
    a_failed_side_form_shows_its_error_next_to_the_field,
    the_new_ticket_draft_comes_back_with_the_form_and_goes_with_the_ticket,
    an_image_gets_a_small_preview_and_a_bomb_gets_none,
    unlinking_needs_both_tickets_to_be_the_agents,
    canned_reply_ids_are_not_told_apart_before_the_session_is_checked,
);

/// Defect: `unlink_ticket` checked only the ticket it was called on, so an agent
/// could remove a link that reaches into another team's ticket.
async fn unlinking_needs_both_tickets_to_be_the_agents(app: &TestApp) {
    let s = seeded(app).await;
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    let theirs = crate::common::ticket_for(
        &app.db,
        s.actor,
        billing,
        s.ticket.customer_id,
        "Billing's own ticket",
    )
    .await;
    let r = app
        .call(
            "/api/tickets/link",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other", &theirs.number.to_string()),
                ("relation", "related"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.create_person(&s.admin, "Bo Agent", "bo@example.com", "agent")
        .await;
    let bo_id: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bo@example.com'").fetch_one(pool).await).unwrap();
    teams::add_member(&app.db, s.ticket.team_id, bo_id)
        .await
        .unwrap();
    let bo = app.signed_in("bo@example.com", STAFF_PASSWORD).await;
    let r = app
        .call(
            "/api/tickets/unlink",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other_id", &theirs.id.to_string()),
            ],
            Some(&bo),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let links: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ticket_links").fetch_one(pool).await).unwrap();
    assert!(links >= 1, "the link is still there");
    // The admin, who works in both, may.
    let r = app
        .call(
            "/api/tickets/unlink",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other_id", &theirs.id.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Defect: canned-reply update and delete looked the id up before asking who was
/// calling, so a stranger could tell which ids exist (404 against 401).
async fn canned_reply_ids_are_not_told_apart_before_the_session_is_checked(app: &TestApp) {
    let s = seeded(app).await;
    let r = app
        .call(
            "/api/canned/create",
            &[
                ("team", &s.ticket.team_id.to_string()),
                ("title", "Hello"),
                ("body", "Hi"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM canned_replies").fetch_one(pool).await).unwrap();
    for probe in [id, id + 1000] {
        let update = app
            .call(
                "/api/canned/update",
                &[("id", &probe.to_string()), ("title", "x"), ("body", "y")],
                None,
            )
            .await;
        let delete = app
            .call("/api/canned/delete", &[("id", &probe.to_string())], None)
            .await;
        assert_eq!(
            (update.status, delete.status),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
    }
}

struct Seeded {
    admin: String,
    actor: i64,
    ticket: TicketRow,
}

async fn seeded(app: &TestApp) -> Seeded {
    let admin = app.setup_admin().await;
    let customer = customers::create_customer(
        &app.db,
        &PersonName::parse("Cora Customer").unwrap(),
        &Email::parse("cora@initech.example").unwrap(),
        None,
    )
    .await
    .unwrap();
    let team = teams::default_team_id(&app.db).await.unwrap();
    let actor: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(pool).await).unwrap();
    teams::add_member(&app.db, team, actor).await.unwrap();
    let ticket = crate::common::ticket_for(&app.db, actor, team, customer, "Printer on fire").await;
    Seeded {
        admin,
        actor,
        ticket,
    }
}

async fn post(
    app: &TestApp,
    cookie: &str,
    ticket: i64,
    kind: &str,
    body: &str,
) -> crate::common::Reply {
    app.call(
        "/api/tickets/messages/post",
        &[
            ("ticket_id", &ticket.to_string()),
            ("kind", kind),
            ("body", body),
        ],
        Some(cookie),
    )
    .await
}

async fn a_reply_and_an_internal_note_are_told_apart_and_audited(app: &TestApp) {
    let s = seeded(app).await;
    let r = post(app, &s.admin, s.ticket.id, "reply", "We are on it.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["kind"], "Reply");
    let r = post(
        app,
        &s.admin,
        s.ticket.id,
        "note",
        "Customer is on the old plan.",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["kind"], "Note");

    let page = app.get("/tickets/1001", Some(&s.admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"aria-label="Reply by Ada Admin""#),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(r#"aria-label="Internal note by Ada Admin""#));
    let reply_at = page.body.find("We are on it.").unwrap();
    let note_at = page.body.find("Customer is on the old plan.").unwrap();
    assert!(reply_at < note_at, "the thread is in time order");

    let trail = audit_for(&app.db, "ticket", s.ticket.id).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"replied") && actions.contains(&"noted"),
        "{actions:?}"
    );
    let replied = trail.iter().find(|a| a.action == "replied").unwrap();
    assert_eq!(replied.new_value.as_deref(), Some("We are on it."));
    assert_eq!(replied.actor_id, Some(s.actor));
    assert!(
        trail
            .iter()
            .all(|a| a.new_value.as_deref() != Some("Customer is on the old plan.")),
        "a note's words stay out of the trail"
    );
    assert!(page.body.contains("replied to the customer: We are on it."));
}

async fn a_blank_message_is_refused_next_to_the_message_box(app: &TestApp) {
    let s = seeded(app).await;
    let r = post(app, &s.admin, s.ticket.id, "reply", "  \n ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("body"), "{}", r.body);
    let r = post(app, &s.admin, s.ticket.id, "shout", "Hello").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let thread = conversation::thread(&app.db, s.ticket.id, Audience::Staff, s.actor)
        .await
        .unwrap();
    assert!(thread.is_empty(), "nothing was written");
}

async fn markdown_is_rendered_without_letting_any_markup_through(app: &TestApp) {
    let s = seeded(app).await;
    let body = "Hi <script>alert('x')</script> **bold** and [bad](javascript:alert(1)) and [good](https://example.com/help)\n\n- one\n- two <img src=x onerror=alert(1)>\n\n<iframe src=https://evil.example></iframe>";
    let r = post(app, &s.admin, s.ticket.id, "reply", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(!page.contains("<script>alert"), "typed markup is escaped");
    assert!(!page.contains("<img src=x"), "typed markup is escaped");
    assert!(!page.contains("<iframe"), "a typed HTML block is text too");
    assert!(page.contains("Hi &lt;script&gt;alert"), "{page}");
    assert!(page.contains("&lt;iframe src=https://evil.example&gt;"));
    // The body is the server's Markdown rendering (pulldown-cmark), placed as it is.
    assert!(page.contains("<strong>bold</strong>"));
    assert!(!page.contains(r#"href="javascript"#));
    assert!(page.contains(
        r#"<a href="https://example.com/help" rel="noopener noreferrer" target="_blank">good</a>"#
    ));
    assert!(page.contains("<li>one</li>"));
}

async fn only_the_author_deletes_their_own_note_and_only_within_ten_minutes(app: &TestApp) {
    let s = seeded(app).await;
    let note = post(app, &s.admin, s.ticket.id, "note", "Wrong ticket, sorry")
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let reply = post(app, &s.admin, s.ticket.id, "reply", "Hello")
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    app.create_person(&s.admin, "Bo Agent", "bo@example.com", "agent")
        .await;
    let bo = app.signed_in("bo@example.com", STAFF_PASSWORD).await;
    let del = |id: i64, cookie: String| async move {
        app.call(
            "/api/tickets/messages/delete",
            &[("message_id", &id.to_string())],
            Some(&cookie),
        )
        .await
    };
    assert_eq!(
        del(note, bo.clone()).await.status,
        StatusCode::FORBIDDEN,
        "not Bo's note"
    );
    assert_eq!(
        del(reply, s.admin.clone()).await.status,
        StatusCode::FORBIDDEN,
        "replies stay"
    );
    let r = del(note, s.admin.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["body"], "");
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(!page.contains("Wrong ticket, sorry"));
    assert!(page.contains("Internal note deleted by Ada Admin"));
    assert!(
        page.contains("deleted an internal note"),
        "the history shows the marker"
    );
    assert_eq!(
        del(note, s.admin.clone()).await.status,
        StatusCode::CONFLICT
    );

    // An old note stays.
    let old = post(app, &s.admin, s.ticket.id, "note", "Old news")
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    app::db!(&app.db, pool => sqlx::query("UPDATE messages SET created_at = created_at - 601000 WHERE id = $1").bind(old).execute(pool).await.map(|_| ())).unwrap();
    let r = del(old, s.admin.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("10 minutes"));
    let kept = conversation::find_message(&app.db, old, Audience::Staff, s.actor)
        .await
        .unwrap()
        .unwrap()
        .1;
    assert_eq!(kept.body, "Old news");
}

async fn the_composer_starts_on_the_kind_last_used_on_that_ticket(app: &TestApp) {
    let s = seeded(app).await;
    let first = conversation::last_kind_used(&app.db, s.ticket.id, s.actor)
        .await
        .unwrap();
    assert_eq!(
        first,
        MessageKind::Reply,
        "a reply when nothing was written yet"
    );
    post(app, &s.admin, s.ticket.id, "note", "Checking logs").await;
    let r = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&s.admin))
        .await;
    assert_eq!(r.json()["conversation"]["compose"], "Note", "{}", r.body);
    post(app, &s.admin, s.ticket.id, "reply", "Fixed").await;
    let r = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&s.admin))
        .await;
    assert_eq!(r.json()["conversation"]["compose"], "Reply");
}

async fn an_agent_of_another_team_cannot_read_or_write_the_conversation(app: &TestApp) {
    let s = seeded(app).await;
    let note = post(app, &s.admin, s.ticket.id, "note", "Secret plan")
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    app.create_person(&s.admin, "Bea Billing", "bea@example.com", "agent")
        .await;
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bea@example.com'").fetch_one(pool).await).unwrap();
    app::db!(&app.db, pool => sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(bea).execute(pool).await.map(|_| ())).unwrap();
    teams::add_member(&app.db, billing, bea).await.unwrap();
    let cookie = app.signed_in("bea@example.com", STAFF_PASSWORD).await;
    let r = post(app, &cookie, s.ticket.id, "reply", "Hi from billing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            "/api/tickets/messages/delete",
            &[("message_id", &note.to_string())],
            Some(&cookie),
        )
        .await;
    assert_ne!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Secret plan"));
    let thread = conversation::thread(&app.db, s.ticket.id, Audience::Staff, s.actor)
        .await
        .unwrap();
    assert_eq!(thread.len(), 1, "nothing was added");
}

/// Every registered server function and every page, called by a customer with every
/// argument name they could try, never answers with an internal note's text.
async fn a_customer_never_gets_an_internal_note_or_its_file_by_page_or_download(app: &TestApp) {
    let s = seeded(app).await;
    const SECRET: &str = "Internal: refund was refused by finance";
    let file = app
        .upload(
            s.ticket.id,
            "finance.txt",
            "text/plain",
            SECRET.as_bytes().to_vec(),
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let note = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("kind", "note"),
                ("body", SECRET),
                ("attachment_ids[]", &file.to_string()),
            ],
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    post(
        app,
        &s.admin,
        s.ticket.id,
        "reply",
        "We are looking into it.",
    )
    .await;
    // The control: staff do get it, so the search below can find it.
    let staff = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&s.admin))
        .await;
    assert!(staff.body.contains(SECRET));

    let customer = app
        .customer_account("Cora Customer", "cora@initech.example")
        .await;
    let id = s.ticket.id.to_string();
    let file_url = format!("/attachments/{file}/finance.txt");
    let inline_url = format!("{file_url}?inline=1");
    for page in [
        "/tickets/1001",
        "/tickets",
        "/board",
        "/portal",
        "/board?team=1",
        &file_url,
        &inline_url,
    ] {
        let r = app.get(page, Some(&customer)).await;
        assert!(!r.body.contains(SECRET), "{page} showed a customer a note");
    }
    assert_eq!(
        app.get(&file_url, Some(&customer)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .upload(
            s.ticket.id,
            "x.txt",
            "text/plain",
            b"x".to_vec(),
            Some(&customer),
        )
        .await;
    // A customer may upload for their own ticket (the portal's reply form does), but
    // the file never goes through the staff composer, let alone into a note.
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let theirs = r.json()["id"].as_i64().unwrap().to_string();
    let sneaked = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", id.as_str()),
                ("kind", "note"),
                ("body", "x"),
                ("attachment_ids[]", theirs.as_str()),
            ],
            Some(&customer),
        )
        .await;
    assert!(sneaked.status.is_client_error(), "{}", sneaked.status);
    let tied: Option<i64> = app::db!(&app.db, pool => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT message_id FROM attachments WHERE name = 'x.txt'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(tied, None);
    // Every server function, page and route with valid arguments, by every kind of
    // caller: the permission matrix (matrix.rs), which also searches each answer.
    // The store's customer view leaves notes out, and a customer can never write one.
    let public = conversation::thread(&app.db, s.ticket.id, Audience::Customer, 0)
        .await
        .unwrap();
    assert_eq!(public.len(), 1);
    assert!(public.iter().all(|m| m.kind == MessageKind::Reply));
    assert!(
        conversation::find_message(&app.db, note, Audience::Customer, 0)
            .await
            .unwrap()
            .is_none()
    );
    let staff_thread = conversation::thread(&app.db, s.ticket.id, Audience::Staff, s.actor)
        .await
        .unwrap();
    assert_eq!(staff_thread.len(), 2, "the customer's tries wrote nothing");
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(shards) = std::fs::read_dir(dir) else {
        return out;
    };
    for shard in shards.flatten() {
        if shard.file_name() == "incoming" || !shard.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(shard.path()).unwrap().flatten() {
            out.push(f.path());
        }
    }
    out
}

async fn attachments_go_with_a_message_and_are_served_only_to_those_who_may_see_them(
    app: &TestApp,
) {
    let s = seeded(app).await;
    let up = app
        .upload(
            s.ticket.id,
            "log file.txt",
            "text/plain",
            b"line one\nline two\n".to_vec(),
            Some(&s.admin),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    let log = up.json()["id"].as_i64().unwrap();
    let img = app
        .upload(
            s.ticket.id,
            "screen.png",
            "image/png",
            vec![0x89, b'P', b'N', b'G', 1, 2, 3],
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("kind", "reply"),
                ("body", "Logs attached."),
                ("attachment_ids[]", &log.to_string()),
                ("attachment_ids[]", &img.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["attachments"].as_array().unwrap().len(), 2);

    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(
        page.contains(&format!("/attachments/{log}/log%20file.txt")),
        "{page}"
    );
    assert!(
        page.contains(&format!("/attachments/{img}/screen.png?preview=1")),
        "preview"
    );

    let dl = app
        .get(
            &format!("/attachments/{log}/log%20file.txt"),
            Some(&s.admin),
        )
        .await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.body, "line one\nline two\n");
    let h = |n: &str| {
        dl.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert!(
        h("content-disposition").starts_with("attachment;"),
        "{}",
        h("content-disposition")
    );
    assert!(h("content-disposition").contains("filename*=UTF-8''log%20file.txt"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert!(h("content-security-policy").starts_with("sandbox"));
    let thumb = app
        .get(
            &format!("/attachments/{img}/screen.png?inline=1"),
            Some(&s.admin),
        )
        .await;
    assert!(thumb.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    let not_inline = app
        .get(&format!("/attachments/{log}/x?inline=1"), Some(&s.admin))
        .await;
    assert!(
        not_inline.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"),
        "only raster images are shown inline"
    );

    // Signed out, or another team's agent: not found, whatever the id.
    assert_eq!(
        app.get(&format!("/attachments/{log}/x"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    app.create_person(&s.admin, "Bea Billing", "bea@example.com", "agent")
        .await;
    let bea: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bea@example.com'").fetch_one(pool).await).unwrap();
    app::db!(&app.db, pool => sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(bea).execute(pool).await.map(|_| ())).unwrap();
    teams::add_member(&app.db, billing, bea).await.unwrap();
    let bea = app.signed_in("bea@example.com", STAFF_PASSWORD).await;
    let r = app.get(&format!("/attachments/{log}/x"), Some(&bea)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("line one"));
    let r = app
        .upload(
            s.ticket.id,
            "x.txt",
            "text/plain",
            b"x".to_vec(),
            Some(&bea),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "no uploads to another team's ticket"
    );

    // Someone else's pending upload cannot be sent with one's own message.
    app.create_person(&s.admin, "Bo Agent", "bo@example.com", "agent")
        .await;
    let bo = app.signed_in("bo@example.com", STAFF_PASSWORD).await;
    let pending = app
        .upload(
            s.ticket.id,
            "mine.txt",
            "text/plain",
            b"mine".to_vec(),
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.get(&format!("/attachments/{pending}/mine.txt"), Some(&bo))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a pending upload is its uploader's only"
    );
    let r = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("kind", "reply"),
                ("body", "Taking it"),
                ("attachment_ids[]", &pending.to_string()),
            ],
            Some(&bo),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let thread = conversation::thread(&app.db, s.ticket.id, Audience::Staff, s.actor)
        .await
        .unwrap();
    assert_eq!(thread.len(), 1, "the refused message was not written");
}

async fn a_file_over_the_limit_is_refused_naming_the_limit(app: &TestApp) {
    let s = seeded(app).await;
    let big = vec![7u8; 25 * 1024 * 1024 + 1];
    let r = app
        .upload(
            s.ticket.id,
            "huge.bin",
            "application/octet-stream",
            big,
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("at most 25 MB"), "{}", r.body);
    assert!(r.body.contains("huge.bin"));
    assert!(files_in(&app.attachments_dir()).is_empty(), "nothing kept");
    let count: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM attachments").fetch_one(pool).await).unwrap();
    assert_eq!(count, 0);
}

async fn the_same_file_twice_is_stored_once_and_its_last_reference_removes_it(app: &TestApp) {
    let s = seeded(app).await;
    let bytes = b"%PDF-1.4 the same invoice".to_vec();
    let a = app
        .upload(
            s.ticket.id,
            "invoice.pdf",
            "application/pdf",
            bytes.clone(),
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let b = app
        .upload(
            s.ticket.id,
            "invoice copy.pdf",
            "application/pdf",
            bytes,
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(files_in(&app.attachments_dir()).len(), 1, "stored once");

    // A note carries one copy; the other is discarded before sending.
    let note = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("kind", "note"),
                ("body", "Invoice"),
                ("attachment_ids[]", &a.to_string()),
            ],
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "/api/tickets/attachments/discard",
            &[("attachment_id", &b.to_string())],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        files_in(&app.attachments_dir()).len(),
        1,
        "still referenced by the note"
    );

    // Deleting the note removes its last reference, and so the file.
    let r = app
        .call(
            "/api/tickets/messages/delete",
            &[("message_id", &note.to_string())],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        files_in(&app.attachments_dir()).is_empty(),
        "the file went with its last reference"
    );
    assert_eq!(
        app.get(&format!("/attachments/{a}/x"), Some(&s.admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn a_draft_is_saved_restored_never_replaced_by_an_older_one_and_cleared_by_sending(
    app: &TestApp,
) {
    let s = seeded(app).await;
    let scope = format!("ticket:{}", s.ticket.id);
    let save = |content: &'static str, at: i64| {
        let scope = scope.clone();
        let admin = s.admin.clone();
        async move {
            app.call(
                "/api/drafts/save",
                &[
                    ("scope", scope.as_str()),
                    ("content", content),
                    ("saved_at", &at.to_string()),
                ],
                Some(&admin),
            )
            .await
        }
    };
    assert_eq!(save("First words", 1_000).await.status, StatusCode::OK);
    assert_eq!(
        save("First words and more", 2_000).await.status,
        StatusCode::OK
    );
    // A copy kept offline and sent late does not replace what was typed after it.
    assert_eq!(save("Stale copy", 1_500).await.status, StatusCode::OK);
    let r = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&s.admin))
        .await;
    assert_eq!(
        r.json()["conversation"]["draft"]["content"],
        "First words and more",
        "{}",
        r.body
    );
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(
        page.contains("First words and more"),
        "the composer is filled on the server"
    );

    // Drafts are per person.
    app.create_person(&s.admin, "Bo Agent", "bo@example.com", "agent")
        .await;
    let bo = app.signed_in("bo@example.com", STAFF_PASSWORD).await;
    let team = teams::default_team_id(&app.db).await.unwrap();
    let bo_id: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'bo@example.com'").fetch_one(pool).await).unwrap();
    teams::add_member(&app.db, team, bo_id).await.unwrap();
    let r = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&bo))
        .await;
    assert!(r.json()["conversation"]["draft"].is_null());

    // A bad scope or a ticket the user may not see is refused.
    let r = app
        .call(
            "/api/drafts/save",
            &[("scope", "users"), ("content", "x"), ("saved_at", "1")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(
            "/api/drafts/save",
            &[
                ("scope", "ticket:999999"),
                ("content", "x"),
                ("saved_at", "1"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Sending clears the draft; discarding does too.
    post(app, &s.admin, s.ticket.id, "reply", "First words and more").await;
    let r = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&s.admin))
        .await;
    assert!(r.json()["conversation"]["draft"].is_null(), "{}", r.body);
    save("Another", 3_000).await;
    let r = app
        .call(
            "/api/drafts/discard",
            &[("scope", scope.as_str())],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .call("/api/tickets/get", &[("number", "1001")], Some(&s.admin))
        .await;
    assert!(r.json()["conversation"]["draft"].is_null());
}

async fn canned_replies_are_kept_by_leads_and_filled_for_the_ticket(app: &TestApp) {
    let s = seeded(app).await;
    let team = teams::default_team_id(&app.db).await.unwrap();
    let team_s = team.to_string();
    let body = "Hello {{customer.name}}, {{agent.name}} here about {{ticket.number}} ({{ticket.title}}). {{customer.age}}";
    let r = app
        .call(
            "/api/canned/create",
            &[
                ("team", team_s.as_str()),
                ("title", "Greeting"),
                ("body", body),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = app
        .call(
            "/api/canned/list",
            &[("team", team_s.as_str())],
            Some(&s.admin),
        )
        .await
        .json();
    let id = list[0]["id"].as_i64().unwrap();
    let r = app
        .call(
            "/api/canned/fill",
            &[
                ("id", &id.to_string()),
                ("ticket_id", &s.ticket.id.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json(),
        serde_json::json!(
            "Hello Cora Customer, Ada Admin here about #1001 (Printer on fire). {{customer.age}}"
        )
    );
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(
        page.contains("Greeting"),
        "the composer knows the team's canned replies"
    );

    // A blank title is refused next to the field.
    let r = app
        .call(
            "/api/canned/create",
            &[("team", team_s.as_str()), ("title", " "), ("body", "x")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("title"));

    // Agents use them but do not manage them; a lead of another team cannot either.
    app.create_person(&s.admin, "Bo Agent", "bo@example.com", "agent")
        .await;
    let bo = app.signed_in("bo@example.com", STAFF_PASSWORD).await;
    let r = app
        .call(
            "/api/canned/update",
            &[("id", &id.to_string()), ("title", "Mine"), ("body", "x")],
            Some(&bo),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let billing = teams::create_team(&app.db, "Billing").await.unwrap();
    app.create_person(&s.admin, "Lee Lead", "lee@example.com", "lead")
        .await;
    let lee: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'lee@example.com'").fetch_one(pool).await).unwrap();
    app::db!(&app.db, pool => sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(lee).execute(pool).await.map(|_| ())).unwrap();
    teams::add_member(&app.db, billing, lee).await.unwrap();
    let lee = app.signed_in("lee@example.com", STAFF_PASSWORD).await;
    let r = app
        .call("/api/canned/delete", &[("id", &id.to_string())], Some(&lee))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            "/api/canned/fill",
            &[
                ("id", &id.to_string()),
                ("ticket_id", &s.ticket.id.to_string()),
            ],
            Some(&lee),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The admin edits and removes it; both are audited.
    let r = app
        .call(
            "/api/canned/update",
            &[
                ("id", &id.to_string()),
                ("title", "Hello"),
                ("body", "Hi {{customer.name}}"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .call(
            "/api/canned/delete",
            &[("id", &id.to_string())],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let trail = audit_for(&app.db, "canned_reply", id).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, vec!["created", "changed", "deleted"]);
}

async fn second_ticket(app: &TestApp, s: &Seeded, title: &str, customer_email: &str) -> TicketRow {
    let customer =
        match customers::find_customer_by_email(&app.db, &Email::parse(customer_email).unwrap())
            .await
            .unwrap()
        {
            Some(c) => c,
            None => customers::create_customer(
                &app.db,
                &PersonName::parse("Dan Other").unwrap(),
                &Email::parse(customer_email).unwrap(),
                None,
            )
            .await
            .unwrap(),
        };
    let team = teams::default_team_id(&app.db).await.unwrap();
    crate::common::ticket_for(&app.db, s.actor, team, customer, title).await
}

async fn merging_moves_the_conversation_closes_the_duplicate_and_redirects_its_number(
    app: &TestApp,
) {
    let s = seeded(app).await;
    let dup = second_ticket(app, &s, "Printer on fire (again)", "cora@initech.example").await;
    post(
        app,
        &s.admin,
        s.ticket.id,
        "reply",
        "First reply on the original",
    )
    .await;
    let file = app
        .upload(
            dup.id,
            "smoke.txt",
            "text/plain",
            b"smoke".to_vec(),
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &dup.id.to_string()),
                ("kind", "reply"),
                ("body", "Reply on the duplicate"),
                ("attachment_ids[]", &file.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = app
        .call(
            "/api/tickets/merge",
            &[("ticket_id", &dup.id.to_string()), ("into", "#1001")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), serde_json::json!("/tickets/1001"));

    let thread = conversation::thread(&app.db, s.ticket.id, Audience::Staff, s.actor)
        .await
        .unwrap();
    let bodies: Vec<&str> = thread.iter().map(|m| m.body.as_str()).collect();
    assert!(bodies.contains(&"Reply on the duplicate"), "{bodies:?}");
    assert!(
        bodies.iter().any(|b| b.starts_with("Merged from #1002")),
        "{bodies:?}"
    );
    let times: Vec<i64> = thread.iter().map(|m| m.created_at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    let moved = thread
        .iter()
        .find(|m| m.body == "Reply on the duplicate")
        .unwrap();
    assert_eq!(
        moved.attachments.len(),
        1,
        "the attachment moved with its message"
    );
    assert_eq!(
        app.get(&format!("/attachments/{file}/smoke.txt"), Some(&s.admin))
            .await
            .body,
        "smoke"
    );

    let closed = store::find_ticket(&app.db, dup.id).await.unwrap().unwrap();
    assert!(closed.completed_at.is_some(), "the duplicate is closed");
    let page = app.get("/tickets/1002", Some(&s.admin)).await;
    assert!(
        page.status.is_redirection() && page.location().as_deref() == Some("/tickets/1001"),
        "{} {:?}",
        page.status,
        page.location()
    );
    let source_trail = audit_for(&app.db, "ticket", dup.id).await.unwrap();
    assert!(source_trail
        .iter()
        .any(|a| a.action == "merged" && a.new_value.as_deref() == Some("#1001")));
    let target_trail = audit_for(&app.db, "ticket", s.ticket.id).await.unwrap();
    assert!(target_trail
        .iter()
        .any(|a| a.action == "merged" && a.new_value.as_deref() == Some("#1002")));

    // Not twice, not into itself.
    let r = app
        .call(
            "/api/tickets/merge",
            &[("ticket_id", &dup.id.to_string()), ("into", "1001")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .call(
            "/api/tickets/merge",
            &[("ticket_id", &s.ticket.id.to_string()), ("into", "1001")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn merging_across_customers_asks_first(app: &TestApp) {
    let s = seeded(app).await;
    let other = second_ticket(app, &s, "Other customer's printer", "dan@other.example").await;
    post(app, &s.admin, other.id, "reply", "Hello Dan").await;
    let r = app
        .call(
            "/api/tickets/merge",
            &[("ticket_id", &other.id.to_string()), ("into", "1001")],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Merge anyway"), "{}", r.body);
    assert!(
        r.body.contains("Cora Customer"),
        "it says whose conversation goes where: {}",
        r.body
    );
    let untouched = conversation::thread(&app.db, other.id, Audience::Staff, s.actor)
        .await
        .unwrap();
    assert_eq!(untouched.len(), 1, "nothing moved before confirming");
    let r = app
        .call(
            "/api/tickets/merge",
            &[
                ("ticket_id", &other.id.to_string()),
                ("into", "1001"),
                ("confirm", "yes"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn a_parent_cannot_be_completed_while_a_child_is_open(app: &TestApp) {
    let s = seeded(app).await;
    let child = second_ticket(app, &s, "Order toner", "cora@initech.example").await;
    let r = app
        .call(
            "/api/tickets/link",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other", "1002"),
                ("relation", "child"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let links = app::tickets::links::store::links_of(&app.db, child.id)
        .await
        .unwrap();
    assert_eq!(links[0].relation, app::tickets::links::Relation::Parent);
    let page = app.get("/tickets/1002", Some(&s.admin)).await.body;
    assert!(
        page.contains(r#"<span class="badge">Parent</span>"#),
        "the child's page names its parent"
    );

    let stages = teams::team_stages(&app.db, s.ticket.team_id).await.unwrap();
    let done = stages.iter().find(|st| st.kind.as_str() == "done").unwrap();
    let r = app
        .call(
            "/api/board/move",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("stage_id", &done.id.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("#1002"),
        "the open child is named: {}",
        r.body
    );
    assert!(store::find_ticket(&app.db, s.ticket.id)
        .await
        .unwrap()
        .unwrap()
        .completed_at
        .is_none());

    // Once the child is done, the parent may be completed.
    store::move_ticket(&app.db, s.actor, child.id, done.id, Default::default())
        .await
        .unwrap();
    let r = app
        .call(
            "/api/board/move",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("stage_id", &done.id.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Linking twice or to itself is refused; unlinking works and is audited.
    let r = app
        .call(
            "/api/tickets/link",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other", "1002"),
                ("relation", "related"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .call(
            "/api/tickets/link",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other", "1001"),
                ("relation", "related"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(
            "/api/tickets/unlink",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("other_id", &child.id.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let trail = audit_for(&app.db, "ticket", child.id).await.unwrap();
    assert!(
        trail.iter().any(|a| a.action == "linked") && trail.iter().any(|a| a.action == "unlinked")
    );
}

async fn one_timer_runs_per_agent_and_time_is_logged_and_audited(app: &TestApp) {
    let s = seeded(app).await;
    let other = second_ticket(app, &s, "Another one", "cora@initech.example").await;
    let start = |ticket: i64, confirm: bool| {
        let admin = s.admin.clone();
        async move {
            let id = ticket.to_string();
            let mut form = vec![("ticket_id", id.as_str())];
            if confirm {
                form.push(("confirm", "yes"));
            }
            app.call("/api/time/start", &form, Some(&admin)).await
        }
    };
    let r = start(s.ticket.id, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["running_here"].is_i64());
    // Starting another asks first, and changes nothing until confirmed.
    let r = start(other.id, false).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("#1001"));
    let r = start(other.id, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let running: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM time_entries WHERE minutes IS NULL").fetch_one(pool).await).unwrap();
    assert_eq!(running, 1, "one running timer per agent");
    let first = app::tickets::time::store::sheet(&app.db, s.ticket.id, s.actor)
        .await
        .unwrap();
    assert_eq!(
        first.entries[0].minutes,
        Some(1),
        "the stopped timer was logged"
    );
    assert_eq!(first.running_elsewhere, Some(1002));
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(page.contains("Your timer is running on #1002."));

    let r = app
        .call(
            "/api/time/stop",
            &[("ticket_id", &other.id.to_string())],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .call(
            "/api/time/add",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("minutes", "1:30"),
                ("day", "2026-11-20"),
                ("note", "Call with Cora"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sheet = r.json();
    assert_eq!(sheet["totals"][0], serde_json::json!(["Ada Admin", 91]));
    let r = app
        .call(
            "/api/time/add",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("minutes", "soon"),
                ("day", ""),
                ("note", ""),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("minutes"));
    let trail = audit_for(&app.db, "ticket", s.ticket.id).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|a| a.action.as_str()).collect();
    for a in ["timer_started", "timer_stopped", "time_logged"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

async fn a_failed_side_form_shows_its_error_next_to_the_field(app: &TestApp) {
    let s = seeded(app).await;
    // A plain form post (no JavaScript): the error comes back in the address as
    // Leptos puts it, what was typed stays in the session, never in the address.
    let r = app
        .post(
            "/api/time/add",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("minutes", "lots"),
                ("day", ""),
                ("note", "Phone call"),
            ],
            Some(&s.admin),
            "text/html",
            Some("http://grip.test"),
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let back = r.location().unwrap();
    assert!(back.contains("__err="), "{back}");
    assert!(
        !back.contains("lots") && !back.contains("Phone"),
        "typed text stays out of the address: {back}"
    );
    // (The test client's referer is the site root; the browser's would be the
    // ticket page.)
    let query = back.split_once('?').unwrap().1;
    let page = app
        .get(&format!("/tickets/1001?{query}"), Some(&s.admin))
        .await
        .body;
    assert!(
        page.contains(r#"value="lots""#) && page.contains(r#"value="Phone call""#),
        "what was typed is back in the fields"
    );
    let at = page
        .find(r#"id="field-minutes-error""#)
        .expect("the minutes field");
    assert!(
        page[at..(at + 200).min(page.len())].contains(">Enter minutes"),
        "{}",
        &page[at..(at + 300).min(page.len())]
    );
    // Without the refusal in the address, the form is empty again.
    let page = app.get("/tickets/1001", Some(&s.admin)).await.body;
    assert!(!page.contains(r#"value="lots""#));
    // It is kept in that session only: another session never sees it.
    let other = app.signed_in("ada@example.com", ADMIN_PASSWORD).await;
    let page = app
        .get(&format!("/tickets/1001?{query}"), Some(&other))
        .await
        .body;
    assert!(!page.contains(r#"value="lots""#));
}

async fn the_new_ticket_draft_comes_back_with_the_form_and_goes_with_the_ticket(app: &TestApp) {
    let s = seeded(app).await;
    let text = app::tickets::drafts::encode_fields(&[("title", "Projector flickers".into())]);
    let r = app
        .call(
            "/api/drafts/save",
            &[
                ("scope", "new-ticket"),
                ("content", text.as_str()),
                ("saved_at", "5"),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = app.get("/tickets/new", Some(&s.admin)).await.body;
    assert!(
        page.contains(r#"value="Projector flickers""#),
        "the form is filled on the server"
    );
    let team = teams::default_team_id(&app.db).await.unwrap().to_string();
    let r = app
        .call(
            "/api/tickets/create",
            &[
                ("title", "Projector flickers"),
                ("description", ""),
                ("customer_email", "cora@initech.example"),
                ("customer_name", ""),
                ("company", ""),
                ("team", team.as_str()),
                ("priority", "normal"),
                ("assignee", ""),
                ("tags", ""),
                ("due", ""),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let left = app::tickets::drafts::store::load(&app.db, s.actor, "new-ticket")
        .await
        .unwrap();
    assert_eq!(left, None, "creating the ticket cleared the draft");
}

/// A photo-like image (no transparency) of `w`×`h` pixels, as PNG bytes.
fn png(w: u32, h: u32) -> Vec<u8> {
    // Noise, as a photo is to a compressor (a smooth gradient would shrink as PNG).
    let noise = |x: u32, y: u32, k: u32| {
        (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503).wrapping_add(k)).rotate_left(13)
            as u8
    };
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([noise(x, y, 1), noise(x, y, 2), noise(x, y, 3)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn an_image_gets_a_small_preview_and_a_bomb_gets_none(app: &TestApp) {
    let s = seeded(app).await;
    let full = png(1600, 1000);
    let id = app
        .upload(
            s.ticket.id,
            "site.png",
            "image/png",
            full.clone(),
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    // An image wider than any preview is made for: stored, never decoded (the
    // decoder's limits refuse it before it allocates).
    let bomb = png(server::previews::MAX_SIDE + 1, 1);
    let bomb_id = app
        .upload(
            s.ticket.id,
            "bomb.png",
            "image/png",
            bomb.clone(),
            Some(&s.admin),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &s.ticket.id.to_string()),
                ("kind", "reply"),
                ("body", "Screenshots"),
                ("attachment_ids[]", &id.to_string()),
                ("attachment_ids[]", &bomb_id.to_string()),
            ],
            Some(&s.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The thread shows the preview, scaled to fit 320 pixels with its shape kept.
    let page = app
        .get(&format!("/tickets/{}", s.ticket.number), Some(&s.admin))
        .await;
    assert!(
        page.body
            .contains(&format!("/attachments/{id}/site.png?preview=1")),
        "{}",
        page.body
    );
    let preview = app
        .get(
            &format!("/attachments/{id}/site.png?preview=1"),
            Some(&s.admin),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert_eq!(preview.headers[http::header::CONTENT_TYPE], "image/jpeg");
    let small = image::load_from_memory(&preview.bytes).unwrap();
    assert_eq!((small.width(), small.height()), (320, 200));
    assert!(
        preview.bytes.len() * 10 < full.len(),
        "{} bytes",
        preview.bytes.len()
    );
    // The full file is still the file.
    let opened = app
        .get(&format!("/attachments/{id}/site.png"), Some(&s.admin))
        .await;
    assert_eq!(opened.bytes, full);
    // The bomb has no preview: asking for one gets the file as it is.
    let bomb_preview = app
        .get(
            &format!("/attachments/{bomb_id}/bomb.png?preview=1"),
            Some(&s.admin),
        )
        .await;
    assert_eq!(bomb_preview.bytes, bomb);
    // The preview goes with the file's last reference.
    let sha: String = app::db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT sha256 FROM attachments WHERE id = $1").bind(id).fetch_one(pool).await)
    .unwrap();
    let preview_file =
        app::tickets::conversation::files::preview_path(&app.attachments_dir(), &sha);
    assert!(preview_file.exists());
    app::tickets::conversation::files::release(
        &app.db,
        &app.state.files,
        std::slice::from_ref(&sha),
    )
    .await
    .unwrap();
    assert!(preview_file.exists(), "still referenced");
    app::db!(&app.db, pool => sqlx::query("DELETE FROM attachments WHERE id = $1").bind(id).execute(pool).await.map(|_| ())).unwrap();
    app::tickets::conversation::files::release(&app.db, &app.state.files, &[sha])
        .await
        .unwrap();
    assert!(!preview_file.exists(), "removed with the file");
}
