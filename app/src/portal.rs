//! The customer portal: customers follow their tickets (and, for company managers,
//! their company's), answer them, close and reopen them, and submit new ones. Its
//! forms post as plain HTML forms (a reply or a request carries files), so they work
//! the same with and without JavaScript, on any phone; hydrated, they check as they
//! are typed, keep drafts and upload files with progress (`forms`).

pub mod api;
pub mod forms;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
