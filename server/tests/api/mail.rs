//! Outgoing mail on both backends: delivered over SMTP by the real client (lettre)
//! to a test SMTP sink (a minimal SMTP server in this file: no mail server runs
//! here), retried with back-off when the server cannot be reached, and kept in the
//! outbox for Admin → Outbox when no SMTP server is configured.

use std::sync::{Arc, Mutex};

use server::config::Config;
use server::mail::{deliver_due, Mailer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::TestApp;
use crate::on_both_backends;

on_both_backends!(
    mail_is_delivered_over_smtp_and_marked_sent,
    an_unreachable_smtp_server_is_retried_with_back_off,
    without_smtp_mail_is_kept_for_the_outbox_page,
    a_sent_link_is_gone_from_the_database_and_never_shown_in_the_outbox,
    the_mail_dir_sink_receives_each_mail_as_a_file,
);

/// A test SMTP sink: accepts one connection at a time, answers the commands a client
/// sends, and records each message's DATA.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink.test\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

fn config(smtp: Option<u16>) -> Config {
    Config::load(None, &move |k| match (k, smtp) {
        ("GRIP_SMTP_HOST", Some(_)) => Some("127.0.0.1".into()),
        ("GRIP_SMTP_PORT", Some(p)) => Some(p.to_string()),
        ("GRIP_SMTP_TLS", Some(_)) => Some("none".into()),
        ("GRIP_MAIL_FROM", _) => Some("Grip Help <help@grip.test>".into()),
        _ => None,
    })
    .expect("mail configuration")
}

async fn queue(app: &TestApp, subject: &str) {
    let now = app::store::now_ms();
    app::db!(&app.db, pool => app::enqueue_mail!(pool, "cora@example.com", subject, "Hello Cora,\nyour link.", now).await.map(|_| ()))
        .unwrap();
}

async fn outbox(app: &TestApp) -> (String, i64, Option<String>, i64) {
    app::db!(&app.db, pool => sqlx::query_as::<_, (String, i64, Option<String>, i64)>(
        "SELECT status, attempts, last_error, next_attempt_at FROM outbox ORDER BY id DESC LIMIT 1"
    ).fetch_one(pool).await)
    .unwrap()
}

async fn mail_is_delivered_over_smtp_and_marked_sent(app: &TestApp) {
    let (port, received) = smtp_sink().await;
    let mailer = Mailer::from_config(&config(Some(port))).unwrap();
    queue(app, "Confirm your email address").await;
    assert_eq!(deliver_due(&app.db, &mailer).await.unwrap(), 1);
    let (status, attempts, error, _) = outbox(app).await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 1, None));
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].contains("Subject: Confirm your email address"),
        "{}",
        got[0]
    );
    assert!(got[0].contains("To: cora@example.com"));
    assert!(got[0].contains("help@grip.test"));
    assert!(got[0].contains("your link."));
    // Nothing is sent twice.
    assert_eq!(deliver_due(&app.db, &mailer).await.unwrap(), 0);
}

async fn an_unreachable_smtp_server_is_retried_with_back_off(app: &TestApp) {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mailer = Mailer::from_config(&config(Some(port))).unwrap();
    queue(app, "Reset your password").await;
    let before = app::store::now_ms();
    deliver_due(&app.db, &mailer).await.unwrap();
    let (status, attempts, error, next) = outbox(app).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.is_some_and(|e| !e.is_empty()));
    assert!(
        next >= before + 60_000,
        "retried after a minute, not at once"
    );
    // Not due yet: a second pass leaves it alone.
    assert_eq!(deliver_due(&app.db, &mailer).await.unwrap(), 0);
    // Once due and the server is up, it goes.
    let (port, received) = smtp_sink().await;
    let mailer = Mailer::from_config(&config(Some(port))).unwrap();
    app::db!(&app.db, pool => sqlx::query("UPDATE outbox SET next_attempt_at = 0").execute(pool).await.map(|_| ())).unwrap();
    deliver_due(&app.db, &mailer).await.unwrap();
    assert_eq!(outbox(app).await.0, "sent");
    assert_eq!(received.lock().unwrap().len(), 1);
}

