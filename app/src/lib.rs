#![recursion_limit = "512"]
//! The lab's pages (Leptos components) and the API types shared with the server.
//!
//! - `api.rs`: the words both sides agree on;
//! - `lab/`: the learner's side of the protocol (operations, keys, the retry loop), no views;
//! - `browser/`: the page's side effects (storage, HTTP, tabs, clock, server events);
//! - `pages/`: the views; `i18n/`: their words in English and Japanese;
//! - `route.rs` and `step.rs`: which page an address shows, and the lesson's steps.

pub mod api;
pub mod browser;
pub mod i18n;
pub mod lab;
mod pages;
pub mod route;
mod shell;
pub mod step;

pub use pages::App;
pub use route::Page;
pub use shell::{shell, Bundle};
