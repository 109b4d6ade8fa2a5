//! Who may do what: the one place that decides. Every page names an [`Access`] and
//! every server function calls [`require`] (server side) with one, so a list and the
//! record it links to are always guarded by the same rule. Which teams a staff member
//! works in, and so which tickets they may open, is decided here too
//! ([`visible_teams`], [`ticket_visible`]: one SQL rule, [`STAFF_TEAM`]).

use serde::{Deserialize, Serialize};

use super::model::Role;

/// A team as the visibility rules list it (the board's and the lists' team choice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Agents, leads and admins.
    Staff,
    /// Leads and admins.
    Lead,
    Admin,
    /// Customer accounts (the portal). Staff may look at it too, to see what
    /// customers see.
    Portal,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public | Access::SignedIn => true,
            Access::Staff => role.is_staff(),
            Access::Lead => matches!(role, Role::Lead | Role::Admin),
            Access::Admin => role == Role::Admin,
            Access::Portal => true,
        }
    }
}

/// A link in the main navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub access: Access,
}

pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/board",
        label: "Board",
        access: Access::Staff,
    },
    NavItem {
        href: "/command",
        label: "Command Center",
        access: Access::Staff,
    },
    NavItem {
        href: "/tickets",
        label: "Tickets",
        access: Access::Staff,
    },
    NavItem {
        href: "/customers",
        label: "Customers",
        access: Access::Staff,
    },
    NavItem {
        href: "/companies",
        label: "Companies",
        access: Access::Staff,
    },
    NavItem {
        href: "/team",
        label: "Team settings",
        access: Access::Lead,
    },
    NavItem {
        href: "/admin",
        label: "Admin",
        access: Access::Admin,
    },
];

