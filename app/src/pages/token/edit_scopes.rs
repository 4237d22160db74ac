//! The edit form's scopes. Most edits keep them, so the scope picker (its tasks, search and
//! catalogue: the largest part of a token's page) is fetched only when the person asks to change
//! them. In the split build (`split`, see [`crate::boot`]) it comes from a wasm chunk it shares with
//! the new-token form; without it, it is called in place.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::error::ApiError;
use crate::pages::token_form::ScopePicker;
use crate::ui::ErrorPanel;

/// The scopes as they are and a button to change them; once pressed, the picker (after
/// "Loading…", or an error with "Try again" when its code could not be fetched).
#[component]
pub(super) fn EditScopes(
    selected: RwSignal<Vec<String>>,
    error: Signal<Option<ApiError>>,
    /// Set here when the button is pressed, and by the form when a kept draft changed the scopes.
    open: RwSignal<bool>,
) -> impl IntoView {
    let attempt = RwSignal::new(0u32);
    let retry = Callback::new(move |_| attempt.update(|n| *n += 1));
    let count = move || match selected.with(Vec::len) {
        1 => "1 scope".to_string(),
        n => format!("{n} scopes"),
    };
    // The server refused the scopes as they are (one retired since the token was made, say):
    // the picker opens, with the reason next to it.
    Effect::new(move |_| {
        if matches!(error.get(), Some(ApiError::InvalidInput { ref field, .. }) if field == "scopes") {
            open.set(true);
        }
    });
    let closed = move || {
        view! {
            <fieldset class="scopes-closed" data-testid="scopes-closed">
                <legend>"Scopes"</legend>
                <p class="muted">{count} ", listed above, stay as they are unless you change them."</p>
                <button type="button" class="button secondary" data-testid="change-scopes" on:click=move |_| open.set(true)>
                    "Change scopes…"
                </button>
            </fieldset>
        }
    };
    view! {
        <Show when=move || open.get() fallback=closed>
            <Suspense fallback=|| view! { <p class="muted" role="status" data-testid="scope-picker-loading">"Loading the scope picker…"</p> }>
                {move || {
                    attempt.track();
                    // The loading future holds the chunk loader's JavaScript promise: this page's
                    // thread only, as every future in the browser is.
                    Suspend::new(SendWrapper::new(async move {
                        match picker(selected, error).await {
                            Ok(view) => view,
                            Err(e) => view! { <ErrorPanel error=e retry=retry /> }.into_any(),
                        }
                    }))
                }}
            </Suspense>
        </Show>
    }
}

/// The picker's view, from its chunk when the build is split.
async fn picker(
    selected: RwSignal<Vec<String>>,
    error: Signal<Option<ApiError>>,
) -> Result<AnyView, ApiError> {
    #[cfg(feature = "split")]
    return scope_picker(selected, error).await;
    #[cfg(not(feature = "split"))]
    return scope_picker(selected, error);
}

/// A split point: `fallible` turns a chunk that could not be fetched into an error (by default
/// the loader would panic, which ends every island on the page) and the next call fetches again.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(scope_picker, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn scope_picker(
    selected: RwSignal<Vec<String>>,
    error: Signal<Option<ApiError>>,
) -> Result<AnyView, ApiError> {
    Ok(view! { <ScopePicker selected=selected error=error /> }.into_any())
}
