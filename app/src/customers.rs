//! Customers and the companies they belong to: the records tickets are for, their
//! pages (`pages`: the list, New customer, a customer's page), and the portal accounts
//! Admin → Customers puts in companies. Their SQL is `store`, their server functions
//! `api`, what both sides share `model`.

pub mod api;
#[cfg(feature = "ssr")]
pub mod merge;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