/// The navigation a role sees. Customers see the portal only.
pub fn nav_for(role: Role) -> Vec<NavItem> {
    if role == Role::Customer {
        return vec![NavItem {
            href: "/portal",
            label: "My tickets",
            access: Access::Portal,
        }];
    }
    NAV.iter()
        .copied()
        .filter(|i| i.access.allows(role))
        .collect()
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::{Access, TeamSummary};
    use crate::auth::model::{CurrentUser, Role};
    use crate::db;
    use crate::error::AppError;
    use crate::store::Db;

    /// The signed-in user if `access` admits them: `Unauthorized` when nobody is
    /// signed in, `Forbidden` when their role is not enough.
    pub async fn require(access: Access) -> Result<Option<CurrentUser>, AppError> {
        let user = crate::auth::session::current_user().await?;
        match (access, user) {
            (Access::Public, user) => Ok(user),
            (_, None) => Err(AppError::Unauthorized),
            (access, Some(u)) if access.allows(u.role) => Ok(Some(u)),
            (_, Some(_)) => Err(AppError::Forbidden),
        }
    }

    /// Like [`require`] for any access that needs a signed-in user.
    pub async fn require_user(access: Access) -> Result<CurrentUser, AppError> {
        require(access).await?.ok_or(AppError::Unauthorized)
    }

    /// The staff rule, as SQL over `tm` (teams), with `admin` the placeholder of
    /// whether the user is an admin and `user` of their id: an active team that is an
    /// admin's or one they are a member of. Written once; every staff list and
    /// single-record check (and the writes that check as they go) uses it.
    pub fn staff_team(admin: &str, user: &str) -> String {
        format!(
            "tm.archived = FALSE AND ({admin} OR EXISTS (
                SELECT 1 FROM team_members m WHERE m.team_id = tm.id AND m.user_id = {user}))"
        )
    }

    #[derive(sqlx::FromRow)]
    struct TeamRow {
        id: i64,
        name: String,
    }

    /// The customer rule, as SQL over `t` (tickets), with the customer id in `$1` and
    /// whether they manage any company in `$2`: their own tickets, and those that are
    /// for a company they manage (`company_members`). Written as one IN over a UNION
    /// of two index walks (tickets by customer, tickets by company) so both databases
    /// visit only those tickets (an OR made Postgres scan every ticket); `$2` spares
    /// the second walk for everyone who manages nothing. Every portal list and
    /// single-ticket load uses it.
    pub const CUSTOMER_TICKET: &str = "t.id IN (
            SELECT o.id FROM tickets o WHERE o.customer_id = $1
            UNION ALL
            SELECT o.id FROM company_members cm JOIN tickets o ON o.company_id = cm.company_id
             WHERE $2 AND cm.customer_id = $1 AND cm.role = 'manager')";

    /// Whether `ticket_id` is one the customer `customer` may see (`manages`: whether
    /// they manage any company).
    pub async fn customer_ticket_visible(
        db: &Db,
        customer: i64,
        manages: bool,
        ticket_id: i64,
    ) -> Result<bool, AppError> {
        let sql = format!("SELECT t.id FROM tickets t WHERE t.id = $3 AND {CUSTOMER_TICKET}");
        let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(&sql)
            .bind(customer).bind(manages).bind(ticket_id).fetch_optional(pool).await)?;
        Ok(found.is_some())
    }

    /// The teams whose boards `user` may open: every active team for admins, their own
    /// teams for everyone else.
    pub async fn visible_teams(db: &Db, user: &CurrentUser) -> Result<Vec<TeamSummary>, AppError> {
        let sql = format!(
            "SELECT tm.id, tm.name FROM teams tm WHERE {} ORDER BY tm.id",
            staff_team("$1", "$2")
        );
        let rows = db!(db, pool => sqlx::query_as::<_, TeamRow>(&sql)
            .bind(user.role == Role::Admin).bind(user.id).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| TeamSummary {
                id: r.id,
                name: r.name,
            })
            .collect())
    }

    /// The team a page opens among `teams` (those the user may see): the `requested`
    /// one, or when none is named the first. A team not among them is Forbidden; no team
    /// at all is a message saying `none` (e.g. "You are not in any team yet…").
    pub fn choose_team(
        teams: &[TeamSummary],
        requested: Option<i64>,
        none: &'static str,
    ) -> Result<TeamSummary, AppError> {
        match requested {
            Some(id) => teams
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or(AppError::Forbidden),
            None => teams
                .first()
                .cloned()
                .ok_or_else(|| AppError::validation("team", none)),
        }
    }

    /// Whether `ticket_id` exists on a board `user` may open (the same rule as
    /// [`visible_teams`], in one query for the hot path of moves).
    pub async fn ticket_visible(
        db: &Db,
        user: &CurrentUser,
        ticket_id: i64,
    ) -> Result<bool, AppError> {
        let sql = format!(
            "SELECT t.id FROM tickets t WHERE t.id = $3 AND EXISTS (
                SELECT 1 FROM teams tm WHERE tm.id = t.team_id AND {})",
            staff_team("$1", "$2")
        );
        let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(&sql)
            .bind(user.role == Role::Admin).bind(user.id).bind(ticket_id).fetch_optional(pool).await)?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_see_only_the_portal() {
        let nav = nav_for(Role::Customer);
        assert_eq!(nav.len(), 1);
        assert_eq!(nav[0].href, "/portal");
    }

    #[test]
    fn agents_do_not_see_team_settings_or_admin() {
        let hrefs: Vec<_> = nav_for(Role::Agent).iter().map(|i| i.href).collect();
        assert_eq!(
            hrefs,
            ["/board", "/command", "/tickets", "/customers", "/companies"]
        );
    }

    #[test]
    fn leads_see_team_settings_and_admins_see_everything() {
        assert!(nav_for(Role::Lead).iter().any(|i| i.href == "/team"));
        assert!(!nav_for(Role::Lead).iter().any(|i| i.href == "/admin"));
        assert_eq!(nav_for(Role::Admin).len(), NAV.len());
    }

    #[test]
    fn staff_pages_refuse_customers() {
        assert!(!Access::Staff.allows(Role::Customer));
        assert!(!Access::Admin.allows(Role::Lead));
        assert!(Access::Lead.allows(Role::Admin));
    }
}
