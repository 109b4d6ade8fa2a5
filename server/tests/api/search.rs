//! Full-text search on both backends: the index follows every write (create, edit,
//! reply, note deletion, merge, customer edits and deletion) in the writing
//! transaction; words, prefixes, phrases and exclusions mean the same on SQLite and
//! Postgres; and a customer's search never finds an internal note or another
//! customer's ticket.

use app::customers::model::{CustomerFields, TypedCustomer};
use app::customers::store::{self as customers, Placement};
use http::StatusCode;

use crate::common::{ticket_for, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_index_follows_create_edit_reply_note_deletion_and_merge,
    words_prefixes_phrases_and_exclusions_mean_the_same_everywhere,
    a_customers_search_never_finds_an_internal_note_or_another_customers_ticket,
    customers_are_found_by_name_alias_phone_company_and_notes,
);

/// The numbers of the tickets `/api/search` finds for `q`, in its order.
async fn found(app: &TestApp, cookie: &str, q: &str) -> Vec<i64> {
    let r = app.call("/api/search", &[("q", q)], Some(cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
    r.json()["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect()
}

/// The marked words of a ticket's snippet on the search page, for `q`.
async fn marked(app: &TestApp, cookie: &str, q: &str) -> Vec<String> {
    let r = app.call("/api/search", &[("q", q)], Some(cookie)).await;
    r.json()["tickets"][0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["hit"] == true)
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

async fn customer(app: &TestApp, name: &str, email: &str) -> i64 {
    let fields = CustomerFields::parse(&TypedCustomer {
        name,
        email,
        ..Default::default()
    })
    .unwrap();
    customers::create_customer_record(
        &app.db,
        1,
        &fields,
        Placement {
            company: "",
            owner_id: None,
        },
    )
    .await
    .unwrap()
}

async fn post(app: &TestApp, cookie: &str, ticket: i64, kind: &str, body: &str) -> i64 {
    let r = app
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &ticket.to_string()),
                ("kind", kind),
                ("body", body),
            ],
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT MAX(id) FROM messages WHERE ticket_id = $1"
    ).bind(ticket).fetch_one(pool).await)
    .unwrap()
}

