//! The pages: Leptos renders them on the server, then the WASM bundle hydrates them.

use app::{shell, App};
use axum::Router;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};

/// Options for rendering; `site_root` holds `pkg/` (the WASM, its JS and the CSS).
pub fn leptos_options(site_root: &str) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("idempotency_lab")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .build()
}

pub fn page_routes(options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
}
