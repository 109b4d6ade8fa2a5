//! Runtime configuration: `Leptos.toml`, each key overridable by a `GRIP_*`
//! environment variable. A bad value stops start-up with one line that names the
//! setting and what is wrong with it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    /// The key and its environment variable, e.g. `database_url (GRIP_DATABASE_URL)`.
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(key: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            setting: format!("{key} ({})", env_name(key)),
            problem: problem.into(),
        }
    }
}

fn env_name(key: &str) -> String {
    format!("GRIP_{}", key.to_uppercase())
}

/// The keys of `Leptos.toml`, all optional; see that file for what each one means.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    site_root: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    max_connections: Option<u32>,
    sqlite_max_mb: Option<u64>,
    session_idle_minutes: Option<i64>,
    upload_limit_mb: Option<u64>,
    customer_upload_mb_per_day: Option<u64>,
    customer_uploads_per_hour: Option<i64>,
    log_level: Option<String>,
    public_url: Option<String>,
    trust_proxy: Option<bool>,
    proxy_hops: Option<usize>,
    mail_dir: Option<String>,
    login_max_failures: Option<i64>,
    login_window_minutes: Option<i64>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<String>,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
    mail_from: Option<String>,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub site_root: PathBuf,
    pub data_dir: PathBuf,
    /// Secret-bearing: never printed whole (see the `Debug` impl).
    pub database_url: String,
    pub max_connections: u32,
    /// The size the SQLite database may grow to; past it writes are refused whole.
    pub sqlite_max_mb: Option<u64>,
    pub session_idle_minutes: i64,
    pub upload_limit_mb: u64,
    /// A customer account's upload quota: megabytes within 24 hours, files an hour.
    pub customer_upload_mb_per_day: u64,
    pub customer_uploads_per_hour: i64,
    pub log_level: String,
    pub public_url: Option<String>,
    pub trust_proxy: bool,
    /// How many proxies in front of Grip add to `X-Forwarded-For` (with
    /// `trust_proxy`): the client address is the entry the outermost one added.
    pub proxy_hops: usize,
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    /// Outgoing mail server; None keeps mail in the outbox (Admin → Outbox).
    pub smtp: Option<Smtp>,
    /// A development sink instead of SMTP: each mail is written here as a file.
    pub mail_dir: Option<PathBuf>,
    /// The sender of every email, e.g. `Grip <help@example.com>`.
    pub mail_from: String,
}

/// How TLS is used towards the SMTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a test server.
    None,
}

#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    /// Secret: never printed (see the `Debug` impl of `Config`).
    pub password: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("site_root", &self.site_root)
            .field("data_dir", &self.data_dir)
            .field("database_url", &app::store::redact_url(&self.database_url))
            .field("max_connections", &self.max_connections)
            .field("sqlite_max_mb", &self.sqlite_max_mb)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("upload_limit_mb", &self.upload_limit_mb)
            .field(
                "customer_upload_mb_per_day",
                &self.customer_upload_mb_per_day,
            )
            .field("customer_uploads_per_hour", &self.customer_uploads_per_hour)
            .field("log_level", &self.log_level)
            .field("public_url", &self.public_url)
            .field("trust_proxy", &self.trust_proxy)
            .field("proxy_hops", &self.proxy_hops)
            .field(
                "smtp",
                &self.smtp.as_ref().map(|s| {
                    format!(
                        "{}:{} ({:?}, user {:?}, password {})",
                        s.host,
                        s.port,
                        s.tls,
                        s.user,
                        if s.password.is_some() { "set" } else { "unset" }
                    )
                }),
            )
            .field("mail_from", &self.mail_from)
            .field("mail_dir", &self.mail_dir)
            .finish()
    }
}

