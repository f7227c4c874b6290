//! The browser bundle under `/pkg/`: which files the page links, and serving them.
//!
//! `make site` names each file after a hash of its content (the WASM set, whose files name
//! each other, by a directory named after a hash of them all) and writes brotli and gzip
//! copies beside it (`frontend/pack.mjs`), then a manifest naming what the page links. A hashed name never
//! changes content, so a browser keeps it for a year without asking again, and the server
//! sends the best precompressed copy the browser accepts: nothing is compressed per request.
//! Unhashed names (what `make watch` writes) are revalidated on every load instead.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use app::Bundle;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Deserialize;
use tower_http::services::ServeDir;

use crate::http::error::{ApiError, Missing};

const FOREVER: &str = "public, max-age=31536000, immutable";
const ASK_EACH_TIME: &str = "no-cache";

/// The bundle the manifest names, read again whenever the manifest changes, so a new build
/// is picked up on the next page load without a restart. The manifest is written last, after
/// every file it names, and the previous build's files are kept: a page already open never
/// finds its files gone.
pub struct Bundles {
    pkg_dir: PathBuf,
    current: Mutex<Option<(Option<SystemTime>, Arc<Bundle>)>>,
}

#[derive(Deserialize)]
struct Manifest {
    js: String,
    wasm: String,
    css: String,
    loader: Option<String>,
}

impl Bundles {
    pub fn new(site_root: &str) -> Self {
        Self {
            pkg_dir: Path::new(site_root).join("pkg"),
            current: Mutex::new(None),
        }
    }

    pub fn pkg_dir(&self) -> &Path {
        &self.pkg_dir
    }

    /// The files a page rendered now should link.
    pub fn current(&self) -> Arc<Bundle> {
        let manifest = self.pkg_dir.join("manifest.json");
        let modified = std::fs::metadata(&manifest)
            .and_then(|meta| meta.modified())
            .ok();
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match &*current {
            Some((seen, bundle)) if *seen == modified => bundle.clone(),
            _ => {
                let bundle = Arc::new(self.read(&manifest));
                *current = Some((modified, bundle.clone()));
                bundle
            }
        }
    }

    fn read(&self, manifest: &Path) -> Bundle {
        match std::fs::read(manifest).map(|bytes| serde_json::from_slice::<Manifest>(&bytes)) {
            Ok(Ok(Manifest {
                js,
                wasm,
                css,
                loader,
            })) => Bundle {
                js,
                wasm,
                css,
                loader,
            },
            Ok(Err(error)) => {
                tracing::warn!(%error, ?manifest, "unreadable manifest; linking unhashed names");
                self.unhashed()
            }
            Err(_) => self.unhashed(),
        }
    }

    /// Without a manifest (`make watch`): the unhashed files cargo-leptos writes, under the
    /// output name it gives the server (`LEPTOS_OUTPUT_NAME`, from Cargo.toml's metadata,
    /// the one place the name is set).
    fn unhashed(&self) -> Bundle {
        let name = output_name();
        if name.is_empty() {
            tracing::warn!(pkg = ?self.pkg_dir, "no manifest and no LEPTOS_OUTPUT_NAME: run `make site`");
        }
        let bindgen_wasm = format!("{name}_bg.wasm");
        let wasm = if self.pkg_dir.join(&bindgen_wasm).exists() {
            bindgen_wasm
        } else {
            format!("{name}.wasm")
        };
        // cargo-leptos' name for the loader of the second WASM file.
        let loader = "__wasm_split.______________________.js";
        Bundle {
            js: format!("{name}.js"),
            wasm,
            css: format!("{name}.css"),
            loader: self.pkg_dir.join(loader).exists().then(|| loader.into()),
        }
    }
}

/// The bundle's name as cargo-leptos passes it; empty otherwise (`make site` writes a manifest).
pub fn output_name() -> String {
    std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_default()
}

/// `/pkg/…`: the files as they are on disk, each in the best encoding the browser accepts
/// (with `Vary: Accept-Encoding`), with the caching its name allows.
pub fn routes(bundles: &Bundles) -> Router {
    let files = ServeDir::new(bundles.pkg_dir())
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(axum::middleware::from_fn(caching))
}

async fn caching(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status() == StatusCode::NOT_FOUND {
        return ApiError::NotFound(Missing::Asset).into_response();
    }
    let policy = if hashed { FOREVER } else { ASK_EACH_TIME };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    // A cache must not hand a brotli copy to a browser that asked for gzip.
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// What `frontend/pack.mjs` named by hash: the WASM set's directory (`<16 hex digits>/…`)
/// or a file named `name.<16 hex digits>.ext` (the CSS; before the split, the JS and WASM).
fn is_hashed(path: &str) -> bool {
    let is_hash = |part: &str| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit());
    let path = path.strip_prefix("/pkg/").unwrap_or(path);
    match path.split_once('/') {
        Some((directory, file)) => is_hash(directory) && !file.is_empty(),
        None => path.split('.').nth(1).is_some_and(is_hash),
    }
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_are_kept_for_good() {
        for (path, hashed) in [
            ("/pkg/0123456789abcdef/idempotency_lab.js", true),
            ("/pkg/0123456789abcdef/idempotency_lab_bg.wasm", true),
            ("/pkg/0123456789abcdef/__wasm_split.js", true),
            ("/pkg/idempotency_lab.0123456789abcdef.css", true),
            ("/pkg/0123456789abcdef/", false),
            ("/pkg/0123456789abcdeg/idempotency_lab.js", false),
            ("/pkg/idempotency_lab.js", false),
            ("/pkg/idempotency_lab_bg.wasm", false),
            ("/pkg/manifest.json", false),
            ("/pkg/idempotency_lab.0123456789abcdeg.js", false),
            ("/pkg/idempotency_lab.0123.js", false),
        ] {
            assert_eq!(is_hashed(path), hashed, "{path}");
        }
    }
}
