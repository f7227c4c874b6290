//! The HTML document around the app. Only the server renders it; the browser hydrates
//! `<body>`.

use leptos::prelude::*;

use crate::pages::{initial_lang, App};

/// The browser bundle's file names under `/pkg/`, as the build's manifest lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The loader of the second WASM file, which the JS imports: preloaded with it, so a
    /// second visit does not wait for one cached file before asking for the next.
    pub loader: Option<String>,
}

impl Bundle {
    /// The page's one inline script. The page is sent whole, not streamed, so what Leptos'
    /// hydration reads from a stream (resources, errors, chunks) is declared empty; then the
    /// bundle is loaded and takes over the page. The text changes only with the bundle, so
    /// the page's policy allows it by its hash, and the page stays the same from one response
    /// to the next.
    pub fn boot_script(&self) -> String {
        let Bundle { js, wasm, .. } = self;
        format!(
            "import init, {{ hydrate }} from \"/pkg/{js}\";\
             for (const name of [\"__RESOLVED_RESOURCES\", \"__SERIALIZED_ERRORS\", \
             \"__PENDING_RESOURCES\", \"__RESOURCE_RESOLVERS\", \"__INCOMPLETE_CHUNKS\"]) \
             window[name] = [];\
             init({{ module_or_path: \"/pkg/{wasm}\" }}).then(hydrate);"
        )
    }
}

/// The document. The WASM is preloaded beside the script that needs it, so both download at
/// once instead of one after the other.
pub fn shell(options: LeptosOptions, bundle: Bundle) -> impl IntoView {
    let lang = initial_lang();
    let boot = bundle.boot_script();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{lang.texts().page.title}</title>
                <link rel="stylesheet" href=format!("/pkg/{}", bundle.css)/>
                <link rel="modulepreload" href=format!("/pkg/{}", bundle.js)/>
                {bundle.loader.map(|loader| view! { <link rel="modulepreload" href=format!("/pkg/{loader}")/> })}
                <link
                    rel="preload"
                    href=format!("/pkg/{}", bundle.wasm)
                    r#as="fetch"
                    r#type="application/wasm"
                    crossorigin=""
                />
                <script type="module">{boot}</script>
                <AutoReload options/>
                <link rel="icon" href="data:,"/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
