//! `TestApp`: the real router over a fresh, migrated database — a SQLite file in a
//! temporary directory, or a new Postgres database that is dropped afterwards.
//! Requests go through the whole stack (`tower::ServiceExt::oneshot`), cookies
//! included.

#![allow(dead_code)]

use axum::body::Body;
use axum::Router;
use http::{header, HeaderMap, Request, StatusCode};
use sqlx::Connection;
use tower::ServiceExt;

use server::config::Config;

pub struct TestApp {
    pub router: Router,
    pub db: app::store::Db,
    /// What the router's handlers get (the outbox's bell, the attachments store).
    pub state: app::state::AppState,
    /// The database this app runs on, to start a second instance beside it.
    pub database_url: String,
    data_dir: std::path::PathBuf,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    Dir(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as it came (`body` is it as text).
    pub bytes: Vec<u8>,
}

/// The session cookie an answer sets (`grip_session=…`), as a request sends it back.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("grip_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// The first admin's setup form (Ada, `ADMIN_PASSWORD`).
pub const SETUP_FORM: [(&str, &str); 4] = [
    ("name", "Ada Admin"),
    ("email", "ada@example.com"),
    ("password", ADMIN_PASSWORD),
    ("confirm", ADMIN_PASSWORD),
];

/// The staff New ticket form for a ticket of `team` for Cora Customer.
pub fn ticket_form<'a>(
    title: &'a str,
    description: &'a str,
    team: &'a str,
) -> [(&'static str, &'a str); 10] {
    [
        ("title", title),
        ("description", description),
        ("customer_email", "cora@example.com"),
        ("customer_name", "Cora Customer"),
        ("company", ""),
        ("team", team),
        ("priority", "normal"),
        ("assignee", ""),
        ("tags", ""),
        ("due", ""),
    ]
}

/// A ticket of `team` for the customer record `customer`, made directly in the store.
pub async fn ticket_for(
    db: &app::store::Db,
    actor: i64,
    team: i64,
    customer: i64,
    title: &str,
) -> app::tickets::store::TicketRow {
    app::tickets::store::create_ticket(
        db,
        actor,
        app::tickets::store::NewTicket {
            title: &app::tickets::model::TicketTitle::parse(title).unwrap(),
            description: "Made for a test.",
            customer_id: Some(customer),
            team_id: team,
            priority: app::tickets::model::Priority::Normal,
            assignee_id: None,
            tags: &[],
            due_at: None,
            company_id: None,
            from_portal: false,
        },
    )
    .await
    .unwrap()
}

