//! Administration: people (staff accounts), customers' accounts and companies, and
//! the outbox. Teams live in `teams`.

pub mod api;
pub mod customers;
pub mod outbox;
pub mod people;
