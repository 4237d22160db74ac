//! The Leptos UI of the Azure DevOps token portal: routes, pages, server functions and wire types.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod clock;
pub mod consent;
pub mod error;
pub mod inventory;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod route_code;
pub mod routes;
pub mod scope_tasks;
pub mod scopes;
pub mod ui;
pub mod way_off;
pub mod when;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{path, Lazy, NavigateOptions, SsrMode};

use crate::error::ApiError;
use crate::model::Viewer;
use crate::pages::{
    provide_unread_secret, AboutPage, HomePage, InventoryRoute, NewTokenRoute, NotFoundPage, OrgsPage,
    ProjectsPage, SignInProblemPage, TokenRoute, TokensPage,
};
use crate::ui::{provide_hydrated, provide_toasts, stored, use_org, PageBoundary, ThemeToggle, Toaster};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The hydration scripts carry this response's nonce (Leptos makes one per page); the server
    // reads it from the page into the Content-Security-Policy header (`http::page_nonce`).
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <ChunkPreloads />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// In a split build, what the page's code needs beyond the main module, named in its head so that
/// it downloads beside the module instead of after it: the chunk loader (`__wasm_split.<hash>.js`,
/// which the main module imports) and, on a lazy route, that route's chunks (the address decides
/// which, as the router will). Leptos names a lazy page's chunks too, but reads the context for it
/// outside the page's owner (leptos_integration_utils 0.8.9): the first page a server thread
/// renders went without them. Reads the split manifest `HydrationScripts` found.
#[component]
fn ChunkPreloads() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let (loader, chunks) = {
        let path =
            use_context::<http::request::Parts>().map(|p| p.uri.path().to_string()).unwrap_or_default();
        let key = route_code::LazyPage::of_path(&path).map(route_code::LazyPage::split_key);
        use_context::<leptos::WasmSplitManifest>()
            .and_then(|m| {
                m.0.try_with_value(|(pkg, manifest, loader)| {
                    let chunks = key.and_then(|k| manifest.get(k)).cloned().unwrap_or_default();
                    (
                        Some(format!("{pkg}/{loader}")),
                        chunks.iter().map(|c| format!("{pkg}/{c}.wasm")).collect::<Vec<String>>(),
                    )
                })
            })
            .unwrap_or_default()
    };
    #[cfg(not(feature = "ssr"))]
    let (loader, chunks) = (None::<String>, Vec::<String>::new());
    view! {
        {loader.map(|href| view! { <link rel="modulepreload" href=href crossorigin="" /> })}
        {chunks.into_iter().map(|href| view! { <link rel="preload" href=href r#as="fetch" r#type="application/wasm" crossorigin="" /> }).collect_view()}
    }
}

/// Carries a page's nonce from `http::page_nonce` to the security-header middleware (which drops it).
pub const CSP_NONCE_HEADER: &str = "x-csp-nonce";

/// Who is looking, loaded once per page load (blocking, so it is in the first HTML) and shared by every component.
pub type MeResource = Resource<Result<Viewer, ApiError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let me: MeResource = Resource::new_blocking(|| (), |_| api::get_me());
    provide_context(me);
    provide_hydrated();
    provide_toasts();
    provide_unread_secret();
    // Marks the page as hydrated, for people debugging and for the end-to-end tests; then the
    // other routes' code is fetched at idle.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // The drafts kept for a consent round trip belong to whoever is signed in on this page.
        let who = me.get_untracked().and_then(|v| v.ok()).and_then(|v| v.user);
        consent::set_user(who.as_ref().map(consent::user_key));
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        route_code::load_all_at_idle();
    });

    view! {
        <Title text="Azure DevOps token portal" />
        <Router>
            <a href="#main" class="skip-link">"Skip to content"</a>
            <Header />
            <RestoreSaved />
            <main id="main">
                <consent::ConsentAnswer />
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    // Async: the whole page is in the first response, so reading works without JavaScript.
                    <Route path=path!("/") view=|| view! { <PageBoundary><HomePage /></PageBoundary> } ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view=|| view! { <PageBoundary><TokensPage /></PageBoundary> } ssr=SsrMode::Async />
                    // Lazy: their code is fetched apart (see `route_code`).
                    <Route path=path!("/tokens/all") view={Lazy::<InventoryRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tokens/new") view={Lazy::<NewTokenRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tokens/:id") view={Lazy::<TokenRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/orgs") view=|| view! { <PageBoundary><OrgsPage /></PageBoundary> } ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org/projects") view=|| view! { <PageBoundary><ProjectsPage /></PageBoundary> } ssr=SsrMode::Async />
                    <Route path=path!("/about") view=|| view! { <PageBoundary><AboutPage /></PageBoundary> } ssr=SsrMode::Async />
                    <Route path=path!("/signin-problem") view=|| view! { <PageBoundary><SignInProblemPage /></PageBoundary> } ssr=SsrMode::Async />
                </Routes>
            </main>
            <Toaster />
            <footer class="footer">
                <p>"Your tokens stay on the server: this page holds only a session cookie."</p>
            </footer>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let org = use_org();
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"DevOps token portal"</A>
            <nav aria-label="Main">
                <A href=move || ui::org_href("/", org.get().as_deref())>"Dashboard"</A>
                <A href=move || ui::org_href("/tokens", org.get().as_deref())>"Tokens"</A>
                <A href="/orgs">"Organizations"</A>
                <A href="/about">"About"</A>
            </nav>
            <OrgSwitcher />
            <ThemeToggle />
            <Suspense fallback=|| view! { <span class="account muted">"…"</span> }>
                {move || Suspend::new(async move {
                    let viewer = me.await;
                    // The page carries the failure's status (503 while sessions are unavailable).
                    #[cfg(feature = "ssr")]
                    if let (Err(e), Some(res)) = (&viewer, use_context::<leptos_axum::ResponseOptions>()) {
                        res.set_status(http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
                    }
                    let demo = matches!(&viewer, Ok(v) if v.demo).then(|| view! {
                        <span class="badge demo" title="Running on the embedded demo stack: made-up users and tokens">"demo"</span>
                    });
                    match viewer.map(|v| v.user) {
                        Ok(Some(me)) => view! {
                            <div class="account">
                                {demo}
                                <span class="who" data-testid="user-name">{me.name.clone()}</span>
                                // A draft kept for a consent round trip does not outlive the sign-in.
                                <form method="post" action=routes::SIGN_OUT class="inline" on:submit=|_| consent::drop_draft()>
                                    <button type="submit" class="button secondary">"Sign out"</button>
                                </form>
                            </div>
                        }.into_any(),
                        _ => view! {
                            <div class="account">
                                {demo}
                                <SignInLink label="Sign in" />
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

/// Chooses the organization: a GET form (works without JavaScript), navigating on change
/// with it. The choice is remembered in the browser.
#[component]
fn OrgSwitcher() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let orgs = Resource::new(|| (), |_| api::list_orgs());
    let org = use_org();
    let location = use_location();
    let navigate = use_navigate();
    // Switching from a token's page goes to the token list: the token may not exist elsewhere.
    let target = move || {
        let p = location.pathname.get();
        if p.starts_with("/tokens") {
            "/tokens".to_string()
        } else if p.starts_with("/orgs") {
            "/orgs".to_string()
        } else {
            "/".to_string()
        }
    };
    let go = move |name: String| {
        stored::set(stored::ORG, &name);
        navigate(&ui::org_href(&target(), Some(&name)), NavigateOptions::default());
    };
    let on_change = {
        let go = go.clone();
        move |ev: leptos::ev::Event| go(event_target_value(&ev))
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let on_change = on_change.clone();
                Suspend::new(async move {
                    let signed_in = matches!(me.await, Ok(Viewer { user: Some(_), .. }));
                    let list = orgs.await.ok().filter(|_| signed_in)?;
                    let current = org.get_untracked().or(list.default.clone());
                    Some(view! {
                        <form method="get" action=target class="org-switcher" data-testid="org-switcher">
                            <label for="org-select">"Organization"</label>
                            <select id="org-select" name="org" on:change=on_change>
                                {list.orgs.into_iter().map(|o| {
                                    let selected = current.as_deref() == Some(o.name.as_str());
                                    view! { <option value=o.name.clone() selected=selected>{o.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                            <noscript><button type="submit" class="button secondary">"Switch"</button></noscript>
                        </form>
                    })
                })
            }}
        </Suspense>
    }
}

/// On the first visit without an organization or table settings in the URL, brings back the
/// ones chosen last time (kept in the browser with gloo-storage).
#[component]
fn RestoreSaved() -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let done = StoredValue::new(false);
    Effect::new(move |_| {
        if done.get_value() {
            return;
        }
        done.set_value(true);
        let path = location.pathname.get_untracked();
        let query = location.query.get_untracked();
        let mut extra = Vec::new();
        if matches!(path.as_str(), "/" | "/tokens" | "/tokens/new") && query.get("org").is_none() {
            if let Some(o) = stored::get::<String>(stored::ORG) {
                extra.push(format!("org={}", encode_query_value(&o)));
            }
        }
        if path == "/" && query.get("lead").is_none() {
            if let Some(lead) = stored::get::<u32>(stored::LEAD) {
                extra.push(format!("lead={lead}"));
            }
        }
        if path == "/tokens" && query.get("filter").is_none() && query.get("sort").is_none() {
            if let Some(v) = stored::tokens_view() {
                extra.push(format!("filter={}&sort={}", v.filter.as_api(), v.sort.key()));
                if v.desc {
                    extra.push("desc=true".into());
                }
            }
        }
        if !extra.is_empty() {
            let search = location.search.get_untracked();
            let sep = if search.is_empty() { "?" } else { "&" };
            let to = format!("{path}{search}{sep}{}", extra.join("&"));
            navigate(&to, NavigateOptions { replace: true, ..Default::default() });
        }
    });
}

/// A plain link to the sign-in endpoint (no JavaScript needed). `rel="external"` keeps the
/// client-side router from treating it as a page of this app.
#[component]
pub fn SignInLink(#[prop(into)] label: String) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let href = move || {
        let path = location.pathname.get();
        // Back to the same page, filters and paging included.
        let back = if path.starts_with(routes::SIGN_IN_PROBLEM) {
            "/".to_string()
        } else {
            path + &location.search.get()
        };
        format!("{}?return_to={}", routes::SIGN_IN, encode_query_value(&back))
    };
    view! { <a href=href rel="external" class="button primary">{label}</a> }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` stay as they are).
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_encoded() {
        assert_eq!(super::encode_query_value("/tokens?x=1&y"), "/tokens%3Fx%3D1%26y");
        assert_eq!(super::encode_query_value("/é"), "/%C3%A9");
    }
}