async fn the_index_follows_create_edit_reply_note_deletion_and_merge(app: &TestApp) {
    let admin = app.setup_admin().await;
    let cleo = customer(app, "Cleo Client", "cleo@example.com").await;
    let t = ticket_for(&app.db, 1, 1, cleo, "Printer offline").await;
    assert_eq!(found(app, &admin, "printer").await, vec![t.number]);
    assert_eq!(found(app, &admin, "prin").await, vec![t.number], "a prefix");
    assert_eq!(
        found(app, &admin, &format!("#{}", t.number)).await,
        vec![t.number]
    );

    // A reply's words find the ticket, and its snippet marks them.
    post(
        app,
        &admin,
        t.id,
        "reply",
        "Please replace the toner cartridge.",
    )
    .await;
    assert_eq!(found(app, &admin, "cartridge").await, vec![t.number]);
    assert_eq!(marked(app, &admin, "cartridge").await, vec!["cartridge"]);
    // Words from the title and a reply together.
    assert_eq!(found(app, &admin, "offline toner").await, vec![t.number]);

    // An edited title: the old words are gone, the new ones found.
    let now = app::tickets::store::find_ticket(&app.db, t.id)
        .await
        .unwrap()
        .unwrap();
    let r = app
        .call(
            "/api/tickets/update",
            &[
                ("ticket_id", &t.id.to_string()),
                ("seen", &now.updated_at.to_string()),
                ("title", "Scanner jammed"),
                ("description", &now.description),
                ("stage", &now.stage_id.to_string()),
                ("priority", "normal"),
                ("assignee", ""),
                ("tags", ""),
                ("due", ""),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(found(app, &admin, "printer").await.is_empty());
    assert_eq!(found(app, &admin, "scanner").await, vec![t.number]);
    // A prefix longer than SQLite's indexed prefixes (tried whole first, then as a
    // prefix).
    assert_eq!(found(app, &admin, "scanne").await, vec![t.number]);

    // An internal note is found by staff until it is deleted.
    let note = post(
        app,
        &admin,
        t.id,
        "note",
        "Vendor contact: zebrafish-support",
    )
    .await;
    assert_eq!(found(app, &admin, "zebrafish").await, vec![t.number]);
    let r = app
        .call(
            "/api/tickets/messages/delete",
            &[("message_id", &note.to_string())],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(found(app, &admin, "zebrafish").await.is_empty());

    // The board's list filter uses the same index (words from a reply).
    let r = app
        .call(
            "/api/tickets/list",
            &[("team", "1"), ("filter", "q=toner")],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Scanner jammed"), "{}", r.body);
    let r = app
        .call(
            "/api/tickets/list",
            &[("team", "1"), ("filter", "q=toner+-scanner")],
            Some(&admin),
        )
        .await;
    assert!(!r.body.contains("Scanner jammed"), "{}", r.body);

    // A merge moves the messages: their words now find the ticket merged into, and
    // the merged ticket is not listed twice.
    let fax = ticket_for(&app.db, 1, 1, cleo, "Fax machine beeps").await;
    post(app, &admin, fax.id, "reply", "The walrus sound again.").await;
    assert_eq!(found(app, &admin, "walrus").await, vec![fax.number]);
    let r = app
        .call(
            "/api/tickets/merge",
            &[
                ("ticket_id", &fax.id.to_string()),
                ("into", &t.number.to_string()),
                ("confirm", "yes"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(found(app, &admin, "walrus").await, vec![t.number]);
}

async fn words_prefixes_phrases_and_exclusions_mean_the_same_everywhere(app: &TestApp) {
    let admin = app.setup_admin().await;
    let cleo = customer(app, "Cleo Client", "cleo@example.com").await;
    let card = ticket_for(&app.db, 1, 1, cleo, "Card declined at checkout").await;
    let refund = ticket_for(&app.db, 1, 1, cleo, "Refund for a declined card").await;
    let other = ticket_for(&app.db, 1, 1, cleo, "Invoice address").await;
    post(
        app,
        &admin,
        other.id,
        "reply",
        "Sent to billing@acme-corp.example today",
    )
    .await;

    let mut both = found(app, &admin, "declined card").await;
    both.sort();
    assert_eq!(both, vec![card.number, refund.number], "words in any order");
    assert_eq!(
        found(app, &admin, "\"card declined\"").await,
        vec![card.number],
        "a phrase"
    );
    assert_eq!(
        found(app, &admin, "\"declined card\"").await,
        vec![refund.number]
    );
    assert_eq!(
        found(app, &admin, "card -refund").await,
        vec![card.number],
        "an exclusion"
    );
    assert_eq!(found(app, &admin, "DECL").await.len(), 2, "case and prefix");
    assert_eq!(found(app, &admin, "card decl").await.len(), 2);
    assert!(
        found(app, &admin, "decl card").await.is_empty(),
        "only the last word is a prefix"
    );
    assert!(
        found(app, &admin, "\"decl\"").await.is_empty(),
        "a phrase is whole words"
    );
    // Addresses are split into words on both databases.
    assert_eq!(found(app, &admin, "acme-corp").await, vec![other.number]);
    assert_eq!(found(app, &admin, "billing@acme").await, vec![other.number]);
    // Title matches rank above matches elsewhere.
    post(app, &admin, other.id, "reply", "Not about a refund.").await;
    let ranked = found(app, &admin, "refund").await;
    assert_eq!(ranked, vec![refund.number, other.number]);
    // Syntax of either engine typed as text is only text.
    for q in [
        "card OR refund",
        "NEAR(card declined)",
        "card:*",
        "title:card",
        "'; --",
        "\"",
        "-",
    ] {
        let r = app.call("/api/search", &[("q", q)], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
    }
    assert!(
        found(app, &admin, "card OR refund").await.is_empty(),
        "OR is a word"
    );
}

async fn a_customers_search_never_finds_an_internal_note_or_another_customers_ticket(
    app: &TestApp,
) {
    let admin = app.setup_admin().await;
    let cara_cookie = app
        .customer_account("Cara Customer", "cara@example.com")
        .await;
    let cara = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT customer_id FROM customer_emails WHERE email = 'cara@example.com'"
    ).fetch_optional(pool).await)
    .unwrap();
    let cara = match cara {
        Some(id) => id,
        None => customer(app, "Cara Customer", "cara@example.com").await,
    };
    let yuri = customer(app, "Yuri Other", "yuri@example.com").await;
    let mine = ticket_for(&app.db, 1, 1, cara, "Cara-own-ticket").await;
    let theirs = ticket_for(&app.db, 1, 1, yuri, "Yuri-own-ticket").await;
    post(app, &admin, mine.id, "note", "Escalate: platypus incident").await;
    post(app, &admin, mine.id, "reply", "About the koala delivery").await;
    post(app, &admin, theirs.id, "reply", "Also a koala delivery").await;

    let portal = |text: &'static str| {
        let cookie = cara_cookie.clone();
        async move {
            let r = app
                .call(
                    "/api/portal/home",
                    &[
                        ("status", "all"),
                        ("sort", ""),
                        ("text", text),
                        ("after", ""),
                    ],
                    Some(&cookie),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body
        }
    };
    let koala = portal("koala").await;
    assert!(koala.contains("Cara-own-ticket"), "{koala}");
    assert!(!koala.contains("Yuri-own-ticket"), "{koala}");
    let platypus = portal("platypus").await;
    assert!(
        !platypus.contains("Cara-own-ticket"),
        "an internal note: {platypus}"
    );
    assert!(!platypus.contains("platypus incident"));
    // Staff find the note; a customer cannot call the staff search at all.
    assert_eq!(found(app, &admin, "platypus").await, vec![mine.number]);
    let r = app
        .call("/api/search", &[("q", "koala")], Some(&cara_cookie))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("koala"));
}

async fn customers_are_found_by_name_alias_phone_company_and_notes(app: &TestApp) {
    let admin = app.setup_admin().await;
    let fields = CustomerFields::parse(&TypedCustomer {
        name: "Dora Dunlop",
        email: "dora@example.com",
        aliases: "d.dunlop@oldmail.example",
        phone: "+44 20 7946 0958",
        notes: "Prefers kumquats as a thank-you.",
        ..Default::default()
    })
    .unwrap();
    let dora = customers::create_customer_record(
        &app.db,
        1,
        &fields,
        Placement {
            company: "Wonka Industries",
            owner_id: None,
        },
    )
    .await
    .unwrap();
    customer(app, "Otto Other", "otto@example.com").await;
    let list = |q: &'static str| crate::customers::found(app, q, &admin);
    for q in [
        "kumquat",
        "dunl",
        "oldmail",
        "d.dunlop@old",
        "7946 0958",
        "wonka",
        "dora -otto",
    ] {
        assert_eq!(list(q).await, vec!["Dora Dunlop"], "{q}");
    }
    assert!(list("dora -kumquats").await.is_empty());
    // The New ticket picker and the search page find her too.
    let r = app
        .call("/api/customers/search", &[("q", "d.dun")], Some(&admin))
        .await;
    assert!(r.body.contains("Dora Dunlop"), "{}", r.body);
    let r = app
        .call("/api/search", &[("q", "wonka")], Some(&admin))
        .await;
    assert_eq!(r.json()["customers"][0]["id"], dora);
    assert_eq!(r.json()["companies"][0]["name"], "Wonka Industries");

    // An edit re-indexes her; a deletion takes her out.
    let now = customers::customer_record(&app.db, dora).await.unwrap();
    let edited = CustomerFields::parse(&TypedCustomer {
        name: "Dora Dunlop",
        email: "dora@example.com",
        aliases: "",
        phone: "",
        notes: "Prefers tea.",
        ..Default::default()
    })
    .unwrap();
    customers::update_customer_record(
        &app.db,
        1,
        dora,
        now.updated_at,
        &edited,
        Placement {
            company: "",
            owner_id: None,
        },
    )
    .await
    .unwrap();
    for q in ["kumquat", "oldmail", "wonka", "7946"] {
        assert!(list(q).await.is_empty(), "{q} after the edit");
    }
    assert_eq!(list("tea").await, vec!["Dora Dunlop"]);
    customers::delete_customer_record(&app.db, 1, dora)
        .await
        .unwrap();
    assert!(list("dora").await.is_empty());
}
