//! The code of the lazy routes in the browser: the landing route's before hydration (the router
//! hydrates a lazy route synchronously only when its code is there), and every other one at idle
//! once the page is up, so that later navigations download no code.

#[cfg(feature = "hydrate")]
use leptos_router::LazyRoute;

#[cfg(feature = "hydrate")]
use crate::pages::{InventoryRoute, NewTokenRoute, TokenRoute};

/// The lazy routes, by the code-sharing family their chunks belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazyPage {
    /// `/tokens/all`: the inventory with its bulk changes.
    Inventory,
    /// `/tokens/new`: the new-token form (its scope picker shared with a token's page).
    NewToken,
    /// `/tokens/:id`.
    Token,
}

impl LazyPage {
    pub const ALL: [LazyPage; 3] = [LazyPage::Inventory, LazyPage::NewToken, LazyPage::Token];

    /// The lazy route that renders `path`, as the router in `crate::App` matches it (a trailing
    /// slash is ignored; `/tokens/x/y` matches no route).
    pub fn of_path(path: &str) -> Option<LazyPage> {
        let path = path.trim_end_matches('/');
        let rest = path.strip_prefix("/tokens/")?;
        match rest {
            "all" => Some(LazyPage::Inventory),
            "new" => Some(LazyPage::NewToken),
            id if !id.is_empty() && !id.contains('/') => Some(LazyPage::Token),
            _ => None,
        }
    }

    /// Fetches this route's code (its wasm chunks), once: later calls find it loaded.
    #[cfg(feature = "hydrate")]
    pub async fn load(self) {
        match self {
            LazyPage::Inventory => InventoryRoute::preload().await,
            LazyPage::NewToken => NewTokenRoute::preload().await,
            LazyPage::Token => TokenRoute::preload().await,
        }
    }
}

/// Fetches the code of every lazy route when the browser is idle. Started once the page has
/// hydrated: its own data came with the HTML, so nothing of the page waits behind these.
#[cfg(feature = "hydrate")]
pub fn load_all_at_idle() {
    leptos::prelude::request_idle_callback(|| {
        leptos::task::spawn_local(async {
            for page in LazyPage::ALL {
                page.load().await;
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::LazyPage;

    #[test]
    fn paths_name_the_lazy_route_the_router_shows() {
        assert_eq!(LazyPage::of_path("/tokens/all"), Some(LazyPage::Inventory));
        assert_eq!(LazyPage::of_path("/tokens/new"), Some(LazyPage::NewToken));
        assert_eq!(LazyPage::of_path("/tokens/new/"), Some(LazyPage::NewToken));
        assert_eq!(LazyPage::of_path("/tokens/b458d849-0000"), Some(LazyPage::Token));
        for light in ["/", "/tokens", "/tokens/", "/orgs", "/orgs/x/projects", "/about", "/tokens/a/b", "/tokensx"] {
            assert_eq!(LazyPage::of_path(light), None, "{light}");
        }
    }
}
