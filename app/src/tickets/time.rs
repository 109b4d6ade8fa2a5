//! Time tracking on a ticket: a timer to start and stop (one running per agent at a
//! time; starting another stops the first, after asking), or minutes added by hand
//! with a date and a note. Every entry is audited.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeEntry {
    pub id: i64,
    pub person: String,
    /// None while the timer runs.
    pub minutes: Option<i64>,
    pub note: String,
    /// YYYY-MM-DD
    pub day: String,
    pub started_at: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSheet {
    pub entries: Vec<TimeEntry>,
    /// Minutes per person, most first.
    pub totals: Vec<(String, i64)>,
    /// When the viewer's timer on this ticket was started, if it runs.
    pub running_here: Option<i64>,
    /// The ticket (number) where the viewer's timer runs, if elsewhere.
    pub running_elsewhere: Option<i64>,
}

/// "1 h 05 min", "45 min".
pub fn duration_text(minutes: i64) -> String {
    if minutes >= 60 {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    } else {
        format!("{minutes} min")
    }
}

/// Minutes typed by hand: a whole number from 1 to 1440 (a day), or "1h 30m", "1:30".
pub fn parse_minutes(raw: &str) -> Result<i64, AppError> {
    let s = raw.trim().to_lowercase();
    let bad = || {
        AppError::validation(
            "minutes",
            "Enter minutes (such as 45), or hours and minutes (1:30).",
        )
    };
    let total = if let Some((h, m)) = s.split_once(':') {
        let h: i64 = h.trim().parse().map_err(|_| bad())?;
        let m: i64 = m.trim().parse().map_err(|_| bad())?;
        if !(0..60).contains(&m) {
            return Err(bad());
        }
        h * 60 + m
    } else if s.contains('h') {
        let (h, rest) = s.split_once('h').ok_or_else(bad)?;
        let h: i64 = h.trim().parse().map_err(|_| bad())?;
        let rest = rest
            .trim()
            .trim_end_matches("min")
            .trim_end_matches('m')
            .trim();
        let m: i64 = if rest.is_empty() {
            0
        } else {
            rest.parse().map_err(|_| bad())?
        };
        h * 60 + m
    } else {
        s.trim_end_matches("min")
            .trim_end_matches('m')
            .trim()
            .parse()
            .map_err(|_| bad())?
    };
    if !(1..=1440).contains(&total) {
        return Err(AppError::validation(
            "minutes",
            "Log between 1 minute and 24 hours at a time.",
        ));
    }
    Ok(total)
}

/// Starts the signed-in agent's timer on a ticket. If it runs on another ticket,
/// nothing happens unless `confirm` is "yes": then that one is stopped (and logged)
/// first.
#[server(prefix = "/api", endpoint = "time/start")]
pub async fn start_timer(ticket_id: i64, confirm: Option<String>) -> Result<TimeSheet, AppError> {
    crate::api::respond(
        async {
            let (user, state) = crate::api::start_on_ticket(ticket_id).await?;
            store::start(
                &state.db,
                user.id,
                ticket_id,
                confirm.as_deref() == Some("yes"),
            )
            .await?;
            store::sheet(&state.db, ticket_id, user.id).await
        }
        .await,
    )
}

/// Stops the signed-in agent's timer on a ticket and logs the time.
#[server(prefix = "/api", endpoint = "time/stop")]
pub async fn stop_timer(ticket_id: i64) -> Result<TimeSheet, AppError> {
    crate::api::respond(
        async {
            let (user, state) = crate::api::start_on_ticket(ticket_id).await?;
            store::stop(&state.db, user.id, Some(ticket_id)).await?;
            store::sheet(&state.db, ticket_id, user.id).await
        }
        .await,
    )
}

