//! The database failing under Grip. Postgres: a server this test starts for itself
//! (`initdb` and `pg_ctl` in a temporary directory, never the shared one) is stopped
//! and started again while the real `grip` binary takes writes: while it is down
//! every answer is a prompt 503 (never a hang), after it is back Grip recovers by
//! itself within 5 s, and no acknowledged write is lost. SQLite: a database that
//! reaches its size limit refuses writes whole with a clear message and stays sound.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::StatusCode;

use crate::common::TestApp;
use crate::process::{Grip, Http};

/// A PostgreSQL server of its own in a temporary directory.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

/// An installed PostgreSQL program: Debian keeps them in /usr/lib/postgresql/<v>/bin.
fn pg_program(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .iter()
        .rev()
        .map(|v| v.join("bin").join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

impl Cluster {
    /// Postgres refuses to run as root: as root, the cluster belongs to the `postgres`
    /// account (which Debian's package creates) and its programs run as it.
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let mut cmd = if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_program(program));
            c
        } else {
            std::process::Command::new(pg_program(program))
        };
        cmd.args(args).output().expect("run a PostgreSQL program")
    }

    async fn init() -> Cluster {
        let dir = std::env::temp_dir().join(format!("grip-pg-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster { dir, port };
        let _ = std::process::Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&cluster.dir)
            .output();
        let data = cluster.data();
        let out = cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A fast shutdown: clients are disconnected, nothing committed is lost.
    fn stop(&self) {
        let out = self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One call of the load: when it started and ended, and what it got (0: no answer).
#[derive(Debug, Clone)]
struct Call {
    started: Instant,
    took: Duration,
    status: u16,
    /// The title of the ticket it created, when acknowledged.
    created: Option<String>,
}

async fn create(http: &Http, admin: &str, team: &str, i: usize) -> Call {
    let started = Instant::now();
    let title = format!("During the outage test {i}");
    let r = http
        .call(
            "/api/tickets/create",
            &crate::common::ticket_form(&title, "Written while the database comes and goes.", team),
            Some(admin),
        )
        .await;
    let status = r.map_or(0, |r| r.status);
    Call {
        started,
        took: started.elapsed(),
        status,
        created: (status == 200).then_some(title),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_answered_503_and_grip_recovers_by_itself() {
    let cluster = Cluster::init().await;
    let data_dir = cluster.dir.join("grip");
    std::fs::create_dir_all(&data_dir).unwrap();
    let grip = Grip::start(&cluster.url(), &data_dir, &[]).await;
    let http = Http::new(&grip.base);
    let admin = http.setup_admin().await;
    let options = http
        .call("/api/tickets/options", &[], Some(&admin))
        .await
        .unwrap();
    let team = options.json()["teams"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("the new-ticket options: {}", options.body))
        .to_string();

    // Two clients write tickets all along; a third asks /healthz and opens a page.
    let calls = Arc::new(Mutex::new(Vec::<Call>::new()));
    let health = Arc::new(Mutex::new(Vec::<Call>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for c in 0..2 {
        let (http, admin, team, calls, stop) = (
            http.clone(),
            admin.clone(),
            team.clone(),
            calls.clone(),
            stop.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut i = c * 100_000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let call = create(&http, &admin, &team, i).await;
                calls.lock().unwrap().push(call);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    {
        let (http, health, stop, admin) =
            (http.clone(), health.clone(), stop.clone(), admin.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // The health check, and a page as a signed-in person opens it.
                for (path, cookie) in [("/healthz", None), ("/tickets", Some(admin.as_str()))] {
                    let started = Instant::now();
                    let status = http.get(path, cookie).await.map_or(0, |r| r.status);
                    health.lock().unwrap().push(Call {
                        started,
                        took: started.elapsed(),
                        status,
                        created: None,
                    });
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopping = Instant::now();
    cluster.stop();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    // "While down" ends when the start begins: `pg_ctl start -w` returns only after
    // the server accepts connections, and Grip may answer from it before then.
    let starting = Instant::now();
    cluster.start();
    let up = Instant::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let calls = calls.lock().unwrap().clone();
    let health = health.lock().unwrap().clone();

    // While it was down: prompt 503s, never a hang, never another error.
    let during: Vec<&Call> = calls
        .iter()
        .filter(|c| c.started > down && c.started + c.took < starting)
        .collect();
    assert!(during.len() >= 2, "calls while down: {during:?}");
    for c in &during {
        assert_eq!(c.status, 503, "a call while the database was down: {c:?}");
        assert!(
            c.took < Duration::from_secs(10),
            "a call while down took {:?}",
            c.took
        );
    }
    let slowest = during.iter().map(|c| c.took).max().unwrap();
    let health_down: Vec<&Call> = health
        .iter()
        .filter(|c| c.started > down && c.started + c.took < starting)
        .collect();
    assert!(
        !health_down.is_empty() && health_down.iter().all(|c| c.status == 503),
        "/healthz and a page while down: {health_down:?}"
    );
    // Back by itself within 5 s of the database: every call started later succeeds.
    let after: Vec<&Call> = calls
        .iter()
        .filter(|c| c.started > up + Duration::from_secs(5))
        .collect();
    assert!(after.len() >= 5, "calls after recovery: {after:?}");
    for c in &after {
        assert_eq!(
            c.status, 200,
            "a call 5 s after the database came back: {c:?}"
        );
    }
    let first_ok = calls
        .iter()
        .filter(|c| c.started > up && c.status == 200)
        .map(|c| c.started + c.took - up)
        .min()
        .expect("a success after the database came back");
    // Nothing acknowledged is lost, before, during or after.
    let db = server::open_database(&cluster.url(), 2).await.unwrap();
    let titles: Vec<String> = app::db!(&db, pool => sqlx::query_scalar::<_, String>("SELECT title FROM tickets").fetch_all(pool).await).unwrap();
    let acked: Vec<&String> = calls.iter().filter_map(|c| c.created.as_ref()).collect();
    for t in &acked {
        assert!(titles.contains(t), "acknowledged ticket {t:?} is missing");
    }
    println!(
        "outage (postgres): {} calls; stop took {:?}; {} calls while down all 503 (slowest {:?}); first success {:?} after the database was back; {} acknowledged tickets all kept",
        calls.len(),
        down - stopping,
        during.len(),
        slowest,
        first_ok,
        acked.len()
    );
    db.close().await;
    grip.kill().await;
    drop(cluster);
}

/// A ticket with a long description, by the admin; its number when created.
async fn big_ticket(app: &TestApp, admin: &str, team: &str, i: usize) -> crate::common::Reply {
    let description = format!("Line {i} of a long report. ").repeat(700);
    let title = format!("Filling ticket {i}");
    app.call(
        "/api/tickets/create",
        &crate::common::ticket_form(&title, &description, team),
        Some(admin),
    )
    .await
}

#[tokio::test]
async fn a_full_sqlite_database_refuses_writes_whole_with_a_message_and_stays_sound() {
    let app = TestApp::sqlite_with(&[("GRIP_SQLITE_MAX_MB", "2")]).await;
    let admin = app.setup_admin().await;
    let team = app::teams::store::default_team_id(&app.db)
        .await
        .unwrap()
        .to_string();
    let mut created = Vec::new();
    let mut refused = None;
    for i in 0..2_000 {
        let r = big_ticket(&app, &admin, &team, i).await;
        if r.status != StatusCode::OK {
            refused = Some((i, r));
            break;
        }
        created.push(i);
    }
    let (at, r) = refused.expect("the database never filled");
    assert_eq!(r.status.as_u16(), 507, "{}", r.body);
    let said = serde_json::from_str::<app::error::AppError>(&r.body)
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(said.contains("storage is full"), "{}", r.body);
    // Refused whole: no part of that ticket; everything acknowledged is there with its
    // audit row; reads still work; the file is sound.
    let titles: Vec<String> = app::db!(&app.db, pool => sqlx::query_scalar::<_, String>("SELECT title FROM tickets").fetch_all(pool).await).unwrap();
    assert!(!titles.contains(&format!("Filling ticket {at}")));
    for i in &created {
        assert!(titles.contains(&format!("Filling ticket {i}")));
    }
    let unaudited: i64 = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (
            SELECT 1 FROM audit_log a WHERE a.entity = 'ticket' AND a.entity_id = t.id AND a.action = 'created')"
    ).fetch_one(pool).await).unwrap();
    assert_eq!(unaudited, 0);
    let list = app.get("/tickets", Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK);
    let check: String = app::db!(&app.db, pool => sqlx::query_scalar::<_, String>("PRAGMA integrity_check").fetch_one(pool).await).unwrap();
    assert_eq!(check, "ok");
    println!(
        "outage (sqlite): full after {} tickets at 2 MB; the next refused whole with 507 and its message; integrity_check ok",
        created.len()
    );
    app.finish().await;
}
