//! Companies as records of their own: the list (`/companies`), a new company and a
//! company's page (`/companies/:id`: details, email domains, members and their roles,
//! the company's tickets, the record's history). A customer may belong to several
//! companies; the one a ticket is for decides which company manager sees it in the
//! portal. Their SQL is `store`, their server functions `api`, what both sides share
//! `model`; the pages share the customer pages' chunk.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
