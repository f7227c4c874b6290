#![recursion_limit = "256"]
//! The lab's server: the idempotent order API, its storage, and the pages.
//!
//! `Application` starts it (`main.rs` and the API tests alike); `AppState` is what every
//! handler may reach.

mod application;
mod assets;
pub mod config;
pub mod http;
pub mod idempotency;
pub mod issued_keys;
pub mod metrics;
mod pages;
pub mod state;
pub mod storage;
pub mod time;

pub use application::{app, Application};
pub use state::{AppState, StartError};
