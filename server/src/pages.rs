//! The pages: rendered whole on the server, then taken over by the WASM bundle.
//!
//! A page is the same bytes for the same address, language and build, so it is sent with
//! `Cache-Control: no-cache` and an `ETag`: a reload asks, and costs a 304 when nothing
//! changed. Its compressed copies are kept by ETag, so a page is compressed once, not per
//! request. Its script policy allows the one inline script by its hash instead of a nonce
//! per response, which would make every response different.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use app::{shell, Bundle, Page};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos::tachys::view::RenderHtml;
use sha2::{Digest, Sha256};

use crate::assets::Bundles;

/// What renders and serves the pages.
pub struct Pages {
    bundles: Bundles,
    options: LeptosOptions,
    /// Pages × languages × builds is a small number; the map is emptied if it ever grows
    /// past `KEPT`.
    compressed: Mutex<Kept>,
    /// The script policy of the current bundle: it changes only with the bundle (and the
    /// process's watch setting), so it is worked out once per build, not per request.
    policy: Mutex<Option<(Arc<Bundle>, HeaderValue)>>,
}

/// Compressed pages by (ETag, encoding).
type Kept = HashMap<(String, Encoding), Arc<Vec<u8>>>;

const KEPT: usize = 256;

pub fn routes(site_root: &str) -> Router {
    let pages = Arc::new(Pages {
        bundles: Bundles::new(site_root),
        // Only the reload script of `cargo leptos watch` reads these.
        options: LeptosOptions::builder()
            .output_name(crate::assets::output_name())
            .site_root(site_root)
            .site_pkg_dir("pkg")
            .build(),
        compressed: Mutex::new(HashMap::new()),
        policy: Mutex::new(None),
    });
    crate::assets::routes(&pages.bundles).merge(
        Router::new()
            .route("/", get(page))
            .route("/{*path}", get(page))
            .with_state(pages),
    )
}

async fn page(State(pages): State<Arc<Pages>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let requested = parts.headers.clone();
    let status = match Page::from_address(parts.uri.path(), parts.uri.query()).exists() {
        true => StatusCode::OK,
        false => StatusCode::NOT_FOUND,
    };
    let bundle = pages.bundles.current();
    let html = render(&pages.options, &bundle, parts);
    let etag = format!("W/\"{}\"", &hex::encode(Sha256::digest(&html))[..20]);

    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The language comes from the cookie, else from Accept-Language.
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Encoding, Accept-Language, Cookie"),
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, pages.policy_for(&bundle));
    headers.insert(
        header::ETAG,
        HeaderValue::try_from(&etag).expect("hex is ASCII"),
    );

    if status == StatusCode::OK && matches_etag(&requested, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let encoding = Encoding::preferred(&requested);
    let body = match encoding {
        Encoding::Identity => Body::from(html),
        _ => {
            headers.insert(header::CONTENT_ENCODING, encoding.header());
            Body::from(pages.compressed(&etag, encoding, &html).to_vec())
        }
    };
    (status, headers, body).into_response()
}

/// The document for this request, whole. The request goes into context: the page reads
/// its address (which page) and its language from it.
fn render(options: &LeptosOptions, bundle: &Bundle, parts: axum::http::request::Parts) -> String {
    let owner = Owner::new();
    owner.with(|| {
        provide_context(parts);
        shell(options.clone(), bundle.clone()).to_html()
    })
}

/// Scripts run only from this origin, plus the boot script by its hash (and, under
/// `cargo leptos watch`, its reload script); WebAssembly needs `'wasm-unsafe-eval'` to compile.
fn content_security_policy(bundle: &Bundle, options: &LeptosOptions) -> String {
    let mut scripts = vec![script_hash(&bundle.boot_script())];
    let mut connect = String::new();
    if let Some(reload) = reload_script(options) {
        scripts.push(script_hash(&reload));
        let port = options.reload_port;
        connect = format!(" ws://localhost:{port} ws://127.0.0.1:{port}");
    }
    format!(
        "default-src 'self'; script-src 'self' {} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{connect}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        scripts.join(" ")
    )
}

fn script_hash(text: &str) -> String {
    use base64::Engine;
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The text of the script `cargo leptos watch` injects (none otherwise).
fn reload_script(options: &LeptosOptions) -> Option<String> {
    let html = Owner::new().with(|| view! { <AutoReload options=options.clone()/> }.to_html());
    let script = inline_scripts(&html).next().map(str::to_string);
    script
}

/// The text inside each `<script>` of `html`. Only the tags count: a debug build puts the
/// view macro's hot-reload markers (comments, with their own `>`) before them.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|tag_onwards| {
        let (_, text) = tag_onwards.split_once('>')?;
        Some(text.split_once("</script>")?.0)
    })
}

