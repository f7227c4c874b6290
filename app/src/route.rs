//! Which page an address shows. The server renders that page (and answers 404 for
//! `NotFound`); the browser reads the same address, so it hydrates the same page.
//!
//! Links between pages are plain links, each a full load: the assets are cached for good, so
//! a move costs one small HTML response. A client-side router would put every page behind a
//! type-erased view, and that erasure alone was a fifth of the WebAssembly.

use crate::step::Step;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/`: lesson step 1 beside the order button.
    Home,
    /// `/lesson/1` … `/lesson/8`.
    Lesson(Step),
    /// `/sandbox`, and the older `/?scenario=…` links.
    Sandbox,
    NotFound,
}

impl Page {
    /// `path` without the query; `query` without its `?`.
    pub fn from_address(path: &str, query: Option<&str>) -> Self {
        match path {
            "/" if has_param(query.unwrap_or(""), "scenario") => Page::Sandbox,
            "/" => Page::Home,
            "/sandbox" => Page::Sandbox,
            _ => path
                .strip_prefix("/lesson/")
                .and_then(step_number)
                .and_then(Step::from_number)
                .map_or(Page::NotFound, Page::Lesson),
        }
    }

    /// The page this render is for: the request's address on the server, the address bar in
    /// the browser.
    pub fn current() -> Self {
        #[cfg(feature = "ssr")]
        {
            leptos::prelude::use_context::<http::request::Parts>()
                .map(|parts| Page::from_address(parts.uri.path(), parts.uri.query()))
                .unwrap_or(Page::NotFound)
        }
        #[cfg(not(feature = "ssr"))]
        {
            let Some(location) = web_sys::window().map(|w| w.location()) else {
                return Page::NotFound;
            };
            let path = location.pathname().unwrap_or_default();
            let search = location.search().unwrap_or_default();
            Page::from_address(&path, search.strip_prefix('?'))
        }
    }

    pub fn exists(self) -> bool {
        self != Page::NotFound
    }
}

/// Only the canonical spelling (`3`, not `03` or `+3`), so one step has one address.
fn step_number(text: &str) -> Option<usize> {
    let number: usize = text.parse().ok()?;
    (number.to_string() == text).then_some(number)
}

fn has_param(query: &str, name: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair.split('=').next() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::Page::{self, *};
    use crate::step::Step;

    #[test]
    fn addresses_choose_pages() {
        let cases: &[(&str, Option<&str>, Page)] = &[
            ("/", None, Home),
            ("/", Some("lang=ja"), Home),
            ("/", Some("scenario=reload"), Sandbox),
            ("/sandbox", Some("scenario=reload"), Sandbox),
            ("/sandbox", None, Sandbox),
            ("/lesson/1", None, Lesson(Step::OneOperationOneKey)),
            ("/lesson/8", None, Lesson(Step::Quiz)),
            ("/lesson/9", None, NotFound),
            ("/lesson/0", None, NotFound),
            ("/lesson/03", None, NotFound),
            ("/lesson/", None, NotFound),
            ("/lesson", None, NotFound),
            ("/sandbox/", None, NotFound),
            ("/nowhere", None, NotFound),
        ];
        for (path, query, page) in cases {
            assert_eq!(Page::from_address(path, *query), *page, "{path}?{query:?}");
        }
    }
}
