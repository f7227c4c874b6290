#![recursion_limit = "256"]
//! The browser entry point: Leptos takes over the server-rendered page.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// Room for the split step (`wasm-split-cli`) to move data into the second WASM file. It lays
/// the first file's data out again without what only the second file reads, aligning each
/// part; if that layout came out longer than the linker's, even by a few bytes of alignment,
/// it would keep all data in the first file (its warning: "Overlong segment 0 by … after
/// relocation, putting it in main module"). These bytes are read by nothing, so the step
/// leaves them out, and the new layout always fits.
#[used]
static SPLIT_SLACK: [u8; 1024] = [0x5a; 1024];
