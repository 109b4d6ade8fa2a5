//! Tickets, their teams' pipelines (stages), customers and companies, and the audit
//! trail of every change.

pub mod model;
pub mod rank;
#[cfg(feature = "ssr")]
pub mod store;
