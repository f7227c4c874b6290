//! The page and the small endpoints around the API.

use crate::helpers::*;

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = spawn_app().await;
    let health = app.get_json("/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["backend"], backend());
    // The expiry policy, which the page states beside the records.
    assert_eq!(health["recordTtlSecs"], 24 * 3600);
    assert_eq!(health["issuedKeyTtlSecs"], 600);
    assert_eq!(health["leaseSecs"], 30);
}

/// A built site in a temp directory, as `make site` lays it out: the WASM set in a directory
/// named by its hash, the CSS under a hashed name, their precompressed copies, and the
/// manifest naming them.
struct TempSite {
    dir: tempfile::TempDir,
}

const JS: &str = "0123456789abcdef/idempotency_lab.js";
const WASM: &str = "0123456789abcdef/idempotency_lab_bg.wasm";
const LOADER: &str = "0123456789abcdef/__wasm_split.js";
const CSS: &str = "idempotency_lab.fedcba9876543210.css";

impl TempSite {
    fn new() -> Self {
        let site = TempSite {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(site.pkg()).unwrap();
        let files = [
            (JS, "export default 1;"),
            (WASM, "\0asm"),
            (LOADER, "export const x = 1;"),
            (CSS, "p{}"),
        ];
        for (name, content) in files {
            site.write(name, content.as_bytes());
            site.write(&format!("{name}.br"), format!("br:{content}").as_bytes());
            site.write(&format!("{name}.gz"), format!("gz:{content}").as_bytes());
        }
        site.write("idempotency_lab.js", b"export default 0;");
        site.name_bundle(JS, WASM, CSS);
        site
    }

    fn pkg(&self) -> std::path::PathBuf {
        self.dir.path().join("pkg")
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.pkg().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Writes the manifest, stamped a second later than before so the change shows even on
    /// a coarse clock.
    fn name_bundle(&self, js: &str, wasm: &str, css: &str) {
        let path = self.pkg().join("manifest.json");
        let before = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let set = js.split('/').next().unwrap();
        let loader = format!("{set}/__wasm_split.js");
        let manifest = serde_json::json!({ "js": js, "wasm": wasm, "css": css, "loader": loader });
        std::fs::write(&path, manifest.to_string()).unwrap();
        if let Some(before) = before {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(before + std::time::Duration::from_secs(1))
                .unwrap();
        }
    }

    async fn serve(&self) -> TestApp {
        let root = self.dir.path().to_str().unwrap().to_string();
        spawn_app_with(move |config| config.site_root = root).await
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_lab_page_is_rendered_on_the_server_and_links_the_built_bundle() {
    let site = TempSite::new();
    let app = site.serve().await;
    let page = get(&app, "/", &[]).await;
    assert_eq!(page.status(), 200);
    assert!(header(&page, "content-type").starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Idempotency keys lab"), "{html}");
    for name in [JS, WASM, LOADER, CSS] {
        assert!(
            html.contains(&format!("/pkg/{name}")),
            "the page links {name}"
        );
    }
}

#[tokio::test]
async fn a_page_that_does_not_exist_answers_404_in_the_page_s_own_words() {
    let site = TempSite::new();
    let app = site.serve().await;
    for path in ["/lesson/9", "/lesson/03", "/nowhere"] {
        let page = get(&app, path, &[]).await;
        assert_eq!(page.status(), 404, "{path}");
        assert!(header(&page, "content-type").starts_with("text/html"));
        assert!(
            page.text().await.unwrap().contains("href=\"/\""),
            "a way back from {path}"
        );
    }
    assert_eq!(get(&app, "/lesson/8", &[]).await.status(), 200);
}

#[tokio::test]
async fn the_page_allows_its_one_inline_script_by_hash_and_nothing_else() {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let site = TempSite::new();
    let app = site.serve().await;
    let page = get(&app, "/", &[]).await;
    let policy = header(&page, "content-security-policy").to_string();
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");
    let html = page.text().await.unwrap();

    let scripts: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|rest| {
            rest.split_once('>')
                .unwrap()
                .1
                .split("</script>")
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(scripts.len(), 1, "one inline script: {scripts:?}");
    let digest = Sha256::digest(scripts[0].as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    assert!(
        policy.contains(&format!(
            "script-src 'self' 'sha256-{hash}' 'wasm-unsafe-eval';"
        )),
        "{policy}"
    );
    assert!(
        !policy.contains("nonce") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"));

    let api = get(&app, "/orders", &[]).await;
    assert_eq!(
        header(&api, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn a_page_is_the_same_each_time_so_a_reload_costs_a_304() {
    let site = TempSite::new();
    let app = site.serve().await;
    let first = get(&app, "/lesson/2", &[]).await;
    let etag = header(&first, "etag").to_string();
    assert_eq!(header(&first, "cache-control"), "no-cache");
    assert!(header(&first, "vary").contains("Accept-Encoding"));
    let first = first.text().await.unwrap();
    let second = get(&app, "/lesson/2", &[]).await;
    assert_eq!(
        header(&second, "etag"),
        etag,
        "the same page has the same validator"
    );
    assert_eq!(second.text().await.unwrap(), first);

    let reload = get(&app, "/lesson/2", &[("if-none-match", &etag)]).await;
    assert_eq!(reload.status(), 304);
    assert_eq!(header(&reload, "etag"), etag);
    assert!(reload.bytes().await.unwrap().is_empty());

    let other_language = get(
        &app,
        "/lesson/2",
        &[("if-none-match", &etag), ("cookie", "lab_lang=ja")],
    )
    .await;
    assert_eq!(other_language.status(), 200, "Japanese is another page");
    assert_ne!(header(&other_language, "etag"), etag);
}

#[tokio::test]
async fn the_page_is_compressed_for_a_browser_that_takes_it() {
    let site = TempSite::new();
    let app = site.serve().await;
    let plain = get(&app, "/sandbox", &[("accept-encoding", "identity")]).await;
    assert_eq!(header(&plain, "content-encoding"), "");
    let plain = plain.bytes().await.unwrap();

    let br = get(
        &app,
        "/sandbox",
        &[("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(header(&br, "content-encoding"), "br");
    let br = br.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut unpacked).unwrap();
    assert_eq!(unpacked, plain);
    assert!(
        br.len() * 3 < plain.len(),
        "{} of {} bytes",
        br.len(),
        plain.len()
    );

    let gz = get(&app, "/sandbox", &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, plain);
}

#[tokio::test]
async fn bundle_files_come_precompressed_and_hashed_names_are_kept_for_good() {
    let site = TempSite::new();
    let app = site.serve().await;
    let path = format!("/pkg/{JS}");
    let br = get(&app, &path, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(
        header(&br, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&br, "vary")
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert!(header(&br, "content-type").contains("javascript"));
    assert_eq!(
        br.text().await.unwrap(),
        "br:export default 1;",
        "the stored copy, as is"
    );

    let gz = get(&app, &path, &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    assert_eq!(gz.text().await.unwrap(), "gz:export default 1;");
    let plain = get(&app, &path, &[]).await;
    assert_eq!(plain.text().await.unwrap(), "export default 1;");

    let wasm = get(&app, &format!("/pkg/{WASM}"), &[("accept-encoding", "br")]).await;
    assert_eq!(header(&wasm, "content-type"), "application/wasm");

    let unhashed = get(&app, "/pkg/idempotency_lab.js", &[]).await;
    assert_eq!(
        header(&unhashed, "cache-control"),
        "no-cache",
        "a name that can change is asked about"
    );

    let missing = get(&app, "/pkg/idempotency_lab.ffffffffffffffff.js", &[]).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "content-type"), "application/problem+json");
}

#[tokio::test]
async fn a_new_build_is_linked_on_the_next_load_without_a_restart() {
    let site = TempSite::new();
    let app = site.serve().await;
    let before = get(&app, "/", &[]).await;
    let etag = header(&before, "etag").to_string();
    let before_policy = header(&before, "content-security-policy").to_string();
    let new_js = "1111111111111111/idempotency_lab.js";
    site.write(new_js, b"export default 2;");
    site.name_bundle(new_js, WASM, CSS);

    let after = get(&app, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(after.status(), 200, "a new build makes a new page");
    let policy = header(&after, "content-security-policy").to_string();
    let html = after.text().await.unwrap();
    assert!(
        html.contains(new_js) && !html.contains(JS),
        "only the new script is linked"
    );
    assert_ne!(
        policy, before_policy,
        "the policy allows the new boot script instead"
    );
}

#[tokio::test]
async fn a_problem_s_type_is_a_page_that_says_what_to_do_in_the_reader_s_language() {
    let app = spawn_app().await;
    let key = new_key();
    app.post_order(&key, &order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let reused = app
        .post_order(&key, &order_body("u1", "A-2", 1))
        .send()
        .await
        .unwrap();
    let kind = problem(reused, 422).await["type"]
        .as_str()
        .unwrap()
        .to_string();

    let english = get(&app, &kind, &[]).await;
    assert_eq!(english.status(), 200);
    assert!(header(&english, "content-type").starts_with("text/html"));
    assert_eq!(header(&english, "content-language"), "en");
    let english = english.text().await.unwrap();
    assert!(english.contains("What the client should do"), "{english}");
    assert!(english.contains("new key"), "{english}");

    let japanese = get(&app, &kind, &[("cookie", "lab_lang=ja")]).await;
    assert_eq!(header(&japanese, "content-language"), "ja");
    assert!(japanese.text().await.unwrap().contains("新しいキー"));

    let unknown = get(&app, "/problems/no-such-problem", &[]).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(header(&unknown, "content-type"), "application/problem+json");
}

/// The placeholder key's page says what went wrong in the client and what to do, in either
/// language.
#[tokio::test]
async fn the_placeholder_key_s_page_tells_the_client_to_make_its_key_first() {
    let app = spawn_app().await;
    let refused = app
        .post_order("undefined", &order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let kind = problem(refused, 400).await["type"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(kind, "/problems/idempotency-key-placeholder");

    let english = get(&app, &kind, &[]).await;
    assert_eq!(english.status(), 200);
    assert_eq!(header(&english, "content-language"), "en");
    let english = english.text().await.unwrap();
    for words in [
        "<h1>Idempotency-Key is undefined or null</h1>",
        "HTTP status 400",
        "what JavaScript writes",
        "Make the key before the first attempt",
        "it must not send the request",
    ] {
        assert!(english.contains(words), "{words}: {english}");
    }

    let japanese = get(&app, &kind, &[("cookie", "lab_lang=ja")]).await;
    assert_eq!(header(&japanese, "content-language"), "ja");
    let japanese = japanese.text().await.unwrap();
    for words in [
        "<h1>Idempotency-Key が undefined または null です</h1>",
        "HTTP ステータス 400",
        "JavaScript はヘッダーにこの文字列を書きます",
        "最初の送信の前にキーを作り",
        "キーがないときはリクエストを送らず",
    ] {
        assert!(japanese.contains(words), "{words}: {japanese}");
    }
}