impl Config {
    /// Reads `path` (when it exists; a path given explicitly must exist) and then
    /// the environment, through `env` (so tests can pass their own).
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError {
                    setting: "--config (GRIP_CONFIG)".into(),
                    problem: format!("cannot read {}: {e}", p.display()),
                })?;
                Self::parse_file(&text, p)?
            }
            None => match std::fs::read_to_string("Leptos.toml") {
                Ok(text) => Self::parse_file(&text, Path::new("Leptos.toml"))?,
                Err(_) => FileConfig::default(),
            },
        };
        let get = |key: &str, file_value: Option<String>| -> Option<String> {
            env(&env_name(key))
                .filter(|v| !v.trim().is_empty())
                .or(file_value.filter(|v| !v.trim().is_empty()))
        };
        fn number<T>(key: &str, raw: Option<String>, default: T, min: T) -> Result<T, ConfigError>
        where
            T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
        {
            match raw {
                None => Ok(default),
                Some(s) => {
                    let v: T = s.trim().parse().map_err(|_| {
                        ConfigError::new(key, format!("{s:?} is not a whole number"))
                    })?;
                    if v < min {
                        return Err(ConfigError::new(key, format!("must be at least {min}")));
                    }
                    Ok(v)
                }
            }
        }

        let listen_raw = get("listen", file.listen).unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen = listen_raw.parse().map_err(|_| {
            ConfigError::new(
                "listen",
                format!("{listen_raw:?} is not an address like 127.0.0.1:3000"),
            )
        })?;
        let site_root =
            PathBuf::from(get("site_root", file.site_root).unwrap_or_else(|| "target/site".into()));
        let data_dir =
            PathBuf::from(get("data_dir", file.data_dir).unwrap_or_else(|| "data".into()));
        let database_url = match get("database_url", file.database_url) {
            Some(url) => {
                let url = url.trim().to_string();
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(ConfigError::new(
                        "database_url",
                        format!(
                            "{:?} is not a sqlite:// or postgres:// URL",
                            app::store::redact_url(&url)
                        ),
                    ));
                }
                url
            }
            None => format!("sqlite://{}", data_dir.join("grip.db").display()),
        };
        let to_num = |v: Option<i64>| v.map(|n| n.to_string());
        let max_connections = number(
            "max_connections",
            get(
                "max_connections",
                file.max_connections.map(|n| n.to_string()),
            ),
            8u32,
            1,
        )?;
        let sqlite_max_mb = match get("sqlite_max_mb", file.sqlite_max_mb.map(|n| n.to_string())) {
            None => None,
            Some(raw) if raw.trim().is_empty() || raw.trim() == "0" => None,
            raw => Some(number("sqlite_max_mb", raw, 0u64, 1)?),
        };
        let session_idle_minutes = number(
            "session_idle_minutes",
            get("session_idle_minutes", to_num(file.session_idle_minutes)),
            60 * 24 * 7,
            1,
        )?;
        let upload_limit_mb = number(
            "upload_limit_mb",
            get(
                "upload_limit_mb",
                file.upload_limit_mb.map(|n| n.to_string()),
            ),
            25u64,
            1,
        )?;
        let customer_upload_mb_per_day = number(
            "customer_upload_mb_per_day",
            get(
                "customer_upload_mb_per_day",
                file.customer_upload_mb_per_day.map(|n| n.to_string()),
            ),
            250u64,
            1,
        )?;
        let customer_uploads_per_hour = number(
            "customer_uploads_per_hour",
            get(
                "customer_uploads_per_hour",
                file.customer_uploads_per_hour.map(|n| n.to_string()),
            ),
            60i64,
            1,
        )?;
        let login_max_failures = number(
            "login_max_failures",
            get("login_max_failures", to_num(file.login_max_failures)),
            10i64,
            1,
        )?;
        let login_window_minutes = number(
            "login_window_minutes",
            get("login_window_minutes", to_num(file.login_window_minutes)),
            15i64,
            1,
        )?;
        let log_level = get("log_level", file.log_level).unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            return Err(ConfigError::new(
                "log_level",
                format!("{log_level:?} is not a level (error, warn, info, debug, trace) or filter"),
            ));
        }
        let public_url = get("public_url", file.public_url);
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ConfigError::new(
                    "public_url",
                    format!("{u:?} must start with http:// or https://"),
                ));
            }
        }
        let trust_proxy = match get("trust_proxy", file.trust_proxy.map(|b| b.to_string())) {
            None => false,
            Some(s) => match s.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => {
                    return Err(ConfigError::new(
                        "trust_proxy",
                        format!("{other:?} is not true or false"),
                    ))
                }
            },
        };
        let proxy_hops = number(
            "proxy_hops",
            get("proxy_hops", file.proxy_hops.map(|n| n.to_string())),
            1usize,
            1,
        )?;
        let smtp = match get("smtp_host", file.smtp_host) {
            None => None,
            Some(host) => {
                let tls = match get("smtp_tls", file.smtp_tls).as_deref().map(str::trim) {
                    None | Some("starttls") => SmtpTls::StartTls,
                    Some("tls") => SmtpTls::Tls,
                    Some("none") => SmtpTls::None,
                    Some(other) => {
                        return Err(ConfigError::new(
                            "smtp_tls",
                            format!("{other:?} is not starttls, tls or none"),
                        ))
                    }
                };
                let default_port = match tls {
                    SmtpTls::Tls => 465,
                    SmtpTls::StartTls => 587,
                    SmtpTls::None => 25,
                };
                let port = number(
                    "smtp_port",
                    get("smtp_port", file.smtp_port.map(|p| p.to_string())),
                    default_port,
                    1,
                )?;
                Some(Smtp {
                    host: host.trim().to_string(),
                    port,
                    tls,
                    user: get("smtp_user", file.smtp_user),
                    password: get("smtp_password", file.smtp_password),
                })
            }
        };
        let mail_dir = get("mail_dir", file.mail_dir)
            .filter(|d| !d.trim().is_empty())
            .map(PathBuf::from);
        if smtp.is_some() && mail_dir.is_some() {
            return Err(ConfigError::new(
                "mail_dir",
                "set smtp_host (real delivery) or mail_dir (a development sink), not both",
            ));
        }
        let mail_from =
            get("mail_from", file.mail_from).unwrap_or_else(|| "Grip <grip@localhost>".to_string());
        if !mail_from.contains('@') {
            return Err(ConfigError::new(
                "mail_from",
                format!("{mail_from:?} is not an address like Grip <help@example.com>"),
            ));
        }
        Ok(Config {
            listen,
            site_root,
            data_dir,
            database_url,
            max_connections,
            sqlite_max_mb,
            session_idle_minutes,
            upload_limit_mb,
            customer_upload_mb_per_day,
            customer_uploads_per_hour,
            log_level,
            public_url,
            trust_proxy,
            proxy_hops,
            login_max_failures,
            login_window_minutes,
            smtp,
            mail_dir,
            mail_from,
        })
    }

    fn parse_file(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError {
            setting: path.display().to_string(),
            problem: e.message().to_string(),
        })
    }

    /// Cookies get `Secure` when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The address links in emails start with: `public_url`, or the listen address.
    /// Never the request's Host header, which a client chooses (a reset link must not
    /// point at someone else's site).
    pub fn site_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Makes sure the data directory exists and can be written.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir).map_err(|e| {
            ConfigError::new("data_dir", format!("cannot create {}: {e}", dir.display()))
        })?;
        let probe = dir.join(".grip-write-test");
        std::fs::write(&probe, b"ok").map_err(|e| {
            ConfigError::new(
                "data_dir",
                format!("{} is not writable: {e}", dir.display()),
            )
        })?;
        let _ = std::fs::remove_file(probe);
        Ok(())
    }

    pub fn settings(&self) -> app::state::Settings {
        app::state::Settings {
            session_idle_minutes: self.session_idle_minutes,
            upload_limit_bytes: self.upload_limit_mb * 1024 * 1024,
            customer_upload_bytes_per_day: self.customer_upload_mb_per_day * 1024 * 1024,
            customer_uploads_per_hour: self.customer_uploads_per_hour,
            attachments_dir: self.data_dir.join("attachments"),
            audit_archive_dir: self.data_dir.join("audit-archive"),
            secure_cookies: self.secure_cookies(),
            login_max_failures: self.login_max_failures,
            login_window_secs: self.login_window_minutes * 60,
            site_url: self.site_url(),
        }
    }

    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        use leptos::config::{Env, LeptosOptions};
        // `cargo leptos watch` sets LEPTOS_WATCH: the live-reload script then runs and
        // needs its websocket port (which the CSP allows only in that mode).
        let dev = std::env::var("LEPTOS_WATCH").is_ok();
        let reload_port = std::env::var("LEPTOS_RELOAD_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(3001);
        LeptosOptions::builder()
            .output_name("grip")
            .hash_files(hashed_site())
            .site_root(self.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(self.listen)
            .env(if dev { Env::DEV } else { Env::PROD })
            .reload_port(reload_port)
            .build()
    }
}

