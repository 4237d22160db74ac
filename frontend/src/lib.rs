//! The WebAssembly entry point: hydrates the islands of the server-rendered page.

// Links the app crate: its islands export their hydrate functions from this module.
#[allow(unused_imports)]
pub use app::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // The islands hydrate right after this returns, in the same task: the marker goes on
    // once they have (for people debugging and for the end-to-end tests).
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
