//! Tickets, their teams' pipelines (stages), customers and companies, and the audit
//! trail of every change.

pub mod api;
pub mod conversation;
pub mod drafts;
pub mod filter;
pub mod filter_bar;
pub mod links;
pub mod list;
pub mod model;
pub mod new;
pub mod page;
pub use crate::rank;
pub mod side;
#[cfg(feature = "ssr")]
pub mod store;
pub mod time;
