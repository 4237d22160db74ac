//! `/tokens/new`: name, scopes, expiry and where the token is valid; the secret is shown once.
//!
//! A lazy route: its code (the scope picker above all) comes from wasm chunks it shares with a
//! token's page. It reads nothing before it is shown.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::LazyRoute;

use super::token_form::{form_error, ExpiryPicker, ScopePicker, SecretReveal};
use crate::api::create_pat;
use crate::consent;
use crate::error::ApiError;
use crate::model::{CreatedPat, Expiry, PatForm, MAX_NAME_CHARS};
use crate::ui::{org_href, use_hydrated, use_org, use_toasts, ErrorPanel, FieldError, NeedsJs, PageBoundary};

/// The call that creates a token.
type CreateAction = Action<PatForm, Result<CreatedPat, ApiError>>;

/// `/tokens/new` as a route: no data to start before its code arrives.
pub struct NewTokenRoute;

impl LazyRoute for NewTokenRoute {
    fn data() -> Self {
        NewTokenRoute
    }

    async fn view(_this: Self) -> AnyView {
        crate::route_code::lazy_view(new_token_page()).await
    }

    async fn preload() {
        let _ = load_new_token_page().await;
    }
}

/// The page's code: a split point (see [`crate::route_code`]).
#[leptos::wasm_split::wasm_split(new_token_page, wasm_split_path = ::leptos::wasm_split, fallible, preload(load_new_token_page))]
pub(crate) fn new_token_page() -> Result<AnyView, ApiError> {
    Ok(view! { <PageBoundary><NewTokenPage /></PageBoundary> }.into_any())
}

#[component]
fn NewTokenPage() -> impl IntoView {
    let org = use_org();
    let navigate = use_navigate();

    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<String>::new());
    let expiry = RwSignal::new(Expiry::Days(30));
    let all_orgs = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedPat>);

    let create = Action::new(move |form: &PatForm| {
        let form = form.clone();
        let org = org.get_untracked();
        async move { create_pat(org, form).await }
    });
    keep_created(create, created);
    // Back from the consent round trip: the form as the person left it.
    Effect::new(move |_| {
        if let Some(f) = consent::take_draft::<PatForm>() {
            name.set(f.name);
            scopes.set(f.scopes);
            expiry.set(f.expiry);
            all_orgs.set(f.all_orgs);
        }
    });

    let done = Callback::new(move |_| {
        let o = org.get_untracked();
        created.set(None);
        navigate(&org_href("/tokens", o.as_deref()), Default::default());
    });

    view! {
        <Title text="New token · Azure DevOps token portal" />
        {move || match created.get() {
            Some(c) => view! { <SecretReveal created=c on_done=done /> }.into_any(),
            None => view! {
                <NewTokenForm name=name scopes=scopes expiry=expiry all_orgs=all_orgs create=create org=org />
            }.into_any(),
        }}
    }
}

/// Reports the outcome of `create` and keeps a new token in `created`, for its secret to be shown.
fn keep_created(create: CreateAction, created: RwSignal<Option<CreatedPat>>) {
    let toasts = use_toasts();
    let me = expect_context::<crate::MeResource>();
    Effect::new(move |_| match create.value().get() {
        Some(Err(e)) if consent::follow(&e) => {
            toasts.success("Asking Microsoft for the permission to change your tokens…")
        }
        Some(Ok(c)) => {
            consent::drop_draft();
            if c.cut.is_some() {
                // The tenant's maximum is known now: the next form says it.
                me.refetch();
            }
            toasts.success(format!("Token “{}” created.", c.token.display_name));
            created.set(Some(c));
            // The secret is in this component's memory only: the result slot is cleared.
            create.value().set(None);
        }
        Some(Err(e)) => {
            consent::drop_draft();
            toasts.failure(format!("The token was not created: {e}"))
        }
        None => {}
    });
}

