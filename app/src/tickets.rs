//! Tickets, their teams' pipelines (stages), customers and companies, and the audit
//! trail of every change.

pub mod api;
pub mod filter;
pub mod filter_bar;
pub mod list;
pub mod model;
pub mod new;
pub mod page;
pub mod rank;
#[cfg(feature = "ssr")]
pub mod store;
