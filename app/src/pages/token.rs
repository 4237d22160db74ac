//! `/tokens/:id`: one token: edit (rename, rescope, new expiry), extend, rotate, revoke with confirmation.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::token_form::{ExpiryPicker, ScopePicker, SecretReveal};
use crate::api::{get_pat, revoke_pat, rotate_pat, update_pat};
use crate::error::ApiError;
use crate::model::{scope_label, CreatedPat, Expiry, PatForm, PatStatus, PatSummary, MAX_NAME_CHARS};
use crate::ui::{org_href, use_hydrated, use_org, use_toasts, ErrorPanel, FieldError, NeedsJs, Skeleton};

#[component]
pub fn TokenPage() -> impl IntoView {
    let params = use_params_map();
    let org = use_org();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let token = Resource::new(move || (org.get(), id.get()), |(org, id)| get_pat(org, id));
    // Out here, not in the detail: the detail is rebuilt when the token reloads after a
    // rotation, and the new secret must stay on screen until the person has copied it.
    let rotated = RwSignal::new(None::<CreatedPat>);
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
    let org = use_org();
    let hydrated = use_hydrated();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let id = token.authorization_id.clone();
    let revoked = token.status == PatStatus::Revoked;
    let confirming = RwSignal::new(false);

    // Edit: the current values to start from; the expiry stays the current date unless changed.
    let name = RwSignal::new(token.display_name.clone());
    let scopes = RwSignal::new(token.scopes.clone());
    let expiry = RwSignal::new(Expiry::Date(token.valid_to.get(..10).unwrap_or_default().to_string()));
    let all_orgs = token.target_accounts.is_none();

    let update = Action::new(move |(id, form): &(String, PatForm)| {
        let (id, form, org) = (id.clone(), form.clone(), org.get_untracked());
        async move { update_pat(org, id, form).await }
    });
    let revoke = Action::new(move |id: &String| {
        let (id, org) = (id.clone(), org.get_untracked());
        async move { revoke_pat(org, id).await }
    });
    let rotate = Action::new(move |(id, expiry): &(String, Expiry)| {
        let (id, expiry, org) = (id.clone(), expiry.clone(), org.get_untracked());
        async move { rotate_pat(org, id, expiry).await }
    });
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let rotate_expiry = RwSignal::new(Expiry::Days(30));
    let rotate_error = Signal::derive(move || rotate.value().get().and_then(|r| r.err()));

    Effect::new(move |_| match update.value().get() {
        Some(Ok(t)) => {
            toasts.success(format!(
                "Saved “{}”, valid until {}.",
                t.display_name,
                t.valid_to.get(..10).unwrap_or_default()
            ));
            on_change.run(());
        }
        Some(Err(e)) => toasts.failure(format!("Not saved: {e}")),
        None => {}
    });
    {
        let navigate = navigate.clone();
        Effect::new(move |_| match revoke.value().get() {
            Some(Ok(())) => {
                toasts.success("Token revoked: it no longer works.");
                navigate(
                    &org_href("/tokens?filter=revoked", org.get_untracked().as_deref()),
                    Default::default(),
                );
            }
            Some(Err(e)) => toasts.failure(format!("Not revoked: {e}")),
            None => {}
        });
    }
    Effect::new(move |_| match rotate.value().get() {
        Some(Ok(r)) => {
            if r.old_revoked {
                toasts.success("Rotated: the new token is ready and the old one is revoked.");
            } else {
                toasts.failure(format!(
                    "The new token is ready, but the old one could not be revoked and still works: {}",
                    r.revoke_problem.clone().unwrap_or_default()
                ));
            }
            rotated.set(Some(r.created));
            rotate.value().set(None);
            on_change.run(());
        }
        Some(Err(e)) => toasts.failure(format!("Not rotated: {e}")),
        None => {}
    });

    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            update.dispatch((
                id.clone(),
                PatForm {
                    name: name.get_untracked(),
                    scopes: scopes.get_untracked(),
                    expiry: expiry.get_untracked(),
                    all_orgs,
                },
            ));
        }
    };
    let extend = {
        let id = id.clone();
        let token = token.clone();
        move |days: u32| {
            update.dispatch((
                id.clone(),
                PatForm {
                    name: token.display_name.clone(),
                    scopes: token.scopes.clone(),
                    expiry: Expiry::Days(days),
                    all_orgs,
                },
            ));
        }
    };
    let busy =
        move || !hydrated.get() || update.pending().get() || revoke.pending().get() || rotate.pending().get();
    let revoke_id = id.clone();
    let rotate_id = id.clone();
    let scopes_text = token.scopes.iter().map(|s| scope_label(s)).collect::<Vec<_>>();
    let general = move |e: Option<ApiError>| {
        e.filter(|e| !matches!(e, ApiError::InvalidInput { field, .. } if ["name", "scopes", "valid_to"].contains(&field.as_str())))
    };

    view! {
        <section class="card" data-testid="token-detail">
            <div class="table-head">
                <h1 data-testid="token-name">{token.display_name.clone()}</h1>
                <span class=token.status.css_class() data-testid="token-status">{token.status.label()}</span>
            </div>
            <dl class="facts">
                <dt>"Valid from"</dt><dd><time datetime=token.valid_from.clone()>{token.valid_from.get(..10).unwrap_or_default().to_string()}</time></dd>
                <dt>"Valid to"</dt><dd><time datetime=token.valid_to.clone() data-testid="token-valid-to">{token.valid_to.get(..10).unwrap_or_default().to_string()}</time></dd>
                <dt>"Scopes"</dt><dd><ul class="plain">{scopes_text.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul></dd>
                <dt>"Organizations"</dt><dd>{if all_orgs { "All your organizations".to_string() } else { "This organization".to_string() }}</dd>
            </dl>
            <NeedsJs />
        </section>
        {(!revoked).then(|| view! {
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
            <section class="card">
                <h2>"Edit"</h2>
                <form class="token-form" on:submit=save.clone() novalidate>
                    <div class="field">
                        <label for="token-name">"Name"</label>
                        <input id="token-name" type="text" required maxlength=MAX_NAME_CHARS.to_string()
                            aria-describedby="name-error"
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        <FieldError field="name" error=update_error />
                    </div>
                    <ScopePicker selected=scopes error=update_error />
                    <ExpiryPicker expiry=expiry error=update_error legend="Expires" id_prefix="edit" />
                    {move || general(update_error.get()).map(|e| view! { <ErrorPanel error=e /> })}
                    <div class="actions">
                        <button type="submit" class="button primary" disabled=busy data-testid="save-token">"Save changes"</button>
                    </div>
                </form>
            </section>
            <section class="card">
                <h2>"Rotate"</h2>
                <p class="muted">"Creates a new token with the same name and scopes, then revokes this one. Update whatever uses it with the new secret."</p>
                <ExpiryPicker expiry=rotate_expiry error=rotate_error legend="The new token expires" id_prefix="rotate" />
                {move || general(rotate_error.get()).map(|e| view! { <ErrorPanel error=e /> })}
                <div class="actions">
                    <button type="button" class="button primary" disabled=busy data-testid="rotate-token"
                        on:click=move |_| { rotate.dispatch((rotate_id.clone(), rotate_expiry.get_untracked())); }>
                        {move || if rotate.pending().get() { "Rotating…" } else { "Rotate token" }}
                    </button>
                </div>
            </section>
            <section class="card danger">
                <h2>"Revoke"</h2>
                <p class="muted">"A revoked token stops working at once, everywhere. This cannot be undone."</p>
                {move || if confirming.get() {
                    let revoke_id = revoke_id.clone();
                    view! {
                        <div class="confirm" role="alertdialog" aria-labelledby="confirm-text" data-testid="confirm-revoke">
                            <p id="confirm-text"><strong>"Revoke this token?"</strong>" Anything using it stops working."</p>
                            <button type="button" class="button danger" disabled=busy data-testid="confirm-revoke-yes"
                                on:click=move |_| { revoke.dispatch(revoke_id.clone()); }>"Yes, revoke it"</button>
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
        })}
        {revoked.then(|| view! {
            <p class="notice">"This token is revoked. "
                <A href=move || org_href("/tokens/new", org.get().as_deref())>"Create a new one"</A></p>
        })}
    }
}
