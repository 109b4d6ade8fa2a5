//! Administration: people (staff accounts), customers' accounts and companies, the
//! outbox and the audit trail. Teams live in `teams`.

pub mod api;
pub mod audit;
pub mod customers;
pub mod outbox;
pub mod people;
