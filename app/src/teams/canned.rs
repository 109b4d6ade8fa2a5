//! Canned replies: texts a team answers with again and again, kept per team by its
//! leads (and admins), inserted into the composer with their placeholders filled:
//! `{{customer.name}}`, `{{customer.email}}`, `{{company.name}}`, `{{ticket.number}}`,
//! `{{ticket.title}}`, `{{agent.name}}`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A canned reply as the composer's menu and Team settings list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: i64,
    pub team_id: i64,
    pub title: String,
    pub body: String,
}

impl CannedReply {
    /// Whether it matches what was typed after `/` (or in the menu's search box):
    /// every word of the query appears in the title or the body.
    pub fn matches(&self, query: &str) -> bool {
        let hay = format!("{} {}", self.title, self.body).to_lowercase();
        query
            .split_whitespace()
            .all(|w| hay.contains(&w.to_lowercase()))
    }
}

/// The values placeholders are filled with (the server sends them with the ticket,
/// so the composer fills a reply without another request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placeholders {
    pub customer_name: String,
    pub customer_email: String,
    pub company_name: String,
    pub ticket_number: i64,
    pub ticket_title: String,
    pub agent_name: String,
}

/// The placeholders people can use, for the help text in Team settings.
pub const PLACEHOLDERS: [&str; 6] = [
    "{{customer.name}}",
    "{{customer.email}}",
    "{{company.name}}",
    "{{ticket.number}}",
    "{{ticket.title}}",
    "{{agent.name}}",
];

/// Fills the placeholders of `body`. Spaces inside the braces are allowed
/// (`{{ customer.name }}`); an unknown placeholder is left as written, so a typo
/// shows instead of vanishing.
pub fn fill(body: &str, values: &Placeholders) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        let value = match name {
            "customer.name" => Some(values.customer_name.clone()),
            "customer.email" => Some(values.customer_email.clone()),
            "company.name" => Some(values.company_name.clone()),
            "ticket.number" => Some(format!("#{}", values.ticket_number)),
            "ticket.title" => Some(values.ticket_title.clone()),
            "agent.name" => Some(values.agent_name.clone()),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Title: required, at most 100 characters. Body: required, at most 10,000.
pub fn parse_canned(title: &str, body: &str) -> Result<(String, String), AppError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::validation("title", "Give the reply a title."));
    }
    if title.chars().count() > 100 {
        return Err(AppError::validation("title", "Use at most 100 characters."));
    }
    let body = body.trim_end();
    if body.trim().is_empty() {
        return Err(AppError::validation("body", "Write the reply's text."));
    }
    if body.chars().count() > 10_000 {
        return Err(AppError::validation(
            "body",
            "Use at most 10,000 characters.",
        ));
    }
    Ok((title.to_string(), body.to_string()))
}

/// The canned replies of a team, for its members (and admins).
#[server(prefix = "/api", endpoint = "canned/list")]
pub async fn list_canned(team: i64) -> Result<Vec<CannedReply>, AppError> {
    use crate::auth::policy::Access;
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(Access::Staff).await?;
            let teams = crate::auth::policy::visible_teams(&state.db, &user).await?;
            if !teams.iter().any(|t| t.id == team) {
                return Err(AppError::NotFound);
            }
            store::for_team(&state.db, team).await
        }
        .await,
    )
}

/// Adds a canned reply to a team the user leads (or any team, for admins).
#[server(prefix = "/api", endpoint = "canned/create")]
pub async fn create_canned(team: i64, title: String, body: String) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let (user, state) = manager_of(team).await?;
            let (title, body) = parse_canned(&title, &body)?;
            store::create(&state.db, user.id, team, &title, &body).await?;
            Ok(crate::api::finish_form(&format!("/team?team={team}")))
        }
        .await,
    )
}

/// Changes a canned reply's title and text.
#[server(prefix = "/api", endpoint = "canned/update")]
pub async fn update_canned(id: i64, title: String, body: String) -> Result<String, AppError> {
    crate::api::respond(
        async {
            // Who is asking first: nobody learns which ids exist without the right.
            let (user, state) = crate::api::start(crate::auth::policy::Access::Lead).await?;
            let reply = store::find(&state.db, id)
                .await?
                .ok_or(AppError::NotFound)?;
            may_manage(&user, &state, reply.team_id).await?;
            let (title, body) = parse_canned(&title, &body)?;
            store::update(&state.db, user.id, id, &title, &body).await?;
            Ok(crate::api::finish_form(&format!(
                "/team?team={}",
                reply.team_id
            )))
        }
        .await,
    )
}

/// Removes a canned reply.
#[server(prefix = "/api", endpoint = "canned/delete")]
pub async fn delete_canned(id: i64) -> Result<String, AppError> {
    crate::api::respond(
        async {
            let (user, state) = crate::api::start(crate::auth::policy::Access::Lead).await?;
            let reply = store::find(&state.db, id)
                .await?
                .ok_or(AppError::NotFound)?;
            may_manage(&user, &state, reply.team_id).await?;
            store::delete(&state.db, user.id, &reply).await?;
            Ok(crate::api::finish_form(&format!(
                "/team?team={}",
                reply.team_id
            )))
        }
        .await,
    )
}

