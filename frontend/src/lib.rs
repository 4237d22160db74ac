//! The WebAssembly entry point: hydrates the server-rendered page. Leptos's `HydrationScripts`
//! loads this module and calls `hydrate`.
// The whole app's view types are laid out here: deeper than the default limit allows.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The router hydrates a lazy route only when its code is already here: fetch the landing
    // route's chunks first (the page's head started them with the main module), then hydrate on
    // the synchronous path.
    let path = leptos::prelude::window().location().pathname().unwrap_or_default();
    // The loader needs no reactive system: wasm-bindgen's own executor drives it.
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(page) = app::route_code::LazyPage::of_path(&path) {
            if page.load().await.is_err() {
                // The page stays as the server rendered it: reading and plain links still work.
                leptos::logging::error!("The code of this page could not be fetched: it was not hydrated.");
                return;
            }
        }
        leptos::mount::hydrate_body(app::App);
    });
}
