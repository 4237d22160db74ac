//! `/tokens/:id`: one token: edit (rename, rescope, new expiry), extend, rotate, revoke with confirmation.
//!
//! A lazy route: its code comes from wasm chunks of its own (shared with the new-token form), and
//! the token is asked for in [`LazyRoute::data`], before that code has arrived.

mod actions;
mod calls;
mod edit_scopes;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use leptos_router::LazyRoute;

use super::token_form::SecretReveal;
use crate::api::get_pat;
use crate::error::ApiError;
use crate::model::{CreatedPat, PatStatus, PatSummary};
use crate::pages::scope_picker::ScopeFlags;
use crate::scopes::scope_label;
use crate::ui::{org_href, use_org, DateWhen, ErrorPanel, NeedsJs, PageBoundary, Skeleton};
use actions::{EditCard, ExtendCard, ReissueCard, ReplaceGlobalCard, RevokeCard, RotateCard};
use calls::TokenCalls;

/// The token the address names, read while the page's code loads.
#[derive(Clone, Copy)]
pub struct TokenRoute {
    org: Memo<Option<String>>,
    token: Resource<Result<PatSummary, ApiError>>,
}

impl LazyRoute for TokenRoute {
    fn data() -> Self {
        let params = use_params_map();
        let org = use_org();
        let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
        let token = Resource::new(move || (org.get(), id.get()), |(org, id)| get_pat(org, id));
        Self { org, token }
    }

    async fn view(this: Self) -> AnyView {
        crate::route_code::lazy_view(token_page(this)).await
    }

    async fn preload() {
        let _ = load_token_page().await;
    }
}

/// The page's code: a split point (see [`crate::route_code`]).
#[leptos::wasm_split::wasm_split(token_page, wasm_split_path = ::leptos::wasm_split, fallible, preload(load_token_page))]
pub(crate) fn token_page(this: TokenRoute) -> Result<AnyView, ApiError> {
    Ok(view! { <PageBoundary><TokenPage org=this.org token=this.token /></PageBoundary> }.into_any())
}

/// The new token of a rotation or a re-issue until the person says they have copied its secret.
/// Held by the app, not the page: it stays on screen when they open the new token's page, and
/// lives only in this tab's memory.
#[derive(Clone, Copy)]
pub struct UnreadSecret(pub RwSignal<Option<CreatedPat>>);

pub fn provide_unread_secret() {
    provide_context(UnreadSecret(RwSignal::new(None)));
}

#[component]
fn TokenPage(org: Memo<Option<String>>, token: Resource<Result<PatSummary, ApiError>>) -> impl IntoView {
    // Out here, not in the detail: the detail is rebuilt when the token reloads after a
    // rotation, and the new secret must stay on screen until the person has copied it.
    let rotated = expect_context::<UnreadSecret>().0;
    let done = Callback::new(move |_| rotated.set(None));
    view! {
        <Title text="Token · Azure DevOps token portal" />
        {move || rotated.get().map(|c| view! { <SecretReveal created=c on_done=done /> })}
        <p class="crumbs"><A href=move || org_href("/tokens", org.get().as_deref())>"← All tokens"</A></p>
        <Transition fallback=|| view! { <Skeleton label="Loading the token" lines=5 /> }>
            {move || Suspend::new(async move {
                match token.await {
                    Ok(t) => view! { <TokenDetail token=t rotated=rotated on_change=Callback::new(move |_| token.refetch()) /> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e retry=Callback::new(move |_| token.refetch()) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokenDetail(
    token: PatSummary,
    rotated: RwSignal<Option<CreatedPat>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let calls = TokenCalls::new(use_org(), rotated, on_change);
    let id = token.authorization_id.clone();
    // Expired and revoked tokens are read-only in Azure DevOps: a new one takes their place.
    let actions = match token.status {
        PatStatus::Active | PatStatus::ExpiringSoon => view! {
            {token.global.is_some().then(|| view! { <ReplaceGlobalCard token=token.clone() calls=calls /> })}
            <ExtendCard token=token.clone() calls=calls />
            <EditCard token=token.clone() calls=calls />
            <RotateCard id=id.clone() calls=calls />
            <RevokeCard id=id.clone() calls=calls />
        }
        .into_any(),
        PatStatus::Expired => view! {
            <ReissueCard token=token.clone() calls=calls
                why="This token has expired. Azure DevOps no longer lets an expired token be extended or edited: re-issue it as a new token with the same name and scopes." />
            <RevokeCard id=id.clone() calls=calls />
        }
        .into_any(),
        PatStatus::Revoked => view! {
            <ReissueCard token=token.clone() calls=calls
                why="This token is revoked and cannot change. Re-issue it as a new token with the same name and scopes." />
        }
        .into_any(),
    };
    let way_off = crate::way_off::way_off(&token.scopes, &token.display_name);
    view! {
        <TokenFacts token=token />
        <WayOffCard way_off=way_off />
        {actions}
    }
}

/// What Microsoft documents in place of this token, from its scopes and name
/// ([`crate::way_off`]); without one, the general rule.
#[component]
fn WayOffCard(way_off: Option<crate::way_off::WayOff>) -> impl IntoView {
    const ENTRA: &str = "https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/entra";
    let body = match way_off {
        Some(w) => view! {
            <p data-testid=format!("way-off-{}", w.id)><strong>{w.title}</strong>". "{w.how}</p>
            {w.command.map(|c| view! { <pre><code>{c}</code></pre> })}
            <p><a href=w.link rel="noopener" target="_blank">"Microsoft's page on it"</a></p>
        }
        .into_any(),
        None => view! {
            <p data-testid="way-off-none">"Its scopes and name do not say what it is for. Microsoft Entra tokens work wherever a PAT does; narrow a full-access token to the scopes it needs first."</p>
            <p><a href=ENTRA rel="noopener" target="_blank">"Microsoft's alternatives to PATs"</a></p>
        }
        .into_any(),
    };
    view! {
        <section class="card way-off" data-testid="way-off">
            <h2>"A way off this token"</h2>
            {body}
        </section>
    }
}

/// What the token is: name, status, validity, scopes and organizations.
#[component]
fn TokenFacts(token: PatSummary) -> impl IntoView {
    let all_orgs = token.target_accounts.is_none();
    let scopes = token.scopes.clone();
    view! {
        <section class="card" data-testid="token-detail">
            <div class="table-head">
                <h1 data-testid="token-name">{token.display_name.clone()}</h1>
                <span class=token.status.css_class() data-testid="token-status">{token.status.label()}</span>
                {token.global.map(|g| view! { <span class="status status-global" data-testid="global-badge">{g.label()}</span> })}
            </div>
            <dl class="facts">
                <dt>"Valid from"</dt><dd><time datetime=token.valid_from.clone()>{token.valid_from.get(..10).unwrap_or_default().to_string()}</time></dd>
                <dt>"Valid to"</dt><dd data-testid="token-valid-to"><DateWhen at=token.valid_to.clone() words=token.expires.clone() /></dd>
                <dt>"Scopes"</dt><dd><ul class="plain" data-testid="token-scopes">{scopes.into_iter().map(|s| view! { <li>{scope_label(&s)} " " <ScopeFlags name=s /></li> }).collect_view()}</ul></dd>
                <dt>"Organizations"</dt><dd>{if all_orgs { "All your organizations (global)" } else { "This organization" }}</dd>
            </dl>
            <NeedsJs />
        </section>
    }
}