impl Reply {
    pub fn cookie(&self) -> Option<String> {
        session_cookie(&self.headers)
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The Postgres server tests use (a superuser that may create databases).
pub fn postgres_admin_url() -> String {
    std::env::var("GRIP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn test_config(database_url: &str, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let url = database_url.to_string();
    let dir = data_dir.display().to_string();
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::load(None, &move |k| {
        if let Some((_, v)) = extra.iter().find(|(key, _)| key == k) {
            return Some(v.clone());
        }
        match k {
            "GRIP_DATABASE_URL" => Some(url.clone()),
            "GRIP_DATA_DIR" => Some(dir.clone()),
            // As behind one proxy: a request without X-Forwarded-For is answered as
            // before (the router gets no peer address here), one with it is read the
            // way a proxy's is.
            "GRIP_TRUST_PROXY" => Some("true".into()),
            _ => None,
        }
    })
    .expect("test configuration")
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(&[]).await
    }

    /// On SQLite, with these settings (`GRIP_…` names) added to the test configuration.
    pub async fn sqlite_with(extra: &[(&str, &str)]) -> TestApp {
        let dir = std::env::temp_dir().join(format!("grip-test-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("grip.db").display());
        Self::start(&url, &dir, Cleanup::Dir(dir.clone()), extra).await
    }

    pub async fn postgres() -> TestApp {
        let admin_url = postgres_admin_url();
        let name = format!("grip_test_{}", rand::random::<u32>());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("Postgres for tests is not reachable at {admin_url} ({e}); set GRIP_TEST_POSTGRES_URL"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        let dir = std::env::temp_dir().join(format!("grip-test-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        Self::start(&url, &dir, Cleanup::Postgres { admin_url, name }, &[]).await
    }

    async fn start(
        url: &str,
        dir: &std::path::Path,
        cleanup: Cleanup,
        extra: &[(&str, &str)],
    ) -> TestApp {
        let config = test_config(url, dir, extra);
        let db = server::open_database_limited(&config.database_url, 4, config.sqlite_max_mb)
            .await
            .expect("open test database");
        let state = server::app_state(db.clone(), &config);
        let router = server::router(state.clone(), server::http_settings(&config));
        TestApp {
            router,
            db,
            state,
            database_url: url.to_string(),
            data_dir: dir.to_path_buf(),
            cleanup,
        }
    }

    /// Another instance (its own pool and router) on the same database, as a second
    /// server behind a load balancer, or this one after a restart.
    pub async fn second_instance(&self) -> TestApp {
        let config = test_config(&self.database_url, &self.data_dir, &[]);
        let db = server::open_database(&config.database_url, 4)
            .await
            .expect("open test database");
        let state = server::app_state(db.clone(), &config);
        let router = server::router(state.clone(), server::http_settings(&config));
        // The first instance owns the database and removes it.
        let cleanup = Cleanup::None;
        TestApp {
            router,
            db,
            state,
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            cleanup,
        }
    }

    /// Closes the pool and removes the database.
    pub async fn finish(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::None => {}
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            }
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 10 * 1024 * 1024)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::HOST, "grip.test");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// Where this app keeps attachment files.
    pub fn attachments_dir(&self) -> std::path::PathBuf {
        self.data_dir.join("attachments")
    }

    /// Uploads a file for a ticket's composer as the browser does (raw body).
    pub async fn upload(
        &self,
        ticket: i64,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
        cookie: Option<&str>,
    ) -> Reply {
        self.upload_at(
            &format!("/attachments?ticket={ticket}"),
            name,
            content_type,
            bytes,
            cookie,
        )
        .await
    }

    /// Uploads a file to `path` (`/attachments`, with or without `?ticket=`).
    pub async fn upload_at(
        &self,
        path: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
        cookie: Option<&str>,
    ) -> Reply {
        let mut b = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header("x-file-name", enc(name))
            .header(header::HOST, "grip.test")
            .header(header::ORIGIN, "http://grip.test");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(bytes)).unwrap()).await
    }

    /// Calls a server function as the hydrated app does (form-encoded in, JSON out).
    pub async fn call(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        self.post(
            path,
            form,
            cookie,
            "application/json",
            Some("http://grip.test"),
        )
        .await
    }

    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        accept: &str,
        origin: Option<&str>,
    ) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, accept)
            .header(header::HOST, "grip.test")
            .header(header::REFERER, "http://grip.test/login");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Creates the first admin through /setup and returns the signed-in cookie.
    pub async fn setup_admin(&self) -> String {
        let r = self.call("/api/setup", &SETUP_FORM, None).await;
        assert_eq!(r.status, StatusCode::OK, "setup failed: {}", r.body);
        r.cookie().expect("setup signs the admin in")
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            "/api/login",
            &[("email", email), ("password", password)],
            None,
        )
        .await
    }

    /// Signs in and returns the session cookie.
    pub async fn signed_in(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password).await;
        assert_eq!(r.status, StatusCode::OK, "sign-in failed: {}", r.body);
        r.cookie().expect("sign-in sets a session cookie")
    }

    /// Creates a customer's portal account (customers register themselves in the
    /// portal; tests make one directly) and returns its signed-in cookie.
    pub async fn customer_account(&self, name: &str, email: &str) -> String {
        let hash = app::auth::password::hash_password(STAFF_PASSWORD.into())
            .await
            .unwrap();
        let email_parsed = app::auth::model::Email::parse(email).unwrap();
        let name = app::auth::model::PersonName::parse(name).unwrap();
        let new = app::auth::store::NewUser {
            name: &name,
            email: &email_parsed,
            role: app::auth::Role::Customer,
            password_hash: &hash,
        };
        app::auth::store::create_user(&self.db, new, None, false)
            .await
            .unwrap();
        self.signed_in(email, STAFF_PASSWORD).await
    }

    /// Creates a staff account as the admin.
    pub async fn create_person(&self, admin: &str, name: &str, email: &str, role: &str) -> Reply {
        self.call(
            "/api/admin/people/create",
            &[
                ("name", name),
                ("email", email),
                ("role", role),
                ("password", STAFF_PASSWORD),
                ("confirm", STAFF_PASSWORD),
            ],
            Some(admin),
        )
        .await
    }
}

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const STAFF_PASSWORD: &str = "agent password is long";

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Declares each listed `async fn name(app: &TestApp)` as two tests, one per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::common::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::common::TestApp::postgres().await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}
