#![recursion_limit = "512"]
//! The lab's pages (Leptos components) and the API types shared with the server.

pub mod api;
pub mod i18n;
pub mod lab;
pub(crate) mod pages;

pub mod route;
mod shell;

use leptos::prelude::*;

pub use route::Page;
pub use shell::{shell, Bundle};

/// The page for this address, inside the frame every page shares.
#[component]
pub fn App() -> impl IntoView {
    view! { <pages::Frame page=Page::current()/> }
}