async fn without_smtp_mail_is_kept_for_the_outbox_page(app: &TestApp) {
    let admin = app.setup_admin().await;
    let mailer = Mailer::from_config(&config(None)).unwrap();
    assert!(!mailer.configured());
    queue(app, "Kept for the admins").await;
    deliver_due(&app.db, &mailer).await.unwrap();
    assert_eq!(outbox(app).await.0, "kept");
    let page = app.get("/admin/outbox", Some(&admin)).await;
    assert_eq!(page.status, http::StatusCode::OK);
    assert!(page.body.contains("Kept for the admins"));
    assert!(page.body.contains("To cora@example.com"));
    // Admins only.
    let customer = app
        .customer_account("Cora Customer", "cora@example.com")
        .await;
    let page = app.get("/admin/outbox", Some(&customer)).await;
    assert_eq!(page.status, http::StatusCode::FORBIDDEN);
    assert!(!page.body.contains("Kept for the admins"));
}

/// A reset link in the outbox (Admin → Outbox, a backup of the database) worked for
/// anyone who read it. Now the page never shows one, and once the mail is sent its
/// stored copy keeps no working token: only the mailbox has it.
async fn a_sent_link_is_gone_from_the_database_and_never_shown_in_the_outbox(app: &TestApp) {
    let admin = app.setup_admin().await;
    let r = app
        .call(
            "/api/password/forgot",
            &[("email", "ada@example.com")],
            None,
        )
        .await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);
    let stored = || async {
        app::db!(&app.db, pool => sqlx::query_scalar::<_, String>(
            "SELECT body FROM outbox WHERE subject = 'Reset your password'"
        ).fetch_one(pool).await)
        .unwrap()
    };
    let pending = stored().await;
    let at = pending.find("token=").expect("a link") + 6;
    let token: String = pending[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(token.len(), 64);
    let page = app.get("/admin/outbox", Some(&admin)).await;
    assert!(page.body.contains("Reset your password"));
    assert!(
        page.body.contains("/reset?token=(removed)"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&token),
        "the outbox page shows no working link"
    );
    let (port, received) = smtp_sink().await;
    let mailer = Mailer::from_config(&config(Some(port))).unwrap();
    deliver_due(&app.db, &mailer).await.unwrap();
    // (Long lines travel quoted-printable: undo its soft line breaks.)
    let delivered = received.lock().unwrap()[0]
        .replace("=\r\n", "")
        .replace("=\n", "");
    assert!(
        delivered.contains(&token),
        "the mailbox gets it: {delivered}"
    );
    let sent = stored().await;
    assert!(
        !sent.contains(&token),
        "nothing usable stays behind: {sent}"
    );
    assert!(sent.contains("/reset?token=(removed)"));
    // The link still works for its owner, from the mail.
    let r = app.get(&format!("/reset?token={token}"), None).await;
    assert!(r.body.contains("Choose a new password") && !r.body.contains("expired"));
}

/// `mail_dir`: the development sink the README offers for a machine without a mail
/// server; the mail is written as a file (links included) and counts as sent.
async fn the_mail_dir_sink_receives_each_mail_as_a_file(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let config = Config::load(None, &move |k| match k {
        "GRIP_MAIL_DIR" => Some(path.clone()),
        _ => None,
    })
    .unwrap();
    let mailer = Mailer::from_config(&config).unwrap();
    assert!(mailer.configured());
    queue(app, "Into the sink").await;
    deliver_due(&app.db, &mailer).await.unwrap();
    assert_eq!(outbox(app).await.0, "sent");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    let emls: Vec<String> = files
        .iter()
        .filter(|f| f.path().extension().is_some_and(|e| e == "eml"))
        .map(|f| std::fs::read_to_string(f.path()).unwrap())
        .collect();
    assert_eq!(emls.len(), 1);
    assert!(emls[0].contains("Subject: Into the sink"), "{}", emls[0]);
    assert!(emls[0].contains("your link."));
    // Both a mail server and the sink: refused, naming the setting.
    let both = Config::load(None, &|k| match k {
        "GRIP_MAIL_DIR" => Some("/tmp/x".into()),
        "GRIP_SMTP_HOST" => Some("127.0.0.1".into()),
        _ => None,
    });
    assert!(both.is_err_and(|e| e.to_string().contains("mail_dir")));
}
