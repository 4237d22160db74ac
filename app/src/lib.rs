//! The Leptos UI of the Azure DevOps token portal: routes, pages, server functions and wire types.
#![recursion_limit = "256"]

pub mod api;
pub mod boot;
#[cfg(feature = "ssr")]
pub mod clock;
pub mod consent;
pub mod error;
pub mod inventory;
pub mod model;
pub mod nav;
mod pages;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod routes;
pub mod scope_tasks;
pub mod scopes;
pub mod ui;
pub mod when;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

use crate::boot::Boot;
use crate::error::ApiError;
use crate::model::Viewer;
use crate::pages::{
    AboutPage, HomePage, InventoryPage, NewTokenPage, NotFoundPage, OrgsPage, ProjectsPage,
    SignInProblemPage, TokenPage, TokensPage,
};
use crate::ui::{go, stored, url, use_org, PageBoundary, ThemeToggle, Toaster};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The hydration script carries this response's nonce; the server puts the same nonce in the
    // Content-Security-Policy header (and drops this private header).
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) =
        (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    {
        if let Ok(v) = http::HeaderValue::from_str(&nonce.to_string()) {
            res.insert_header(http::HeaderName::from_static(CSP_NONCE_HEADER), v);
        }
    }
    #[cfg(feature = "ssr")]
    provide_context(boot::built(&options));
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <Boot options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Carries the nonce from the page render to the server's security-header middleware.
pub const CSP_NONCE_HEADER: &str = "x-csp-nonce";

/// Who is looking, loaded once per page load (blocking, so it is in the first HTML) and shared by every component.
pub type MeResource = Resource<Result<Viewer, ApiError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let me: MeResource = Resource::new_blocking(|| (), |_| api::get_me());
    provide_context(me);

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
                    <Route path=path!("/tokens/all") view=|| view! { <PageBoundary><InventoryPage /></PageBoundary> } ssr=SsrMode::Async />
                    <Route path=path!("/tokens/new") view=|| view! { <PageBoundary><NewTokenPage /></PageBoundary> } ssr=SsrMode::Async />
                    <Route path=path!("/tokens/:id") view=|| view! { <PageBoundary><TokenPage /></PageBoundary> } ssr=SsrMode::Async />
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
                                <form method="post" action=routes::SIGN_OUT class="inline">
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
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = matches!(me.await, Ok(Viewer { user: Some(_), .. }));
                let list = orgs.await.ok().filter(|_| signed_in)?;
                let current = org.get_untracked().or(list.default.clone());
                let names = list.orgs.into_iter().map(|o| o.name).collect::<Vec<_>>();
                Some(view! { <OrgSelect names=names current=current target=switch_target(&url::path()).to_string() /> })
            })}
        </Suspense>
    }
}

/// Where switching the organization goes from `path`: a token's page goes to the token list,
/// since the token may not exist in the other organization.
fn switch_target(path: &str) -> &'static str {
    if path.starts_with("/tokens") {
        "/tokens"
    } else if path.starts_with("/orgs") {
        "/orgs"
    } else {
        "/"
    }
}

#[leptos::island]
fn OrgSelect(names: Vec<String>, current: Option<String>, target: String) -> impl IntoView {
    let action = target.clone();
    let on_change = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        stored::set(stored::ORG, &name);
        go(&ui::org_href(&target, Some(&name)), false);
    };
    view! {
        <form method="get" action=action class="org-switcher" data-testid="org-switcher">
            <label for="org-select">"Organization"</label>
            <select id="org-select" name="org" on:change=on_change>
                {names.into_iter().map(|name| {
                    let selected = current.as_deref() == Some(name.as_str());
                    view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                }).collect_view()}
            </select>
            <noscript><button type="submit" class="button secondary">"Switch"</button></noscript>
        </form>
    }
}

/// On the first visit without an organization or table settings in the URL, brings back the
/// ones chosen last time (kept in the browser with gloo-storage). Once per page load: the
/// island is hydrated again after every navigation.
#[leptos::island]
fn RestoreSaved() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
            if DONE.with(|d| d.replace(true)) {
                return;
            }
            let (path, search) = (url::path(), url::search());
            let extra = restore_params(&path, &|k| url::query_value(k));
            if !extra.is_empty() {
                let sep = if search.is_empty() { "?" } else { "&" };
                go(&format!("{path}{search}{sep}{}", extra.join("&")), true);
            }
        }
    });
}

/// What to add to the address of `path` (whose query answers `query`) from what was saved.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn restore_params(path: &str, query: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut extra = Vec::new();
    if matches!(path, "/" | "/tokens" | "/tokens/new") && query("org").is_none() {
        if let Some(o) = stored::get::<String>(stored::ORG) {
            extra.push(format!("org={}", encode_query_value(&o)));
        }
    }
    if path == "/" && query("lead").is_none() {
        if let Some(lead) = stored::get::<u32>(stored::LEAD) {
            extra.push(format!("lead={lead}"));
        }
    }
    if path == "/tokens" && query("filter").is_none() && query("sort").is_none() {
        if let Some(v) = stored::tokens_view() {
            extra.push(format!("filter={}&sort={}", v.filter.as_api(), v.sort.key()));
            if v.desc {
                extra.push("desc=true".into());
            }
        }
    }
    extra
}

/// A plain link to the sign-in endpoint (no JavaScript needed). `rel="external"` keeps the
/// client-side navigation from treating it as a page of this app.
#[component]
pub fn SignInLink(#[prop(into)] label: String) -> impl IntoView {
    let path = url::path();
    // Back to the same page, filters and paging included.
    let back =
        if path.starts_with(routes::SIGN_IN_PROBLEM) { "/".to_string() } else { path + &url::search() };
    let href = format!("{}?return_to={}", routes::SIGN_IN, encode_query_value(&back));
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
    fn switching_the_organization_leaves_a_token_for_the_list() {
        assert_eq!(super::switch_target("/tokens/b458d849"), "/tokens");
        assert_eq!(super::switch_target("/tokens/all"), "/tokens");
        assert_eq!(super::switch_target("/orgs/fabrikam-demo/projects"), "/orgs");
        assert_eq!(super::switch_target("/about"), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(super::encode_query_value("/tokens?x=1&y"), "/tokens%3Fx%3D1%26y");
        assert_eq!(super::encode_query_value("/é"), "/%C3%A9");
    }
}
