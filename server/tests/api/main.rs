//! The server's integration tests: one binary, the real router on fresh databases
//! (SQLite and Postgres) through `common::TestApp`.

mod common;

mod accounts;
mod board;
mod conversation;
mod fuzz;
mod mail;
mod portal;
mod tickets;
mod workflow;
