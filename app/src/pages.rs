//! The pages of the app, one component per route. The three heavy ones (a token's page, the
//! new-token form, the inventory with its bulk changes) are lazy routes: their code is in wasm
//! chunks of their own, fetched for a first visit by the page's head and for the others at idle.

mod bulk;
mod home;
mod inventory;
mod new_token;
mod orgs;
mod scope_picker;
mod table_view;
mod token;
mod token_form;
mod tokens;

pub use home::HomePage;
pub(crate) use inventory::{load_inventory_page, InventoryRoute};
pub(crate) use new_token::{load_new_token_page, NewTokenRoute};
pub use orgs::{OrgsPage, ProjectsPage};
pub(crate) use token::{load_token_page, provide_unread_secret, TokenRoute};
pub use tokens::TokensPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{MeResource, SignInLink};

#[component]
pub fn AboutPage() -> impl IntoView {
    let me = expect_context::<MeResource>();
    view! {
        <Title text="About · Azure DevOps token portal" />
        <section class="card prose">
            <h1>"About this portal"</h1>
            <p>
                "This app signs you in with the Microsoft identity platform and manages your Azure DevOps "
                "personal access tokens on your behalf. The sign-in code exchange and every Azure DevOps call "
                "happen on the server; your browser holds only a session cookie."
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let demo = matches!(me.await, Ok(v) if v.demo);
                    demo.then(|| view! {
                        <p class="notice" data-testid="demo-notice">
                            "You are on the demo stack: a local stand-in for Entra ID and Azure DevOps, with made-up "
                            "users and tokens. Nothing here touches Microsoft."
                        </p>
                    })
                })}
            </Suspense>
            <p><a href="/">"Back to your tokens"</a></p>
        </section>
    }
}

/// Where a failed sign-in lands: says what happened and offers to start again.
#[component]
pub fn SignInProblemPage() -> impl IntoView {
    let query = use_query_map();
    let reason = move || query.with(|q| q.get("reason").unwrap_or_default());
    // Only codes that look like the identity provider's: the page is reachable by any link.
    let detail = move || {
        query.with(|q| {
            q.get("code").and_then(|c| crate::routes::idp_code(&c).map(str::to_string)).unwrap_or_default()
        })
    };
    let redirect_uri = Resource::new(|| (), |_| crate::api::sign_in_help());
    view! {
        <Title text="Sign-in problem · Azure DevOps token portal" />
        <section class="card prose" role="alert">
            <h1>"Sign-in did not complete"</h1>
            <p data-testid="problem">{move || problem_text(&reason())}</p>
            {move || {
                let d = detail();
                (!d.is_empty()).then(|| view! { <p class="muted">"Code from the identity provider: " <code>{d.clone()}</code></p> })
            }}
            {move || code_help(&detail()).map(|help| view! { <p data-testid="fix">{help}</p> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let uri = redirect_uri.await.ok();
                    (matches!(detail().as_str(), "AADSTS50011" | "AADSTS500112")).then(|| view! {
                        <p>"Register exactly this redirect URI (platform Web) in the app registration: "
                           <code data-testid="redirect-uri">{uri}</code></p>
                    })
                })}
            </Suspense>
            <p><SignInLink label="Sign in again" /></p>
        </section>
    }
}

/// The sentence shown for a sign-in problem (the reasons are set by the server's callback).
fn problem_text(reason: &str) -> &'static str {
    crate::routes::SignInProblem::parse(reason)
        .map(crate::routes::SignInProblem::sentence)
        .unwrap_or("Something interrupted the sign-in.")
}

/// What to do about the AADSTS codes people meet most.
fn code_help(code: &str) -> Option<&'static str> {
    Some(match code {
        "AADSTS50011" | "AADSTS500112" => "The redirect URI this app sent is not registered for it.",
        "AADSTS7000215" => {
            "The client secret is wrong or has expired: create a new one and set CLIENT_SECRET to its value."
        }
        "AADSTS7000218" => "The app sent no client secret: set CLIENT_SECRET.",
        "AADSTS700016" => {
            "The application (client) id is not known in this tenant: check CLIENT_ID and AUTHORITY."
        }
        "AADSTS65001" | "consent_required" => {
            "Consent is missing: an administrator must grant the Azure DevOps permission to this app."
        }
        "AADSTS50076" | "AADSTS50079" | "interaction_required" => {
            "Your organization requires multi-factor authentication: sign in again to complete it."
        }
        "AADSTS54005" => "This sign-in was already completed once. Start again.",
        "AADSTS70008" | "AADSTS700082" | "AADSTS50173" => {
            "Your sign-in has expired or was revoked. Sign in again."
        }
        "AADSTS50058" => "You are not signed in at the identity provider. Sign in again.",
        _ => return None,
    })
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Azure DevOps token portal" />
        <section class="card prose">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to the home page"</a></p>
        </section>
    }
}