/// The signed-in user, if they may manage `team`'s canned replies: its leads, and
/// admins. Anyone else: not found.
#[cfg(feature = "ssr")]
async fn manager_of(
    team: i64,
) -> Result<(crate::auth::CurrentUser, crate::state::AppState), AppError> {
    let (user, state) = crate::api::start(crate::auth::policy::Access::Lead).await?;
    may_manage(&user, &state, team).await?;
    Ok((user, state))
}

/// Not found unless `user` leads `team` (or is an admin and the team exists).
#[cfg(feature = "ssr")]
async fn may_manage(
    user: &crate::auth::CurrentUser,
    state: &crate::state::AppState,
    team: i64,
) -> Result<(), AppError> {
    let allowed = if user.role == crate::auth::Role::Admin {
        crate::teams::store::find_team(&state.db, team)
            .await?
            .is_some()
    } else {
        crate::teams::store::teams_of(&state.db, user.id)
            .await?
            .iter()
            .any(|t| t.id == team)
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::CannedReply;
    use crate::error::AppError;
    use crate::store::{now_ms, Db};
    use crate::{db, insert_audit};

    const COLUMNS: &str = "id, team_id, title, body";

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        team_id: i64,
        title: String,
        body: String,
    }

    impl From<Row> for CannedReply {
        fn from(r: Row) -> CannedReply {
            CannedReply {
                id: r.id,
                team_id: r.team_id,
                title: r.title,
                body: r.body,
            }
        }
    }

    pub async fn for_team(db: &Db, team: i64) -> Result<Vec<CannedReply>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM canned_replies WHERE team_id = $1 ORDER BY lower(title), id"
        );
        let rows =
            db!(db, pool => sqlx::query_as::<_, Row>(&sql).bind(team).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn find(db: &Db, id: i64) -> Result<Option<CannedReply>, AppError> {
        let sql = format!("SELECT {COLUMNS} FROM canned_replies WHERE id = $1");
        let row =
            db!(db, pool => sqlx::query_as::<_, Row>(&sql).bind(id).fetch_optional(pool).await)?;
        Ok(row.map(Into::into))
    }

    pub async fn create(
        db: &Db,
        actor: i64,
        team: i64,
        title: &str,
        body: &str,
    ) -> Result<i64, AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO canned_replies (team_id, title, body, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            ).bind(team).bind(title).bind(body).bind(actor).bind(now).fetch_one(&mut *tx).await?;
            insert_audit!(&mut *tx, actor, "canned_reply", id, "created", None::<&str>, None::<&str>, Some(title), now).await?;
            Ok(id)
        }.await)
    }

    pub async fn update(
        db: &Db,
        actor: i64,
        id: i64,
        title: &str,
        body: &str,
    ) -> Result<(), AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            let old: Option<String> = sqlx::query_scalar("SELECT title FROM canned_replies WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await?;
            let old = old.ok_or(AppError::NotFound)?;
            sqlx::query("UPDATE canned_replies SET title = $1, body = $2, updated_at = $3 WHERE id = $4")
                .bind(title).bind(body).bind(now).bind(id).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, actor, "canned_reply", id, "changed", Some("text"), Some(old.as_str()), Some(title), now).await?;
            Ok(())
        }.await)
    }

    pub async fn delete(db: &Db, actor: i64, reply: &CannedReply) -> Result<(), AppError> {
        let now = now_ms();
        crate::write_tx!(db, tx => async {
            sqlx::query("DELETE FROM canned_replies WHERE id = $1").bind(reply.id).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, actor, "canned_reply", reply.id, "deleted", None::<&str>, Some(reply.title.as_str()), None::<&str>, now).await?;
            Ok(())
        }.await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Placeholders {
        Placeholders {
            customer_name: "Cora".into(),
            customer_email: "cora@x.example".into(),
            company_name: "Initech".into(),
            ticket_number: 1042,
            ticket_title: "Printer".into(),
            agent_name: "Ada".into(),
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill("Hi {{customer.name}}, about {{ ticket.number }} ({{ticket.title}}) — {{agent.name}}", &values()),
            "Hi Cora, about #1042 (Printer) — Ada"
        );
    }

    #[test]
    fn unknown_or_unclosed_placeholders_stay_as_written() {
        assert_eq!(
            fill("{{customer.age}} and {{oops", &values()),
            "{{customer.age}} and {{oops"
        );
    }

    #[test]
    fn the_menu_search_matches_every_word() {
        let r = CannedReply {
            id: 1,
            team_id: 1,
            title: "Password reset".into(),
            body: "Use the link".into(),
        };
        assert!(r.matches("pass link"));
        assert!(!r.matches("refund"));
        assert!(r.matches(""));
    }
}
