//! The browser's side effects, one job per file: what the page keeps in storage, what it sends
//! over HTTP, the tabs and the address bar, the clock, the document, and the server's change
//! announcements. Called only from effects and event handlers, which run in the browser, never
//! while the server renders a page.

pub mod document;
pub mod events;
pub mod http;
pub mod storage;
pub mod tabs;
pub mod time;
pub mod transcript;
