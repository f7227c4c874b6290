//! Every text on the page, in English (`en.rs`) and Japanese (`ja.rs`). Our own words; the
//! chapter's are its author's. A `{}` in a text is filled in with `fill`.
//!
//! The texts are grouped per panel, so each panel's words sit together. Both languages name
//! every field of every group: a text missing in one of them does not compile.
//!
//! The groups are in two structs, by which WASM file draws them: `Texts` for what the first
//! file draws (the frame, the order panel, its status line), `PanelTexts` for the panels the
//! second file builds (`pages/deferred.rs`), and `lesson.rs` for the lesson's steps, also
//! drawn by the second file. Code in the first file must not read the other two: a string is
//! in the first file if any code there reaches it.

mod current;
mod en;
mod ja;
mod lang;
pub mod lesson;
mod texts;

pub use current::{provide_language, use_lang};
pub use lang::{Lang, LANG_COOKIE};
pub use texts::*;
