//! The lab's pages, assembled from panels.
//!
//! - `frame.rs`: what every page shares (masthead, language, banners);
//! - `layouts.rs`: each page's layout, and the state it owns;
//! - `deferred.rs`: the registry of panels that come with the second WASM file, each wired to
//!   the state it reads;
//! - the panels, one file each (`order.rs` and `status.rs` in the first file; the rest in the
//!   second), and `widgets.rs` for what their tables share;
//! - `lesson/`: the guided lesson's steps.

mod compare;
mod controls;
mod deferred;
mod frame;
mod keystore;
mod layouts;
mod lesson;
mod mismatch;
mod order;
mod quiz;
mod scenarios;
mod secure;
mod sequence;
mod status;
mod tables;
mod timeline;
mod widgets;

pub use frame::{initial_lang, App};
