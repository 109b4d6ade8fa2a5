//! The customer portal: customers follow their tickets (and, for company managers,
//! their company's), answer them, close and reopen them, and submit new ones. Its
//! forms post as plain HTML forms (a reply or a request carries files), so they work
//! the same with and without JavaScript, on any phone.

pub mod api;
#[cfg(feature = "hydrate")]
pub mod enhance;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
