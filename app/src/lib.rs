#![recursion_limit = "512"]
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
                <meta http-equiv="Content-Security-Policy" content=content_security_policy()/>
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

/// Scripts run only from this origin, plus the one inline hydration script that carries this
/// response's nonce; WebAssembly needs `'wasm-unsafe-eval'` to compile. Sent as a `<meta>` in
/// the server-rendered page, where the nonce is known.
fn content_security_policy() -> String {
    let nonce = leptos::nonce::use_nonce()
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    // `cargo leptos watch` reloads the page over a websocket on port 3001.
    let reload = if cfg!(debug_assertions) {
        " ws://localhost:3001 ws://127.0.0.1:3001"
    } else {
        ""
    };
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{reload}; object-src 'none'; base-uri 'none'; \
         form-action 'self'"
    )
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text=pages::initial_lang().texts().page.title/>
        <Router>
            <pages::Frame>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::Home/>
                    <Route path=path!("/lesson/:step") view=pages::LessonRoute/>
                    <Route path=path!("/sandbox") view=pages::Sandbox/>
                </Routes>
            </pages::Frame>
        </Router>
    }
}
