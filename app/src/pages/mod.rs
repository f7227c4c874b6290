//! The lab page, assembled from its panels.

mod controls;
mod deferred;
mod keystore;
mod learn;
pub(crate) mod lesson;
mod order;
mod sequence;
mod tables;
mod timeline;

use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::i18n::{Lang, PanelText, PanelTexts};
use crate::lab::{client, driver, use_lab, LabState};
use crate::route::Page;
use deferred::{Deferred, Region};

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
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|root| root.get_attribute("lang"))
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
}

/// What every page shares: the lab's state, the masthead with the language switch, the
/// links between pages, and the banners. A pending order outlives a move between pages as it
/// outlives a reload: it is kept in sessionStorage and resumed.
#[component]
pub fn Frame(page: Page) -> impl IntoView {
    let state = LabState::new(initial_lang());
    provide_context(state);
    wake_up(state);
    deferred::fetch_second_file(state);
    let texts = move || state.texts();

    view! {
        <div class="lab">
            <a class="skip-link" href="#main">{move || texts().page.skip}</a>
            <header class="masthead">
                <div>
                    <h1>{move || texts().page.title}</h1>
                    <p class="tagline">{move || texts().page.tagline}</p>
                </div>
                <LanguageSwitch/>
            </header>
            <nav class="site-nav" aria-label=move || texts().page.title>
                <a href="/" data-testid="to-lesson">{move || texts().page.lesson}</a>
                <a href="/sandbox" data-testid="to-sandbox-top">{move || texts().page.sandbox}</a>
            </nav>
            <Show when=move || !state.hydrated.get()>
                <p class="banner" data-testid="loading">{move || texts().page.not_hydrated}</p>
            </Show>
            <Show when=move || !state.server_up.get()>
                <p class="banner banner-error" role="alert" data-testid="server-down">
                    {move || texts().page.server_unreachable}
                </p>
            </Show>
            <main id="main" tabindex="-1">{page_view(page)}</main>
        </div>
    }
}

/// `/` is the lesson's first step beside the order button, so the most common visit (click,
/// click again, reload) needs no reading.
fn page_view(page: Page) -> impl IntoView {
    match page {
        Page::Home => EitherOf3::A(view! { <lesson::LessonPage number=1 home=true/> }),
        Page::Lesson(number) => EitherOf3::A(view! { <lesson::LessonPage number=number/> }),
        Page::Sandbox => EitherOf3::B(view! { <Sandbox/> }),
        Page::NotFound => EitherOf3::C(view! { <NotFound/> }),
    }
}

/// What the server keeps: the orders and the idempotency records, side by side. Drawing them
/// starts their fetching and polling (`tables::keep_fresh`), so a page draws them once.
#[component]
pub fn ServerTables() -> impl IntoView {
    tables::keep_fresh(use_lab());
    view! {
        <div class="columns">
            <section class="panel" aria-labelledby="orders-heading"><tables::OrdersTable/></section>
            <section class="panel" aria-labelledby="records-heading"><tables::RecordsTable/></section>
        </div>
    }
}

/// `/sandbox`: every switch, table and teaching panel at once.
#[component]
pub fn Sandbox() -> impl IntoView {
    let switches = view! {
        <div class="columns">
            <section class="panel" aria-labelledby="order-heading">
                <Deferred region=Region::KeyMode/>
                <order::OrderPanel/>
                <Deferred region=Region::Switches/>
            </section>
            <section class="panel" aria-labelledby="attempts-heading">
                <Deferred region=Region::Attempts { mismatch: true }/>
            </section>
        </div>
    };
    view! {
        <Deferred region=Region::Scenarios/>
        {switches}
        <Deferred region=Region::Tables/>
        <Deferred region=Region::Teaching/>
    }
}

/// Runs once the WASM is live: restores what the browser kept, resumes a pending operation,
/// and marks the page as interactive.
fn wake_up(state: LabState) {
    Effect::new(move |_| {
        if let Some(settings) = client::load_settings() {
            state.settings.set(settings);
        }
        let learner = client::learner_id();
        state.draft.update(|d| d.user_id = learner);
        // A deep link applies once per tab: a reload keeps the learner's changes since. Here,
        // not in the scenarios panel, so the switches are set before the first click.
        if let Some(name) = client::query_param("scenario") {
            if !client::scenario_applied(&name) && learn::apply_scenario(state, &name) {
                client::remember_scenario(&name);
            }
        }
        if let Some(operation) = client::load_operation() {
            state.draft.set(operation.body.clone());
            driver::resume(state, operation);
        }
        state.hydrated.set(true);
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
    // Remember the switches whenever they change.
    Effect::new(move |_| {
        let settings = state.settings.get();
        if state.hydrated.get_untracked() {
            client::save_settings(&settings);
        }
    });
}

#[component]
fn LanguageSwitch() -> impl IntoView {
    let state = use_lab();
    let choose = move |lang: Lang| {
        state.lang.set(lang);
        client::set_lang_cookie(lang);
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", lang.code());
        }
    };
    let button = move |lang: Lang, name: &'static str| {
        view! {
            <button
                type="button"
                data-testid=format!("lang-{}", lang.code())
                aria-pressed=move || (state.lang.get() == lang).to_string()
                disabled=move || !state.hydrated.get()
                on:click=move |_| choose(lang)
            >{name}</button>
        }
    };
    view! {
        <nav class="language" aria-label=move || state.texts().page.language>
            {button(Lang::En, "English")}
            {button(Lang::Ja, "日本語")}
        </nav>
    }
}

/// A table's header row; its cells follow the current language.
fn header_row(cells: &'static [PanelText]) -> impl IntoView {
    let state = use_lab();
    let cells = cells
        .iter()
        .map(|cell| {
            let cell = *cell;
            view! { <th scope="col">{move || cell(state.panel_texts())}</th> }
        })
        .collect_view();
    view! { <tr>{cells}</tr> }
}

/// A table body with one row per item, keyed by `key`: when the list changes, only the rows
/// whose own item changed are drawn again. Every row follows the language.
fn keyed_rows<T, K, V>(
    items: Memo<Vec<T>>,
    key: fn(&T) -> &K,
    row: fn(T, &'static PanelTexts) -> V,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
    K: Clone + Eq + std::hash::Hash + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let state = use_lab();
    let keys =
        move || items.with(|all| all.iter().map(|item| key(item).clone()).collect::<Vec<_>>());
    view! {
        <For each=keys key=|id| id.clone() let:id>
            {
                let item = Memo::new(move |_| items.with(|all| all.iter().find(|item| *key(item) == id).cloned()));
                move || item.get().map(|item| row(item, state.panel_texts()))
            }
        </For>
    }
}

/// A box for a table wider than a phone's screen: it scrolls sideways instead of the page.
/// It takes the focus, so a keyboard can scroll it, and a screen reader names it by what it
/// holds (`what`, in the current language) and says that it scrolls.
fn scroll_region(
    what: fn(&'static PanelTexts) -> &'static str,
    content: impl IntoView,
) -> impl IntoView {
    let state = use_lab();
    let label = move || crate::i18n::fill(state.texts().page.scrolls, what(state.panel_texts()));
    view! { <div class="scroll" tabindex="0" role="region" aria-label=label>{content}</div> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    // The server answers this page with 404 (it knows from the address alone).
    let texts = initial_lang().texts();
    view! {
        <section class="panel">
            <h2>{texts.page.not_found}</h2>
            <p><a href="/">{texts.page.back}</a></p>
        </section>
    }
}
