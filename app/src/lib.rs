#![recursion_limit = "256"]
//! The lab's pages (Leptos components) and the API types shared with the server.

pub mod api;
pub mod i18n;
pub mod lab;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=pages::initial_lang().code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="stylesheet" href="/pkg/idempotency_lab.css"/>
                <link rel="icon" href="data:,"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text=pages::initial_lang().texts().title/>
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Lab/>
            </Routes>
        </Router>
    }
}
