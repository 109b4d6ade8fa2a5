//! Who may do what: the one place that decides. Every page names an [`Access`] and
//! every server function calls [`require`] (server side) with one, so a list and the
//! record it links to are always guarded by the same rule.

use super::model::Role;

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
    use super::Access;
    use crate::auth::model::CurrentUser;
    use crate::error::AppError;

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
        assert_eq!(hrefs, ["/board", "/command", "/tickets", "/customers"]);
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