fn matches_etag(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag.trim_start_matches("W/"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// Brotli when the browser takes it (every current one does over HTTPS and localhost),
    /// else gzip, else none. A quality of 0 refuses an encoding.
    fn preferred(request: &HeaderMap) -> Self {
        let accepted: Vec<(String, bool)> = request
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|item| {
                let mut fields = item.split(';').map(str::trim);
                let name = fields.next().unwrap_or_default().to_ascii_lowercase();
                let refused = fields.any(|f| f.replace(' ', "") == "q=0" || f == "q=0.0");
                (name, !refused)
            })
            .collect();
        let takes = |name: &str| accepted.iter().any(|(n, ok)| *ok && n == name);
        if takes("br") {
            Encoding::Brotli
        } else if takes("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Identity => "identity",
        })
    }

    fn compress(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Encoding::Brotli => {
                let mut out = Vec::new();
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 9,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
                    .expect("compressing into memory cannot fail");
                out
            }
            Encoding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                encoder
                    .write_all(bytes)
                    .expect("writing into memory cannot fail");
                encoder.finish().expect("writing into memory cannot fail")
            }
            Encoding::Identity => bytes.to_vec(),
        }
    }
}

impl Pages {
    fn policy_for(&self, bundle: &Arc<Bundle>) -> HeaderValue {
        let mut policy = self.policy.lock().unwrap_or_else(|e| e.into_inner());
        match &*policy {
            Some((for_bundle, value)) if Arc::ptr_eq(for_bundle, bundle) => value.clone(),
            _ => {
                let value = HeaderValue::try_from(content_security_policy(bundle, &self.options))
                    .expect("the policy is ASCII");
                *policy = Some((bundle.clone(), value.clone()));
                value
            }
        }
    }

    fn compressed(&self, etag: &str, encoding: Encoding, html: &str) -> Arc<Vec<u8>> {
        let key = (etag.to_string(), encoding);
        if let Some(kept) = self.lock().get(&key) {
            return kept.clone();
        }
        let bytes = Arc::new(encoding.compress(html.as_bytes()));
        let mut kept = self.lock();
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(key, bytes.clone());
        bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.compressed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_best_accepted_encoding_is_chosen() {
        use Encoding::*;
        for (accept, chosen) in [
            ("gzip, deflate, br, zstd", Brotli),
            ("gzip, deflate", Gzip),
            ("br;q=0, gzip", Gzip),
            ("br;q=0.5", Brotli),
            ("identity", Identity),
            ("", Identity),
        ] {
            let headers = with(header::ACCEPT_ENCODING, accept);
            assert_eq!(Encoding::preferred(&headers), chosen, "{accept}");
        }
    }

    #[test]
    fn every_inline_script_of_the_page_is_allowed_by_its_hash_also_under_cargo_leptos_watch() {
        // Only this test sets it; the pages' other tests render nothing.
        std::env::set_var("LEPTOS_WATCH", "1");
        let options = LeptosOptions::builder().output_name("x").build();
        let bundle = Bundle {
            js: "x.0123456789abcdef.js".into(),
            wasm: "x_bg.0123456789abcdef.wasm".into(),
            css: "x.0123456789abcdef.css".into(),
            loader: Some("0123456789abcdef/__wasm_split.js".into()),
        };
        let html = Owner::new().with(|| shell(options.clone(), bundle.clone()).to_html());
        let policy = content_security_policy(&bundle, &options);
        std::env::remove_var("LEPTOS_WATCH");
        let scripts: Vec<&str> = inline_scripts(&html).collect();
        assert_eq!(scripts.len(), 2, "the boot script and the reload script");
        for script in scripts {
            assert!(policy.contains(&script_hash(script)), "{policy}");
        }
    }

    #[test]
    fn a_weak_or_strong_match_of_the_etag_is_not_modified() {
        for (sent, matches) in [
            ("W/\"abc\"", true),
            ("\"abc\"", true),
            ("\"x\", W/\"abc\"", true),
            ("*", true),
            ("W/\"abd\"", false),
        ] {
            let headers = with(header::IF_NONE_MATCH, sent);
            assert_eq!(matches_etag(&headers, "W/\"abc\""), matches, "{sent}");
        }
    }
}
