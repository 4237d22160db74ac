//! The code of the lazy routes. Each heavy page is a split point of its own (a wasm chunk, with
//! chunks of code it shares with the others): fetched for a first visit by the page's head (the
//! server names the chunks the page used), before hydration (the router hydrates a lazy route
//! synchronously only when its code is here), and for every other route at idle once the page is
//! up, so that later navigations download no code.
//!
//! The split points are `fallible`: a chunk that cannot be fetched (the connection dropped) is an
//! error the page shows with "Try again", never a panic that would end the app.

use std::future::Future;

use leptos::prelude::*;

use crate::error::ApiError;
use crate::ui::{ErrorPanel, PageBoundary};

/// The lazy routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazyPage {
    /// `/tokens/all`: the inventory with its bulk changes.
    Inventory,
    /// `/tokens/new`: the new-token form.
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

    /// The name of this route's split point: its key in the split manifest.
    pub fn split_key(self) -> &'static str {
        match self {
            LazyPage::Inventory => "inventory_page",
            LazyPage::NewToken => "new_token_page",
            LazyPage::Token => "token_page",
        }
    }

    /// Fetches this route's code (its wasm chunks); once loaded, later calls return at once.
    pub async fn load(self) -> Result<(), ApiError> {
        match self {
            LazyPage::Inventory => crate::pages::load_inventory_page().await,
            LazyPage::NewToken => crate::pages::load_new_token_page().await,
            LazyPage::Token => crate::pages::load_token_page().await,
        }
        .map_err(ApiError::from)
    }
}

/// Fetches the code of every lazy route when the browser is idle. Started once the page has
/// hydrated: its own data came with the HTML, so nothing of the page waits behind these. A chunk
/// that cannot be fetched now is fetched when its page is opened.
#[cfg(feature = "hydrate")]
pub fn load_all_at_idle() {
    request_idle_callback(|| {
        leptos::task::spawn_local(async {
            for page in LazyPage::ALL {
                let _ = page.load().await;
            }
        });
    });
}

/// A lazy route's view, once its code is here; or, when its code could not be fetched, the
/// error with a "Try again" that loads the address in full. (The page's head names its chunks:
/// `ChunkPreloads` in `lib.rs`.)
pub async fn lazy_view(view: impl Future<Output = Result<AnyView, ApiError>>) -> AnyView {
    match view.await {
        Ok(view) => view,
        Err(error) => {
            let retry = Callback::new(|_| {
                #[cfg(feature = "hydrate")]
                let _ = window().location().reload();
            });
            view! { <PageBoundary><ErrorPanel error=error retry=retry /></PageBoundary> }.into_any()
        }
    }
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
        for light in
            ["/", "/tokens", "/tokens/", "/orgs", "/orgs/x/projects", "/about", "/tokens/a/b", "/tokensx"]
        {
            assert_eq!(LazyPage::of_path(light), None, "{light}");
        }
    }
}