/// Logs time by hand: minutes, the day (YYYY-MM-DD, today when empty) and a note.
#[server(prefix = "/api", endpoint = "time/add")]
pub async fn add_time(
    ticket_id: i64,
    minutes: String,
    day: String,
    note: String,
) -> Result<TimeSheet, AppError> {
    use crate::auth::policy::Access;
    let result = async {
        let (user, state) = crate::api::start(Access::Staff).await?;
        let minutes = parse_minutes(&minutes)?;
        let day = match day.trim() {
            "" => crate::ui::time::day(crate::store::now_ms()),
            d => {
                crate::tickets::model::parse_due_date(d)
                    .map_err(|_| AppError::validation("day", "Enter the date as YYYY-MM-DD."))?;
                d.to_string()
            }
        };
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(AppError::validation(
                "note",
                "Keep the note to 500 characters.",
            ));
        }
        if !crate::auth::policy::ticket_visible(&state.db, &user, ticket_id).await? {
            return Err(AppError::NotFound);
        }
        store::add(&state.db, user.id, ticket_id, minutes, &day, note).await?;
        store::sheet(&state.db, ticket_id, user.id).await
    }
    .await;
    #[cfg(feature = "ssr")]
    if let Err(e) = &result {
        if crate::api::is_plain_form_post() {
            // Without JavaScript: back to the page with the message and what was typed.
            crate::api::refuse_form(
                <AddTime as leptos::server_fn::ServerFn>::PATH,
                e.clone(),
                &[
                    ("minutes", minutes.as_str()),
                    ("day", day.as_str()),
                    ("note", note.as_str()),
                ],
            )
            .await?;
            return Ok(TimeSheet::default());
        }
    }
    crate::api::respond(result)
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::{duration_text, TimeEntry, TimeSheet};
    use crate::error::AppError;
    use crate::store::{now_ms, Db};
    use crate::{db, insert_audit};

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        person: String,
        minutes: Option<i64>,
        note: String,
        day: String,
        started_at: Option<i64>,
        user_id: i64,
    }

    pub async fn sheet(db: &Db, ticket_id: i64, viewer: i64) -> Result<TimeSheet, AppError> {
        let rows = db!(db, pool => sqlx::query_as::<_, Row>(
            "SELECT e.id, u.name AS person, e.minutes, e.note, e.day, e.started_at, e.user_id
             FROM time_entries e JOIN users u ON u.id = e.user_id
             WHERE e.ticket_id = $1 ORDER BY e.day DESC, e.id DESC"
        ).bind(ticket_id).fetch_all(pool).await)?;
        let running_here = rows
            .iter()
            .find(|r| r.user_id == viewer && r.minutes.is_none())
            .and_then(|r| r.started_at);
        let running_elsewhere: Option<i64> = if running_here.is_some() {
            None
        } else {
            db!(db, pool => sqlx::query_scalar::<_, i64>(
                "SELECT t.number FROM time_entries e JOIN tickets t ON t.id = e.ticket_id
                 WHERE e.user_id = $1 AND e.minutes IS NULL"
            ).bind(viewer).fetch_optional(pool).await)?
        };
        let mut totals: Vec<(String, i64)> = Vec::new();
        for r in &rows {
            if let Some(m) = r.minutes {
                match totals.iter_mut().find(|t| t.0 == r.person) {
                    Some(t) => t.1 += m,
                    None => totals.push((r.person.clone(), m)),
                }
            }
        }
        totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(TimeSheet {
            entries: rows
                .into_iter()
                .map(|r| TimeEntry {
                    id: r.id,
                    person: r.person,
                    minutes: r.minutes,
                    note: r.note,
                    day: r.day,
                    started_at: r.started_at,
                })
                .collect(),
            totals,
            running_here,
            running_elsewhere,
        })
    }

    /// Minutes between a start and now, at least one.
    fn elapsed(started: i64, now: i64) -> i64 {
        ((now - started) as f64 / 60_000.0).round().max(1.0) as i64
    }

    pub async fn start(
        db: &Db,
        user: i64,
        ticket_id: i64,
        stop_other: bool,
    ) -> Result<(), AppError> {
        let now = now_ms();
        let day = crate::ui::time::date(now);
        crate::write_tx!(db, tx => async {
            #[derive(sqlx::FromRow)]
            struct Running { id: i64, ticket_id: i64, started_at: Option<i64>, number: i64 }
            let running: Option<Running> = sqlx::query_as(
                "SELECT e.id, e.ticket_id, e.started_at, t.number FROM time_entries e JOIN tickets t ON t.id = e.ticket_id
                 WHERE e.user_id = $1 AND e.minutes IS NULL",
            ).bind(user).fetch_optional(&mut *tx).await?;
            if let Some(r) = running {
                if r.ticket_id == ticket_id {
                    return Err(AppError::conflict("timer", "Your timer is already running on this ticket."));
                }
                if !stop_other {
                    // Answered with the question: the form asks again with `confirm`.
                    return Err(AppError::conflict(
                        "confirm",
                        format!("Your timer is running on #{}. Stop it there and start it here?", r.number),
                    ));
                }
                let minutes = elapsed(r.started_at.unwrap_or(now), now);
                sqlx::query("UPDATE time_entries SET minutes = $1 WHERE id = $2").bind(minutes).bind(r.id).execute(&mut *tx).await?;
                let text = duration_text(minutes);
                insert_audit!(&mut *tx, user, "ticket", r.ticket_id, "timer_stopped", Some("time"), None::<&str>, Some(text.as_str()), now).await?;
            }
            sqlx::query(
                "INSERT INTO time_entries (ticket_id, user_id, started_at, minutes, note, day, created_at)
                 VALUES ($1, $2, $3, NULL, '', $4, $3)",
            ).bind(ticket_id).bind(user).bind(now).bind(&day).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, user, "ticket", ticket_id, "timer_started", Some("time"), None::<&str>, None::<&str>, now).await?;
            Ok(())
        }.await)
    }

    /// Stops `user`'s running timer (on `ticket_id`, when given) and logs its minutes.
    pub async fn stop(db: &Db, user: i64, ticket_id: Option<i64>) -> Result<i64, AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            let running: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
                "SELECT id, ticket_id, started_at FROM time_entries WHERE user_id = $1 AND minutes IS NULL",
            ).bind(user).fetch_optional(&mut *tx).await?;
            let (id, on, started) = running
                .filter(|r| ticket_id.is_none_or(|t| t == r.1))
                .ok_or_else(|| AppError::conflict("timer", "Your timer is not running on this ticket."))?;
            let minutes = elapsed(started.unwrap_or(now), now);
            sqlx::query("UPDATE time_entries SET minutes = $1 WHERE id = $2").bind(minutes).bind(id).execute(&mut *tx).await?;
            let text = duration_text(minutes);
            insert_audit!(&mut *tx, user, "ticket", on, "timer_stopped", Some("time"), None::<&str>, Some(text.as_str()), now).await?;
            Ok(minutes)
        }.await)
    }

    pub async fn add(
        db: &Db,
        user: i64,
        ticket_id: i64,
        minutes: i64,
        day: &str,
        note: &str,
    ) -> Result<(), AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            sqlx::query(
                "INSERT INTO time_entries (ticket_id, user_id, started_at, minutes, note, day, created_at)
                 VALUES ($1, $2, NULL, $3, $4, $5, $6)",
            ).bind(ticket_id).bind(user).bind(minutes).bind(note).bind(day).bind(now).execute(&mut *tx).await?;
            let text = format!("{} on {day}", duration_text(minutes));
            insert_audit!(&mut *tx, user, "ticket", ticket_id, "time_logged", Some("time"), None::<&str>, Some(text.as_str()), now).await?;
            Ok(())
        }.await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_read_in_the_usual_ways() {
        assert_eq!(parse_minutes("45").unwrap(), 45);
        assert_eq!(parse_minutes("1:30").unwrap(), 90);
        assert_eq!(parse_minutes("1h 5m").unwrap(), 65);
        assert_eq!(parse_minutes("2h").unwrap(), 120);
        assert_eq!(parse_minutes("20 min").unwrap(), 20);
        assert!(parse_minutes("0").is_err());
        assert!(parse_minutes("1:75").is_err());
        assert!(parse_minutes("lots").is_err());
        assert!(parse_minutes("1441").is_err());
    }

    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(duration_text(65), "1 h 05 min");
        assert_eq!(duration_text(45), "45 min");
    }
}
