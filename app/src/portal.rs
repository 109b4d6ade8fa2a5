//! The customer portal: customers follow their tickets (and, for company managers,
//! their company's), answer them, close and reopen them, and submit new ones. Its
//! pages are rendered on the server as plain HTML forms, so they work the same with
//! and without JavaScript, on any phone.

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "hydrate")]
pub mod enhance;
pub mod model;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
