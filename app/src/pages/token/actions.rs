//! The cards that change a token: extend, edit, rotate, replace a global token, re-issue an expired one, and revoke.

use leptos::prelude::*;

use super::calls::TokenCalls;
use super::edit_scopes::EditScopes;
use crate::consent;
use crate::model::{Expiry, PatChanges, PatSummary, MAX_NAME_CHARS};
use crate::pages::token_form::{form_error, ExpiryPicker};
use crate::ui::{ErrorPanel, FieldError};

/// Longer validity in one click: only the expiry is sent, so the name and scopes stay as they are.
#[component]
pub(super) fn ExtendCard(token: PatSummary, calls: TokenCalls) -> impl IntoView {
    let busy = move || calls.busy();
    let extend = move |days: u32| {
        let changes = PatChanges { expiry: Some(Expiry::Days(days)), ..Default::default() };
        calls.update.dispatch((token.authorization_id.clone(), changes));
    };
    view! {
        <section class="card">
            <h2>"Extend"</h2>
            <p class="muted">"Keep the token working longer, counted from today."</p>
            <div class="actions">
                {[7u32, 30, 90].into_iter().map(|n| {
                    let extend = extend.clone();
                    view! {
                        <button type="button" class="button secondary" disabled=busy
                            data-testid=format!("extend-{n}") on:click=move |_| extend(n)>
                            {format!("+{n} days")}
                        </button>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// What the edit form changed, compared with the token as loaded: only that is sent.
fn changes_between(token: &PatSummary, name: String, scopes: Vec<String>, expiry: Expiry) -> PatChanges {
    let sorted = |mut v: Vec<String>| {
        v.sort_unstable();
        v.dedup();
        v
    };
    let scopes = sorted(scopes);
    PatChanges {
        name: (name.trim() != token.display_name).then_some(name),
        scopes: (scopes != sorted(token.scopes.clone())).then_some(scopes),
        expiry: (expiry != current_expiry(token)).then_some(expiry),
    }
}

/// The token's expiry as the form shows it: its date.
fn current_expiry(token: &PatSummary) -> Expiry {
    Expiry::Date(token.valid_to.get(..10).unwrap_or_default().to_string())
}

/// Rename, rescope or give a new expiry.
#[component]
pub(super) fn EditCard(token: PatSummary, calls: TokenCalls) -> impl IntoView {
    // The current values to start from; the expiry stays the current date unless changed.
    let name = RwSignal::new(token.display_name.clone());
    let scopes = RwSignal::new(token.scopes.clone());
    let expiry = RwSignal::new(current_expiry(&token));
    // The scope picker is fetched when asked for (or when a kept draft changed the scopes).
    let picking = RwSignal::new(false);
    let update = calls.update;
    let error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    // Back from the consent round trip: the edit as the person left it.
    let loaded = token.scopes.clone();
    Effect::new(move |_| {
        if let Some((n, sc, ex)) = consent::take_draft::<(String, Vec<String>, Expiry)>() {
            picking.set(picking.get_untracked() || sc != loaded);
            name.set(n);
            scopes.set(sc);
            expiry.set(ex);
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        consent::keep_draft(&(name.get_untracked(), scopes.get_untracked(), expiry.get_untracked()));
        let changes =
            changes_between(&token, name.get_untracked(), scopes.get_untracked(), expiry.get_untracked());
        update.dispatch((token.authorization_id.clone(), changes));
    };
    view! {
        <section class="card">
            <h2>"Edit"</h2>
            <form class="token-form" on:submit=save novalidate>
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input id="token-name" type="text" required maxlength=MAX_NAME_CHARS.to_string()
                        aria-describedby="name-error"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <FieldError field="name" error=error />
                </div>
                <EditScopes selected=scopes error=error open=picking />
                <ExpiryPicker expiry=expiry error=error legend="Expires" id_prefix="edit" />
                {move || form_error(error.get()).map(|e| view! { <ErrorPanel error=e /> })}
                <div class="actions">
                    <button type="submit" class="button primary" disabled=move || calls.busy() data-testid="save-token">"Save changes"</button>
                </div>
            </form>
        </section>
    }
}

/// A global token (valid in all organizations) replaced in one click by a twin valid in this
/// organization, with the same name, scopes and expiry; the global one is then revoked.
#[component]
pub(super) fn ReplaceGlobalCard(token: PatSummary, calls: TokenCalls) -> impl IntoView {
    let rotate = calls.rotate;
    let (id, expiry) = (token.authorization_id.clone(), current_expiry(&token));
    view! {
        <section class="card warning-card" data-testid="replace-global">
            <h2>"Replace this global token"</h2>
            <p>"Azure DevOps stops accepting global tokens (valid in all your organizations) on 1 December 2026. "
               "Replace it with a token valid in this organization only, with the same name, scopes and expiry; "
               "the global token is then revoked. Update whatever uses it with the new secret."</p>
            <div class="actions">
                <button type="button" class="button primary" disabled=move || calls.busy() data-testid="replace-global-token"
                    on:click=move |_| { rotate.dispatch((id.clone(), expiry.clone())); }>
                    "Replace with an organization token"
                </button>
            </div>
        </section>
    }
}

/// A new token with the name and scopes of an expired or revoked one, which cannot change.
#[component]
pub(super) fn ReissueCard(token: PatSummary, calls: TokenCalls, why: &'static str) -> impl IntoView {
    let reissue = calls.reissue;
    let expiry = RwSignal::new(Expiry::Days(30));
    consent::restore_into(expiry);
    let error = Signal::derive(move || reissue.value().get().and_then(|r| r.err()));
    let id = token.authorization_id;
    view! {
        <section class="card" data-testid="reissue">
            <h2>"Re-issue"</h2>
            <p class="muted">{why}</p>
            <ExpiryPicker expiry=expiry error=error legend="The new token expires" id_prefix="reissue" />
            {move || form_error(error.get()).map(|e| view! { <ErrorPanel error=e /> })}
            <div class="actions">
                <button type="button" class="button primary" disabled=move || calls.busy() data-testid="reissue-token"
                    on:click=move |_| { consent::keep_draft(&expiry.get_untracked()); reissue.dispatch((id.clone(), expiry.get_untracked())); }>
                    {move || if reissue.pending().get() { "Re-issuing…" } else { "Re-issue token" }}
                </button>
            </div>
        </section>
    }
}

/// A new token in place of this one.
#[component]
pub(super) fn RotateCard(id: String, calls: TokenCalls) -> impl IntoView {
    let rotate = calls.rotate;
    let expiry = RwSignal::new(Expiry::Days(30));
    consent::restore_into(expiry);
    let error = Signal::derive(move || rotate.value().get().and_then(|r| r.err()));
    view! {
        <section class="card">
            <h2>"Rotate"</h2>
            <p class="muted">"Creates a new token with the same name and scopes, valid in this organization, then revokes this one. Update whatever uses it with the new secret."</p>
            <ExpiryPicker expiry=expiry error=error legend="The new token expires" id_prefix="rotate" />
            {move || form_error(error.get()).map(|e| view! { <ErrorPanel error=e /> })}
            <div class="actions">
                <button type="button" class="button primary" disabled=move || calls.busy() data-testid="rotate-token"
                    on:click=move |_| { consent::keep_draft(&expiry.get_untracked()); rotate.dispatch((id.clone(), expiry.get_untracked())); }>
                    {move || if rotate.pending().get() { "Rotating…" } else { "Rotate token" }}
                </button>
            </div>
        </section>
    }
}

/// Revoking, after a confirmation.
#[component]
pub(super) fn RevokeCard(id: String, calls: TokenCalls) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = move || calls.busy();
    view! {
        <section class="card danger">
            <h2>"Revoke"</h2>
            <p class="muted">"A revoked token stops working at once, everywhere. This cannot be undone."</p>
            {move || if confirming.get() {
                let id = id.clone();
                view! {
                    <div class="confirm" role="alertdialog" aria-labelledby="confirm-text" data-testid="confirm-revoke">
                        <p id="confirm-text"><strong>"Revoke this token?"</strong>" Anything using it stops working."</p>
                        <button type="button" class="button danger" disabled=busy data-testid="confirm-revoke-yes"
                            on:click=move |_| { calls.revoke.dispatch(id.clone()); }>"Yes, revoke it"</button>
                        <button type="button" class="button secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="button danger" disabled=busy data-testid="revoke-token"
                        on:click=move |_| confirming.set(true)>"Revoke…"</button>
                }.into_any()
            }}
        </section>
    }
}
