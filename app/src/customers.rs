//! Customers and the companies they belong to: the records tickets are for, and the
//! portal accounts Admin → Customers puts in companies. Their SQL is `store`, their
//! server functions `api`, what both sides share `model`.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod store;