/// Whether the site was built with hashed file names: cargo-leptos then writes
/// `hash.txt` beside the binary, and Leptos reads the names from it (a debug build or
/// a test binary has none, and its pages name the plain `/pkg/grip.*` files).
pub fn hashed_site() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|file| file.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let dir = std::env::temp_dir().join(format!("grip-config-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("Leptos.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:4000\"\nupload_limit_mb = 10\n").unwrap();
        Config::load(Some(&file), &|k| map.get(k).cloned())
    }

    #[test]
    fn no_database_url_means_sqlite_in_the_data_directory() {
        let c = load(&[("GRIP_DATA_DIR", "/srv/grip")]).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/grip/grip.db");
        assert_eq!(c.listen.port(), 4000);
        assert_eq!(c.upload_limit_mb, 10);
    }

    #[test]
    fn environment_variables_override_the_file() {
        let c = load(&[
            ("GRIP_LISTEN", "0.0.0.0:8080"),
            ("GRIP_UPLOAD_LIMIT_MB", "50"),
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.upload_limit_mb, 50);
    }

    #[test]
    fn an_unparsable_database_url_names_the_setting() {
        let e = load(&[("GRIP_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.setting, "database_url (GRIP_DATABASE_URL)");
    }

    #[test]
    fn a_bad_listen_address_or_number_names_the_setting() {
        assert_eq!(
            load(&[("GRIP_LISTEN", "nowhere")]).unwrap_err().setting,
            "listen (GRIP_LISTEN)"
        );
        assert_eq!(
            load(&[("GRIP_MAX_CONNECTIONS", "lots")])
                .unwrap_err()
                .setting,
            "max_connections (GRIP_MAX_CONNECTIONS)"
        );
        assert_eq!(
            load(&[("GRIP_SESSION_IDLE_MINUTES", "0")])
                .unwrap_err()
                .setting,
            "session_idle_minutes (GRIP_SESSION_IDLE_MINUTES)"
        );
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("grip-config-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("Leptos.toml");
        std::fs::write(&file, "listne = \"x\"\n").unwrap();
        assert!(Config::load(Some(&file), &|_| None).is_err());
    }

    #[test]
    fn the_database_password_is_not_in_debug_output() {
        let c = load(&[(
            "GRIP_DATABASE_URL",
            "postgres://grip:hunter2hunter2@db/grip",
        )])
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        assert!(load(&[("GRIP_PUBLIC_URL", "https://help.example.com")])
            .unwrap()
            .secure_cookies());
        assert!(!load(&[]).unwrap().secure_cookies());
    }
}
