//! The `grip` binary as a real process (for the tests that kill it or take its
//! database away), and a real HTTP client to talk to it over TCP.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use tokio::process::{Child, Command};

/// A database for one test: a SQLite file in `dir`, or a new database on the tests'
/// Postgres server (dropped by [`Scratch::finish`]).
pub struct Scratch {
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl Scratch {
    pub async fn new(postgres: bool) -> Scratch {
        let dir = std::env::temp_dir().join(format!("grip-proc-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        if !postgres {
            return Scratch {
                url: format!("sqlite://{}", dir.join("grip.db").display()),
                dir,
                postgres: None,
            };
        }
        use sqlx::Connection;
        let admin = crate::common::postgres_admin_url();
        let name = format!("grip_proc_{}", rand::random::<u32>());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        Scratch {
            url: format!("{base}/{name}"),
            dir,
            postgres: Some((admin.clone(), name)),
        }
    }

    pub async fn finish(self) {
        if let Some((admin, name)) = self.postgres {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `grip serve` on a free port of 127.0.0.1.
pub struct Grip {
    child: Child,
    pub base: String,
}

impl Grip {
    /// Starts the server on `database_url` with its files in `data_dir` and waits until
    /// it answers `/healthz` (at most `wait`).
    pub async fn start(database_url: &str, data_dir: &Path, extra: &[(&str, &str)]) -> Grip {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_grip"));
        cmd.arg("serve")
            .env("GRIP_DATABASE_URL", database_url)
            .env("GRIP_DATA_DIR", data_dir)
            .env("GRIP_SITE_ROOT", data_dir.join("site"))
            .env("GRIP_LISTEN", format!("127.0.0.1:{port}"))
            .env("GRIP_MAIL_DIR", data_dir.join("mail"))
            .env("GRIP_TRUST_PROXY", "true")
            .env("GRIP_LOG_LEVEL", "error")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start grip");
        let grip = Grip {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = Http::new(&grip.base);
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get("/healthz", None).await {
                if r.status == 200 {
                    return grip;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "grip did not start within a minute"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown, no flushing, requests cut where they are.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn cookie(&self) -> Option<String> {
        crate::common::session_cookie(&self.headers)
    }
}

/// An HTTP/1.1 client for one server (hyper's pooled client).
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

pub type Failure = Box<dyn std::error::Error + Send + Sync>;

impl Http {
    pub fn new(base: &str) -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: base.to_string(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Answer, Failure> {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::HOST, "grip.test")
            .header(header::ORIGIN, "http://grip.test");
        for (k, v) in headers {
            b = b.header(*k, v);
        }
        let res = self
            .client
            .request(b.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Creates the first admin through /api/setup; returns the signed-in cookie.
    pub async fn setup_admin(&self) -> String {
        let r = self
            .call("/api/setup", &crate::common::SETUP_FORM, None)
            .await
            .unwrap();
        assert_eq!(r.status, 200, "setup failed: {}", r.body);
        r.cookie().expect("setup signs the admin in")
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Result<Answer, Failure> {
        let mut h = vec![("accept", "text/html".to_string())];
        if let Some(c) = cookie {
            h.push(("cookie", c.to_string()));
        }
        self.send(Method::GET, path, &h, Vec::new()).await
    }

    /// A server function call as the hydrated app makes it.
    pub async fn call(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<Answer, Failure> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", crate::common::enc(k), crate::common::enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut h = vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("accept", "application/json".to_string()),
        ];
        if let Some(c) = cookie {
            h.push(("cookie", c.to_string()));
        }
        self.send(Method::POST, path, &h, body.into_bytes()).await
    }

    /// A composer upload (the raw file as the body).
    pub async fn upload(
        &self,
        ticket: i64,
        name: &str,
        bytes: Vec<u8>,
        cookie: &str,
    ) -> Result<Answer, Failure> {
        let h = vec![
            ("content-type", "text/plain".to_string()),
            ("x-file-name", crate::common::enc(name)),
            ("cookie", cookie.to_string()),
        ];
        self.send(
            Method::POST,
            &format!("/attachments?ticket={ticket}"),
            &h,
            bytes,
        )
        .await
    }

    /// A multipart form with text fields and files (name, file name, bytes).
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
        cookie: &str,
    ) -> Result<Answer, Failure> {
        let boundary = "----gripprocessboundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let h = vec![
            (
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ),
            ("accept", "text/html".to_string()),
            ("cookie", cookie.to_string()),
        ];
        self.send(Method::POST, path, &h, body).await
    }
}