/// The form of a new token; submitting it dispatches `create`.
#[component]
fn NewTokenForm(
    name: RwSignal<String>,
    scopes: RwSignal<Vec<String>>,
    expiry: RwSignal<Expiry>,
    all_orgs: RwSignal<bool>,
    create: CreateAction,
    org: Memo<Option<String>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let send = move || {
        let form = PatForm {
            name: name.get_untracked(),
            scopes: scopes.get_untracked(),
            expiry: expiry.get_untracked(),
            all_orgs: all_orgs.get_untracked(),
        };
        // Kept in this tab in case the change needs the consent round trip (no secret in it).
        consent::keep_draft(&form);
        create.dispatch(form);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };
    // The organization restricts creation: the same token with its packaging scopes alone.
    let retry = Callback::new(move |_| {
        scopes.update(|s| s.retain(|x| is_packaging(x)));
        send();
    });
    view! {
        <section class="card">
            <h1>"New personal access token"</h1>
            <NeedsJs />
            <form class="token-form" on:submit=submit novalidate>
                <NameField name=name error=error />
                <ScopePicker selected=scopes error=error />
                <TenantLifetime />
                <ExpiryPicker expiry=expiry error=error legend="Expires" id_prefix="token" />
                <ValidIn all_orgs=all_orgs org=org error=error />
                {move || form_error(error.get()).map(|e| view! { <ErrorPanel error=e /> })}
                {move || matches!(error.get(), Some(ApiError::CreationRestricted { .. })).then(|| view! { <PackagingRetry retry=retry scopes=scopes /> })}
                <div class="actions">
                    <button type="submit" class="button primary" data-testid="create-token"
                        disabled=move || !hydrated.get() || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create token" }}
                    </button>
                    <A href=move || org_href("/tokens", org.get().as_deref())>"Cancel"</A>
                </div>
            </form>
        </section>
    }
}

/// The token's name, with its error.
#[component]
fn NameField(name: RwSignal<String>, error: Signal<Option<ApiError>>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="token-name">"Name"</label>
            <input
                id="token-name"
                type="text"
                required
                maxlength=MAX_NAME_CHARS.to_string()
                aria-describedby="name-error"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <FieldError field="name" error=error />
        </div>
    }
}

/// A Packaging scope: what "Allow creation of PAT with packaging scope only" still allows in an
/// organization that restricts PAT creation (`manage-pats-with-policies-for-administrators`).
fn is_packaging(scope: &str) -> bool {
    matches!(scope, "vso.packaging" | "vso.packaging_write" | "vso.packaging_manage")
}

/// After "Restrict personal access token creation" refused: the offer to try again with only the
/// form's packaging scopes (the policy cannot be read, so trying is the only way to know).
#[component]
fn PackagingRetry(retry: Callback<()>, scopes: RwSignal<Vec<String>>) -> impl IntoView {
    let packaging =
        scopes.with_untracked(|s| s.iter().filter(|x| is_packaging(x)).cloned().collect::<Vec<_>>());
    if packaging.is_empty() {
        return view! {
            <p class="muted" data-testid="packaging-hint">
                "If this organization allows packaging-only tokens, a token with only Packaging scopes can still be made: choose those, then create it."
            </p>
        }
        .into_any();
    }
    view! {
        <p>
            <button type="button" class="button secondary" data-testid="retry-packaging" on:click=move |_| retry.run(())>
                {format!("Create it with its packaging scopes only ({})", packaging.join(", "))}
            </button>
        </p>
    }
    .into_any()
}

/// The tenant's maximum token lifetime, once Azure DevOps cut a token to it: said before the
/// person chooses an expiry.
#[component]
fn TenantLifetime() -> impl IntoView {
    let me = expect_context::<crate::MeResource>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let days = me.await.ok().and_then(|v| v.user).and_then(|u| u.max_lifetime_days);
                days.map(|d| view! {
                    <p class="notice info" data-testid="tenant-max-lifetime">
                        {format!("Your tenant allows tokens for at most {d} days: Azure DevOps shortened an earlier one to that. Choose an expiry within it.")}
                    </p>
                })
            })}
        </Suspense>
    }
}

/// Where the new token is valid: this organization or, until their retirement, all of the
/// person's (a global token, with the date it stops working).
#[component]
fn ValidIn(
    all_orgs: RwSignal<bool>,
    org: Memo<Option<String>>,
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    view! {
        <fieldset class="where" aria-describedby="all_orgs-error">
            <legend>"Valid in"</legend>
            <FieldError field="all_orgs" error=error />
            <label for="orgs-current" class="check">
                <input id="orgs-current" type="radio" name="all_orgs" prop:checked=move || !all_orgs.get()
                    on:change=move |_| all_orgs.set(false) />
                {move || format!("This organization ({})", org.get().unwrap_or_else(|| "default".into()))}
            </label>
            <label for="orgs-all" class="check">
                <input id="orgs-all" type="radio" name="all_orgs" prop:checked=move || all_orgs.get()
                    on:change=move |_| all_orgs.set(true) />
                "All my organizations (global)"
            </label>
            <p class="muted" data-testid="global-warning">
                "Global tokens stop working on 1 December 2026, and Azure DevOps creates none from that day; "
                "your organization may already forbid them. Prefer one token per organization."
            </p>
        </fieldset>
    }
}
