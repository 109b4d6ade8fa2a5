//! The command line: `grip serve` (default), `grip migrate`, `grip create-admin`,
//! `grip seed`.
//! Every failure ends in one line naming what is wrong, and a non-zero exit.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Parser, Debug)]
#[command(name = "grip", version, about = "Grip help desk server")]
pub struct Cli {
    /// Configuration file (default: ./Leptos.toml when present).
    #[arg(long, global = true, env = "GRIP_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve Grip over HTTP (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create an admin account. The password is prompted for on a terminal, or read
    /// from the first line of standard input.
    CreateAdmin {
        /// The admin's email address (their sign-in name).
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long)]
        name: String,
    },
    /// Fill the database: `--demo` for a believable workspace to try Grip with, or
    /// `--tickets N` for benchmarks.
    Seed {
        /// 3 teams, 10 staff, 40 companies, 300 customers, 600 tickets with history.
        #[arg(long, conflicts_with = "tickets")]
        demo: bool,
        /// Create this many tickets as fast as possible.
        #[arg(long, required_unless_present = "demo")]
        tickets: Option<u64>,
        /// With --tickets: how many customers they belong to (default: one per ten).
        #[arg(long)]
        customers: Option<u64>,
        /// With --tickets: messages per ticket, with realistic text (the customer's
        /// and staff's in turn; a fifth of staff's are internal notes).
        #[arg(long, default_value_t = 3)]
        messages: u64,
        /// With --tickets: how many stay open on the team's board (the rest are completed).
        #[arg(long, default_value_t = 5000)]
        open: u64,
        /// With --tickets: the team they belong to (created if missing).
        #[arg(long, default_value = "Support")]
        team: String,
        /// Add to a database that already has tickets.
        #[arg(long)]
        force: bool,
        /// With --tickets: put the customers of the newest N tickets in one company
        /// with a portal manager account (for the portal benchmark; prints its password).
        #[arg(long)]
        company: Option<u64>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), &|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => return fail(format!("configuration error: {e}")),
    };
    init_logging(&config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::CreateAdmin { email, name } => create_admin(config, email, name).await,
            Command::Seed {
                demo,
                tickets,
                customers,
                messages,
                open,
                team,
                force,
                company,
            } => {
                let volume = tickets.map(|n| crate::seed::Volume {
                    customers: customers.unwrap_or(n.div_ceil(10)),
                    messages,
                });
                seed(config, demo, tickets, volume, open, team, force, company).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("grip: {message}");
    ExitCode::from(2)
}

fn init_logging(level: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(format!("{level},sqlx=warn,tower_sessions=warn"))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn open(config: &Config) -> Result<app::store::Db, String> {
    if config.database_url.starts_with("sqlite:") {
        config
            .prepare_data_dir()
            .map_err(|e| format!("configuration error: {e}"))?;
    }
    crate::open_database_limited(
        &config.database_url,
        config.max_connections,
        config.sqlite_max_mb,
    )
    .await
    .map_err(|e| format!("database_url (GRIP_DATABASE_URL): {e}"))
}

async fn serve(config: Config) -> Result<(), String> {
    let started = Instant::now();
    let mailer = crate::mail::Mailer::from_config(&config)
        .map_err(|e| format!("configuration error: {e}"))?;
    let db = open(&config).await?;
    let state = crate::app_state(db.clone(), &config);
    if app::auth::store::needs_setup(&db).await.unwrap_or(false) {
        tracing::info!("no admin yet: open the site to create the first admin account at /setup");
    }
    let router = crate::router(state.clone(), crate::http_settings(&config));
    let delivery = crate::mail::spawn_delivery(db.clone(), state.outbox.clone(), mailer);
    let housekeeping = crate::spawn_housekeeping(state);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            format!(
                "listen (GRIP_LISTEN): cannot listen on {}: {e}",
                config.listen
            )
        })?;
    tracing::info!(
        address = %config.listen,
        backend = db.backend(),
        startup_ms = started.elapsed().as_millis() as u64,
        "Grip is serving at http://{}",
        config.listen
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server error: {e}"))?;
    housekeeping.abort();
    delivery.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

#[allow(clippy::too_many_arguments)]
async fn seed(
    config: Config,
    demo: bool,
    tickets: Option<u64>,
    volume: Option<crate::seed::Volume>,
    open_count: u64,
    team: String,
    force: bool,
    company: Option<u64>,
) -> Result<(), String> {
    let db = open(&config).await?;
    let result = match (demo, tickets) {
        (true, _) => crate::seed::demo(&db, force).await,
        (false, Some(n)) => {
            let volume = volume.unwrap_or(crate::seed::Volume {
                customers: n.div_ceil(10),
                messages: 3,
            });
            let seeded =
                crate::seed::tickets_fast(&db, n, open_count.min(n), &team, force, volume).await;
            match (seeded, company) {
                (Ok(()), Some(c)) => crate::seed::portal_company(&db, c).await,
                (other, _) => other,
            }
        }
        (false, None) => Err("seed: choose --demo or --tickets N".into()),
    };
    db.close().await;
    result
}

async fn migrate(config: Config) -> Result<(), String> {
    let db = open(&config).await?;
    println!("database is up to date ({})", db.backend());
    db.close().await;
    Ok(())
}

async fn create_admin(config: Config, email: String, name: String) -> Result<(), String> {
    use app::auth::model::{Email, NewPassword, PersonName, Role};
    let email = Email::parse(&email).map_err(|e| format!("--email: {e}"))?;
    let name = PersonName::parse(&name).map_err(|e| format!("--name: {e}"))?;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("Password again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        NewPassword::parse(&first, &again)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        let line = line.trim_end_matches(['\n', '\r']);
        NewPassword::parse(line, line)
    }
    .map_err(|e| format!("password: {e}"))?;
    let db = open(&config).await?;
    let hash = app::auth::password::hash_password(password.expose().to_string())
        .await
        .map_err(|e| e.to_string())?;
    let first = app::auth::store::needs_setup(&db)
        .await
        .map_err(|e| e.to_string())?;
    let new = app::auth::store::NewUser {
        name: &name,
        email: &email,
        role: Role::Admin,
        password_hash: &hash,
    };
    let id = app::auth::store::create_user(&db, new, None, first)
        .await
        .map_err(|e| format!("cannot create the account: {e}"))?;
    println!("admin account {} created (id {id})", email.as_str());
    db.close().await;
    Ok(())
}
