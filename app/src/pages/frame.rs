//! What every page shares: the masthead with the language switch, the links between pages,
//! and the banners.

use leptos::prelude::*;

use super::deferred::fetch_second_file;
use super::layouts::page_view;
use crate::browser::document;
use crate::i18n::{provide_language, Lang};
use crate::route::Page;

/// The page for this address, inside the frame every page shares.
#[component]
pub fn App() -> impl IntoView {
    view! { <Frame page=Page::current()/> }
}

/// The language to render in: the `lab_lang` cookie, else the browser's Accept-Language.
/// In the browser, the language the server rendered (on `<html lang>`), so hydration matches.
pub fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
                header("cookie")
                    .and_then(Lang::from_cookie_header)
                    .or_else(|| header("accept-language").and_then(Lang::from_accept_language))
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document::rendered_lang().unwrap_or_default()
    }
}

/// The frame owns what every page shows: the language, whether the page is live yet, and
/// whether the server answers. The page inside (`layouts.rs`) owns the rest.
#[component]
fn Frame(page: Page) -> impl IntoView {
    let lang = RwSignal::new(initial_lang());
    provide_language(lang.read_only());
    let live = RwSignal::new(false);
    let reachable = RwSignal::new(true);
    fetch_second_file(live.read_only());
    let texts = move || lang.get().texts();

    view! {
        <div class="lab">
            <a class="skip-link" href="#main">{move || texts().page.skip}</a>
            <header class="masthead">
                <div>
                    <h1>{move || texts().page.title}</h1>
                    <p class="tagline">{move || texts().page.tagline}</p>
                </div>
                <LanguageSwitch lang=lang live=live.read_only()/>
            </header>
            <nav class="site-nav" aria-label=move || texts().page.title>
                <a href="/" data-testid="to-lesson">{move || texts().page.lesson}</a>
                <a href="/sandbox" data-testid="to-sandbox-top">{move || texts().page.sandbox}</a>
            </nav>
            <Show when=move || !live.get()>
                <p class="banner" data-testid="loading">{move || texts().page.not_hydrated}</p>
            </Show>
            <Show when=move || !reachable.get()>
                <p class="banner banner-error" role="alert" data-testid="server-down">
                    {move || texts().page.server_unreachable}
                </p>
            </Show>
            <main id="main" tabindex="-1">{page_view(page, live, reachable)}</main>
        </div>
    }
}

/// English or Japanese: kept in a cookie, so the server renders the next page in it.
#[component]
fn LanguageSwitch(lang: RwSignal<Lang>, live: ReadSignal<bool>) -> impl IntoView {
    let choose = move |chosen: Lang| {
        lang.set(chosen);
        document::set_lang_cookie(chosen);
        document::set_lang_attribute(chosen);
    };
    let button = move |option: Lang, name: &'static str| {
        view! {
            <button
                type="button"
                data-testid=format!("lang-{}", option.code())
                aria-pressed=move || (lang.get() == option).to_string()
                disabled=move || !live.get()
                on:click=move |_| choose(option)
            >{name}</button>
        }
    };
    view! {
        <nav class="language" aria-label=move || lang.get().texts().page.language>
            {button(Lang::En, "English")}
            {button(Lang::Ja, "日本語")}
        </nav>
    }
}
