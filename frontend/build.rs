//! The WebAssembly keeps its relocations, which the build's split step (`wasm-split-cli`)
//! reads to tell which functions and data each lazily loaded part needs.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--emit-relocs");
    }
}
