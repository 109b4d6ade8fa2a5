//! Administration: people (staff accounts) now; teams and settings with later issues.

pub mod api;
pub mod people;
