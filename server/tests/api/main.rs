//! The server's integration tests: one binary, the real router on fresh databases
//! (SQLite and Postgres) through `common::TestApp`.

mod common;
mod process;

mod accounts;
mod audit;
mod board;
mod companies;
mod conversation;
mod crash;
mod customers;
mod fuzz;
mod mail;
mod matrix;
mod outage;
mod portal;
mod search;
mod tickets;
mod workflow;
