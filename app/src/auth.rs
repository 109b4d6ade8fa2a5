//! Accounts, roles, sessions and the one permission module.

pub mod api;
#[cfg(feature = "ssr")]
pub mod links;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password;
pub mod policy;
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod session;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{CurrentUser, Role, SessionInfo};
