//! The Kanban board: one column per stage of a team's pipeline.

pub mod api;
pub mod moves;
pub mod page;
#[cfg(feature = "ssr")]
pub mod store;
