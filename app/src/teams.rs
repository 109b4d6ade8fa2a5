//! Teams: Admin → Teams (create, rename, archive, members) and Team settings (a
//! team's pipeline of stages, for its leads and for admins).

pub mod api;
pub mod canned;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
