//! `/tokens/:id`: one token: edit (rename, rescope, new expiry), extend, rotate, revoke with confirmation.

mod actions;
mod calls;
mod edit_scopes;

use leptos::prelude::*;

use crate::boot::PreloadIsland;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::token_form::SecretReveal;
use crate::api::get_pat;
use crate::model::{CreatedPat, PatStatus, PatSummary};
use crate::scopes::scope_label;
use crate::ui::{org_href, use_hydrated, use_org, use_toasts, DateWhen, ErrorPanel, NeedsJs, Skeleton};
use actions::{EditCard, ExtendCard, ReissueCard, ReplaceGlobalCard, RevokeCard, RotateCard};
use calls::TokenCalls;

#[component]
pub fn TokenPage() -> impl IntoView {
    let org = use_org().get_untracked();
    let id = use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let list = org_href("/tokens", org.as_deref());
    let token = Resource::new(|| (), move |_| get_pat(org.clone(), id.clone()));
    view! {
        <Title text="Token · Azure DevOps token portal" />
        <p class="crumbs"><a href=list>"← All tokens"</a></p>
        <Suspense fallback=|| view! { <Skeleton label="Loading the token" lines=5 /> }>
            {move || Suspend::new(async move {
                match token.await {
                    Ok(t) => view! { <PreloadIsland name="TokenView" /><TokenView token=t /> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The token and its changes: an island, so a change applies and the token reloads in place.
/// Loaded only where it is shown (`split`: see [`crate::boot`]).
#[cfg_attr(feature = "split", leptos::island(lazy))]
#[cfg_attr(not(feature = "split"), leptos::island)]
fn TokenView(token: PatSummary) -> impl IntoView {
    let id = token.authorization_id.clone();
    let token = RwSignal::new(token);
    // Out here, not in the detail: the detail is rebuilt when the token reloads after a
    // rotation, and the new secret must stay on screen until the person has copied it.
    let rotated = unread_secret();
    let done = Callback::new(move |_| rotated.set(None));
    // Hydrated as the server rendered it (no secret is ever in a page), then shown.
    let hydrated = use_hydrated();
    let toasts = use_toasts();
    let org = use_org();
    let reload = Callback::new(move |_| {
        let (org, id) = (org.get_untracked(), id.clone());
        leptos::task::spawn_local(async move {
            match get_pat(org, id).await {
                // `try_`: the page may have been left meanwhile (its islands cleaned up).
                Ok(t) => drop(token.try_set(t)),
                Err(e) => toasts.failure(format!("The token could not be read again: {e}")),
            }
        });
    });
    view! {
        {move || if hydrated.get() { rotated.get() } else { None }.map(|c| view! { <SecretReveal created=c on_done=done /> })}
        {move || view! { <TokenDetail token=token.get() rotated=rotated on_change=reload /> }}
    }
}

/// The new token of a rotation or a re-issue until the person says they have copied its
/// secret: it stays on screen when they open the new token's page. Kept in this page load's
/// memory only.
fn unread_secret() -> RwSignal<Option<CreatedPat>> {
    #[cfg(feature = "hydrate")]
    {
        thread_local!(static UNREAD: RwSignal<Option<CreatedPat>> = crate::nav::lasting(|| RwSignal::new(None)));
        UNREAD.with(|s| *s)
    }
    #[cfg(not(feature = "hydrate"))]
    RwSignal::new(None)
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
    view! {
        <TokenFacts token=token />
        {actions}
    }
}

/// What the token is: name, status, validity, scopes and organizations.
#[component]
fn TokenFacts(token: PatSummary) -> impl IntoView {
    let all_orgs = token.target_accounts.is_none();
    let scopes_text = token.scopes.iter().map(|s| scope_label(s)).collect::<Vec<_>>();
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
                <dt>"Scopes"</dt><dd><ul class="plain">{scopes_text.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul></dd>
                <dt>"Organizations"</dt><dd>{if all_orgs { "All your organizations (global)" } else { "This organization" }}</dd>
            </dl>
            <NeedsJs />
        </section>
    }
}
