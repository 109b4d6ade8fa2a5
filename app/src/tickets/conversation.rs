//! A ticket's conversation: public replies and internal notes, the composer that
//! writes them, and the rule that a customer never sees an internal note.

pub mod api;
#[cfg(feature = "ssr")]
pub mod files;
pub mod model;
pub mod render;
#[cfg(feature = "ssr")]
pub mod store;
pub mod upload;
pub mod view;
