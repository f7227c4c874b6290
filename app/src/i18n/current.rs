//! The page's language, as a read-only context: every panel that shows words reads it; only
//! the language switch, which holds the signal itself, changes it.

use leptos::prelude::*;

use super::lang::Lang;

#[derive(Clone, Copy)]
struct Language(ReadSignal<Lang>);

/// Makes `lang` the language of everything drawn under the current owner.
pub fn provide_language(lang: ReadSignal<Lang>) {
    provide_context(Language(lang));
}

/// The page's language (tracked when read).
pub fn use_lang() -> ReadSignal<Lang> {
    expect_context::<Language>().0
}
