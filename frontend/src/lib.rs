//! The WebAssembly entry point: sets up the reactive system for the islands of the
//! server-rendered page. `app/src/nav.js` loads this module, calls `hydrate`, then each island's
//! hydrate function (exported by the app crate) and marks the page hydrated.

// Links the app crate: its islands export their hydrate functions from this module.
#[allow(unused_imports)]
pub use app::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
