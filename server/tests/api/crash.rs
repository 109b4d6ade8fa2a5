//! Crash safety, on both backends: the real `grip` binary under a burst of ticket
//! creations, card moves, replies with attachments and portal requests with files is
//! killed with SIGKILL, started again on the same database and files, and then:
//! nothing a client was told had worked is missing, every ticket has its audit row,
//! no message without its ticket, ticket numbers are unique, and (after the sweeper)
//! every attachment has its file and every file its row.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::auth::model::{Email, PersonName};

use crate::common::{ADMIN_PASSWORD, STAFF_PASSWORD};
use crate::process::{Grip, Http, Scratch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_mid_burst_loses_nothing_acknowledged() {
    killed_mid_burst(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_mid_burst_loses_nothing_acknowledged() {
    killed_mid_burst(true).await;
}

/// What the clients were told had worked.
#[derive(Default)]
struct Acked {
    /// Titles (unique) of the tickets created.
    tickets: Vec<String>,
    portal_tickets: Vec<i64>,
    messages: Vec<i64>,
    attachments: Vec<i64>,
    /// Per ticket id, each move asked for in order: (stage, acknowledged).
    moves: BTreeMap<i64, Vec<(i64, bool)>>,
    errors: usize,
}

const CLIENTS: usize = 6;

/// The customer's upload quota out of the burst's way.
const UNLIMITED: &[(&str, &str)] = &[
    ("GRIP_CUSTOMER_UPLOADS_PER_HOUR", "1000000"),
    ("GRIP_CUSTOMER_UPLOAD_MB_PER_DAY", "1000000"),
];

async fn killed_mid_burst(postgres: bool) {
    let scratch = Scratch::new(postgres).await;
    let grip = Grip::start(&scratch.url, &scratch.dir, UNLIMITED).await;
    let http = Http::new(&grip.base);
    let admin = http.setup_admin().await;
    // A verified customer for the portal, made beside the running server.
    let db = server::open_database(&scratch.url, 2).await.unwrap();
    let hash = app::auth::password::hash_password(STAFF_PASSWORD.into())
        .await
        .unwrap();
    let (name, email) = (
        PersonName::parse("Cora Customer").unwrap(),
        Email::parse("cora@example.com").unwrap(),
    );
    app::auth::store::create_user(
        &db,
        app::auth::store::NewUser {
            name: &name,
            email: &email,
            role: app::auth::Role::Customer,
            password_hash: &hash,
        },
        None,
        false,
    )
    .await
    .unwrap();
    app::customers::store::create_customer(&db, &name, &email, None)
        .await
        .unwrap();
    let login = http
        .call(
            "/api/login",
            &[("email", "cora@example.com"), ("password", STAFF_PASSWORD)],
            None,
        )
        .await
        .unwrap();
    let customer = login.cookie().unwrap();
    let team = app::teams::store::default_team_id(&db).await.unwrap();
    let stages: Vec<i64> = app::teams::store::team_stages(&db, team)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();

    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (http, admin, customer, stages) = (
            http.clone(),
            admin.clone(),
            customer.clone(),
            stages.clone(),
        );
        let (acked, stop, db) = (acked.clone(), stop.clone(), db.clone());
        clients.push(tokio::spawn(async move {
            let mut mine: Vec<i64> = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let ok = match (c + i) % 4 {
                    0 => create(&http, &admin, team, &db, c, i, &mut mine, &acked).await,
                    1 => move_card(&http, &admin, &stages, c, i, &mine, &acked).await,
                    2 => reply(&http, &admin, c, i, &mine, &acked).await,
                    _ => portal(&http, &customer, c, i, &acked).await,
                };
                if !ok {
                    acked.lock().unwrap().errors += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    // Let the burst run, then kill the server in the middle of it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    grip.kill().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    db.close().await;

    // Started again on the same database and files.
    let grip = Grip::start(&scratch.url, &scratch.dir, UNLIMITED).await;
    let db = server::open_database(&scratch.url, 2).await.unwrap();
    let files = app::tickets::conversation::files::FileStore::new(scratch.dir.join("attachments"));
    app::tickets::conversation::files::sweep_orphans(&db, &files, Duration::ZERO)
        .await
        .unwrap();
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let done = acked.tickets.len()
        + acked.portal_tickets.len()
        + acked.messages.len()
        + acked.moves.values().flatten().filter(|m| m.1).count();
    assert!(
        done > 20,
        "the burst acknowledged only {done} writes before the kill"
    );

    let numbers: Vec<i64> = app::db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT number FROM tickets").fetch_all(pool).await).unwrap();
    let unique: HashSet<i64> = numbers.iter().copied().collect();
    assert_eq!(unique.len(), numbers.len(), "ticket numbers are unique");
    for n in &acked.portal_tickets {
        assert!(
            unique.contains(n),
            "acknowledged portal request #{n} is missing"
        );
    }
    let titles: HashSet<String> = app::db!(&db, pool => sqlx::query_scalar::<_, String>("SELECT title FROM tickets").fetch_all(pool).await).unwrap().into_iter().collect();
    for t in &acked.tickets {
        assert!(titles.contains(t), "acknowledged ticket {t:?} is missing");
    }
    let unaudited: i64 = app::db!(&db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (
            SELECT 1 FROM audit_log a WHERE a.entity = 'ticket' AND a.entity_id = t.id AND a.action = 'created')"
    ).fetch_one(pool).await).unwrap();
    assert_eq!(unaudited, 0, "every ticket has its audit row");
    let orphans: i64 = app::db!(&db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id)"
    ).fetch_one(pool).await).unwrap();
    assert_eq!(orphans, 0, "no message without its ticket");
    let messages: HashSet<i64> = app::db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM messages").fetch_all(pool).await).unwrap().into_iter().collect();
    for m in &acked.messages {
        assert!(messages.contains(m), "acknowledged message {m} is missing");
    }
    let attachments: Vec<(i64, Option<i64>, String)> =
        app::db!(&db, pool => sqlx::query_as::<_, (i64, Option<i64>, String)>(
        "SELECT id, message_id, sha256 FROM attachments"
    ).fetch_all(pool).await)
        .unwrap();
    for a in &acked.attachments {
        let row = attachments.iter().find(|r| r.0 == *a);
        assert!(
            row.is_some_and(|r| r.1.is_some()),
            "acknowledged attachment {a} is missing or not on its message"
        );
    }
    // Every attachment has its file, and every file on disk its row.
    let dir = files.dir();
    for (id, _, sha) in &attachments {
        assert!(
            app::tickets::conversation::files::path_for(dir, sha).exists(),
            "attachment {id} has no file"
        );
    }
    let known: HashSet<String> = app::db!(&db, pool => sqlx::query_scalar::<_, String>("SELECT sha256 FROM files").fetch_all(pool).await).unwrap().into_iter().collect();
    let mut on_disk = 0;
    for shard in std::fs::read_dir(dir).unwrap().flatten() {
        let name = shard.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(shard.path()).unwrap().flatten() {
            let file = f.file_name().to_string_lossy().into_owned();
            if name == "incoming" {
                panic!("a spooled upload was left behind: {file}");
            }
            let sha = file.strip_suffix(".preview").unwrap_or(&file).to_string();
            assert!(known.contains(&sha), "file {file} has no row");
            on_disk += 1;
        }
    }
    // A card is where its last acknowledged move put it, or where a later move that
    // was cut off (but committed) did.
    let mut moved = 0;
    for (ticket, asks) in &acked.moves {
        let stage: i64 = app::db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT stage_id FROM tickets WHERE id = $1").bind(*ticket).fetch_one(pool).await).unwrap();
        let Some(last) = asks.iter().rposition(|m| m.1) else {
            continue;
        };
        moved += 1;
        assert!(
            asks[last..].iter().any(|m| m.0 == stage),
            "ticket {ticket} is in stage {stage}, not where its moves {asks:?} put it"
        );
        let audited: i64 = app::db!(&db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'ticket' AND entity_id = $1 AND action = 'moved'"
        ).bind(*ticket).fetch_one(pool).await).unwrap();
        assert!(
            audited > 0,
            "ticket {ticket}'s acknowledged move has no audit row"
        );
    }
    // The restarted server works.
    let http = Http::new(&grip.base);
    let again = http
        .call(
            "/api/login",
            &[("email", "ada@example.com"), ("password", ADMIN_PASSWORD)],
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.status, 200, "{}", again.body);
    println!(
        "crash ({}): killed after {} tickets, {} portal requests, {} replies with files, {} cards moved acknowledged ({} calls cut off); after restart all there, {} tickets, {} files on disk each with its row",
        if postgres { "postgres" } else { "sqlite" },
        acked.tickets.len(),
        acked.portal_tickets.len(),
        acked.messages.len(),
        moved,
        acked.errors,
        numbers.len(),
        on_disk
    );
    grip.kill().await;
    db.close().await;
    scratch.finish().await;
}

#[allow(clippy::too_many_arguments)]
async fn create(
    http: &Http,
    admin: &str,
    team: i64,
    db: &app::store::Db,
    c: usize,
    i: usize,
    mine: &mut Vec<i64>,
    acked: &Mutex<Acked>,
) -> bool {
    let title = format!("Burst {c}-{i}");
    let Ok(r) = http
        .call(
            "/api/tickets/create",
            &crate::common::ticket_form(&title, "Made in a burst.", &team.to_string()),
            Some(admin),
        )
        .await
    else {
        return false;
    };
    if r.status != 200 {
        return false;
    }
    // The answer is where to go next (the board); the title names the ticket.
    acked.lock().unwrap().tickets.push(title.clone());
    let id: i64 = app::db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM tickets WHERE title = $1").bind(&title).fetch_one(pool).await).unwrap();
    mine.push(id);
    true
}

async fn move_card(
    http: &Http,
    admin: &str,
    stages: &[i64],
    c: usize,
    i: usize,
    mine: &[i64],
    acked: &Mutex<Acked>,
) -> bool {
    let Some(ticket) = mine.last().copied() else {
        return true;
    };
    let stage = stages[(c + i) % stages.len()];
    let at = {
        let mut a = acked.lock().unwrap();
        let asks = a.moves.entry(ticket).or_default();
        asks.push((stage, false));
        asks.len() - 1
    };
    let r = http
        .call(
            "/api/board/move",
            &[
                ("ticket_id", &ticket.to_string()),
                ("stage_id", &stage.to_string()),
            ],
            Some(admin),
        )
        .await;
    let ok = r.is_ok_and(|r| r.status == 200);
    if ok {
        acked.lock().unwrap().moves.get_mut(&ticket).unwrap()[at].1 = true;
    }
    ok
}

async fn reply(
    http: &Http,
    admin: &str,
    c: usize,
    i: usize,
    mine: &[i64],
    acked: &Mutex<Acked>,
) -> bool {
    let Some(ticket) = mine.first().copied() else {
        return true;
    };
    let content = format!("log of client {c}, call {i}\n")
        .repeat(200)
        .into_bytes();
    let Ok(up) = http
        .upload(ticket, &format!("log-{c}-{i}.txt"), content, admin)
        .await
    else {
        return false;
    };
    let Some(file) = up.json()["id"].as_i64().filter(|_| up.status == 200) else {
        return false;
    };
    let Ok(r) = http
        .call(
            "/api/tickets/messages/post",
            &[
                ("ticket_id", &ticket.to_string()),
                ("kind", "reply"),
                ("body", "The log is attached."),
                ("attachment_ids[]", &file.to_string()),
            ],
            Some(admin),
        )
        .await
    else {
        return false;
    };
    let Some(message) = r.json()["id"].as_i64().filter(|_| r.status == 200) else {
        return false;
    };
    let mut a = acked.lock().unwrap();
    a.messages.push(message);
    a.attachments.push(file);
    true
}

async fn portal(http: &Http, customer: &str, c: usize, i: usize, acked: &Mutex<Acked>) -> bool {
    let title = format!("Portal {c}-{i}");
    let file = format!("screenshot of client {c}, call {i}").into_bytes();
    let Ok(r) = http
        .multipart(
            "/portal/new",
            &[
                ("title", &title),
                ("description", "Sent from the portal."),
                ("priority", "normal"),
            ],
            &[("files", "screen.txt", file)],
            customer,
        )
        .await
    else {
        return false;
    };
    let Some(number) = r
        .location()
        .filter(|_| r.status == 303)
        .and_then(|l| l.strip_prefix("/portal/tickets/"))
        .and_then(|l| l.split('?').next())
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return false;
    };
    acked.lock().unwrap().portal_tickets.push(number);
    true
}
