//! Pieces the panels' tables share: a header row, keyed rows, and a box that scrolls sideways.

use leptos::prelude::*;

use crate::i18n::{fill, use_lang, PanelText, PanelTexts};

/// A table's header row; its cells follow the current language.
pub fn header_row(cells: &'static [PanelText]) -> impl IntoView {
    let lang = use_lang();
    let cells = cells
        .iter()
        .map(|cell| {
            let cell = *cell;
            view! { <th scope="col">{move || cell(lang.get().panel_texts())}</th> }
        })
        .collect_view();
    view! { <tr>{cells}</tr> }
}

/// A table body with one row per item, keyed by `key`: when the list changes, only the rows
/// whose own item changed are drawn again. Every row follows the language.
pub fn keyed_rows<T, K, V, R>(items: Memo<Vec<T>>, key: fn(&T) -> &K, row: R) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
    K: Clone + Eq + std::hash::Hash + Send + Sync + 'static,
    V: IntoView + 'static,
    R: Fn(T, &'static PanelTexts) -> V + Copy + Send + Sync + 'static,
{
    let lang = use_lang();
    let keys =
        move || items.with(|all| all.iter().map(|item| key(item).clone()).collect::<Vec<_>>());
    view! {
        <For each=keys key=|id| id.clone() let:id>
            {
                let item = Memo::new(move |_| items.with(|all| all.iter().find(|item| *key(item) == id).cloned()));
                move || item.get().map(|item| row(item, lang.get().panel_texts()))
            }
        </For>
    }
}

/// A box for a table wider than a phone's screen: it scrolls sideways instead of the page.
/// It takes the focus, so a keyboard can scroll it, and a screen reader names it by what it
/// holds (`what`, in the current language) and says that it scrolls.
pub fn scroll_region(
    what: fn(&'static PanelTexts) -> &'static str,
    content: impl IntoView,
) -> impl IntoView {
    let lang = use_lang();
    let label = move || {
        let lang = lang.get();
        fill(lang.texts().page.scrolls, what(lang.panel_texts()))
    };
    view! { <div class="scroll" tabindex="0" role="region" aria-label=label>{content}</div> }
}
