//! Delivers the outbox (see `app::mail`): a background task sends pending mail over
//! SMTP when `smtp_host` is configured (or writes it to `mail_dir`, a development
//! sink), one message at a time, retrying a failed send with back-off; without
//! either it marks mail as kept for Admin → Outbox. A sent mail's links are removed
//! from its stored copy. A
//! request only ever writes an outbox row, so a slow or broken mail server never
//! slows anyone down.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use app::mail::DueMail;
use app::store::{now_ms, Db};

use crate::config::{Config, ConfigError, SmtpTls};

pub struct Mailer {
    transport: Option<Transport>,
    from: Mailbox,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `mail_dir`: each mail written as an `.eml` file (lettre's file transport), for
    /// development and tests on a machine without a mail server.
    Dir(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// The transport `config` describes; a bad SMTP host or sender names the setting.
    pub fn from_config(config: &Config) -> Result<Mailer, ConfigError> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| {
            ConfigError::new(
                "mail_from",
                format!("{:?} is not a sender address: {e}", config.mail_from),
            )
        })?;
        if let Some(dir) = &config.mail_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| ConfigError::new("mail_dir", format!("{}: {e}", dir.display())))?;
            return Ok(Mailer {
                transport: Some(Transport::Dir(AsyncFileTransport::new(dir))),
                from,
            });
        }
        let Some(smtp) = &config.smtp else {
            return Ok(Mailer {
                transport: None,
                from,
            });
        };
        let bad_host = |e: lettre::transport::smtp::Error| {
            ConfigError::new("smtp_host", format!("{:?}: {e}", smtp.host))
        };
        let mut builder = match smtp.tls {
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .map_err(bad_host)?,
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(bad_host)?
            }
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        }
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(20)));
        if let Some(user) = &smtp.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                smtp.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Mailer {
            transport: Some(Transport::Smtp(builder.build())),
            from,
        })
    }

    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    async fn send(&self, mail: &DueMail) -> Result<(), String> {
        let Some(transport) = &self.transport else {
            return Err("no SMTP server configured".into());
        };
        let to: Mailbox = mail
            .to_addr
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", mail.to_addr))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| e.to_string())?;
        match transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Dir(dir) => dir
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

/// Sends (or keeps) every mail that is due now. Returns how many were handled.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> Result<usize, app::error::AppError> {
    let mut handled = 0;
    loop {
        let batch = app::mail::due(db, now_ms(), 20).await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        for mail in &batch {
            if !mailer.configured() {
                app::mail::mark_kept(db, mail.id).await?;
            } else {
                match mailer.send(mail).await {
                    Ok(()) => app::mail::mark_sent(db, mail, now_ms()).await?,
                    Err(e) => {
                        tracing::warn!(mail_id = mail.id, attempt = mail.attempts + 1, error = %e, "sending mail failed");
                        app::mail::mark_failed(db, mail, &e, now_ms()).await?;
                    }
                }
            }
            handled += 1;
        }
    }
}

/// The delivery task: runs until aborted, waking when mail is queued and every 30 s
/// (for retries that came due).
pub fn spawn_delivery(
    db: Db,
    outbox: app::mail::Outbox,
    mailer: Mailer,
) -> tokio::task::JoinHandle<()> {
    if !mailer.configured() {
        tracing::info!(
            "no SMTP server configured (smtp_host): mail is kept in the outbox, Admin → Outbox"
        );
    }
    tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&db, &mailer).await {
                tracing::warn!(error = %e, "mail delivery pass failed");
            }
            tokio::select! {
                _ = outbox.rung() => {}
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
        }
    })
}
