//! Moving between pages in the islands build: the page's address as islands read it, going to
//! another page without a full load (`nav.js` does the work), and state that lasts through
//! navigations. The server renders every page; after a navigation the new page's islands are
//! hydrated anew, so what must outlive them is kept here.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// The page's address. On the server it comes from the router; in the browser from
/// `window.location`, which is always the page an island belongs to (islands are hydrated anew
/// after every navigation, once the address is the new page's).
pub mod url {
    #[cfg(not(feature = "hydrate"))]
    use leptos::prelude::*;

    /// The path (`/tokens/all`).
    pub fn path() -> String {
        #[cfg(feature = "hydrate")]
        return leptos::prelude::window().location().pathname().unwrap_or_default();
        #[cfg(not(feature = "hydrate"))]
        leptos_router::hooks::use_location().pathname.get_untracked()
    }

    /// The query string with its `?`, or nothing.
    pub fn search() -> String {
        #[cfg(feature = "hydrate")]
        return leptos::prelude::window().location().search().unwrap_or_default();
        #[cfg(not(feature = "hydrate"))]
        leptos_router::hooks::use_location().search.get_untracked()
    }

    /// One value of the query string, decoded.
    pub fn query_value(key: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        return web_sys::UrlSearchParams::new_with_str(&search()).ok()?.get(key);
        #[cfg(not(feature = "hydrate"))]
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get(key))
    }
}

/// Goes to `href` without loading a page in full (`nav.js`); `replace` keeps the history as it is.
pub fn go(href: &str, replace: bool) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let window = window();
        let nav = js_sys::Reflect::get(&window, &"__nav".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match nav {
            Some(f) => {
                let _ = f.call2(&wasm_bindgen::JsValue::NULL, &href.into(), &replace.into());
            }
            None if replace => {
                let _ = window.location().replace(href);
            }
            None => {
                let _ = window.location().assign(href);
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (href, replace);
}

/// Reactive state that outlives the island that first asks for it: made under an owner of its
/// own, never disposed (it lasts as long as the page load).
#[cfg(feature = "hydrate")]
pub fn lasting<T>(make: impl FnOnce() -> T) -> T {
    // A new root becomes the current owner: the island's own is put back afterwards.
    let current = Owner::current();
    let owner = Owner::new_root(None);
    let value = owner.with(make);
    std::mem::forget(owner);
    if let Some(c) = current {
        c.set();
    }
    value
}
