//! The edit form's scopes. Most edits keep them, so the scope picker (its tasks, search and
//! catalogue: the largest part of a token's page) is fetched only when the person asks to change
//! them: it comes from a wasm chunk it shares with the new-token form.

use std::sync::Mutex;

use leptos::prelude::*;

use crate::error::ApiError;
use crate::pages::token_form::ScopePicker;
use crate::ui::ErrorPanel;

/// Where the picker is. `Ready`: its view waits in the component's slot, to be placed once.
#[derive(Clone, Debug, PartialEq)]
enum Picker {
    Closed,
    Loading,
    Failed(ApiError),
    Ready,
}

/// The scopes as they are and a button to change them; once pressed, the picker (after
/// "Loading…", or an error with "Try again" when its code could not be fetched).
///
/// Without `Suspense`, whose async rendering path weighed 5.8 KB of brotli in the islands build (moving
/// the picker out took 13.6 KB off a token's page; with `Suspense`, 7.8): the view is made when
/// its code has arrived and kept until the page places it.
#[component]
pub(super) fn EditScopes(
    selected: RwSignal<Vec<String>>,
    error: Signal<Option<ApiError>>,
    /// Set here when the button is pressed, and by the form when a kept draft changed the scopes.
    open: RwSignal<bool>,
) -> impl IntoView {
    let state = RwSignal::new(Picker::Closed);
    // Thread-safe storage: the server renders this too, and drops its owner on whichever thread
    // finishes the response (a local `StoredValue` panics there).
    let slot = StoredValue::new(Mutex::new(None::<AnyView>));
    // The picker's signals belong to this component: its owner, not that of the "Try again"
    // button (gone once loading starts), and no observer (an effect would track the picker).
    let owner = Owner::current();
    let load = move || {
        state.set(Picker::Loading);
        let task = async move {
            match picker(selected, error).await {
                Ok(view) => {
                    slot.with_value(|s| s.lock().map(|mut v| *v = Some(view)).ok());
                    state.set(Picker::Ready);
                }
                Err(e) => state.set(Picker::Failed(e)),
            }
        };
        let spawn = || untrack(|| leptos::task::spawn_local_scoped(task));
        match &owner {
            Some(owner) => owner.with(spawn),
            None => spawn(),
        }
    };
    let retry = Callback::new({
        let load = load.clone();
        move |_| load()
    });
    Effect::new(move |_| {
        if open.get() && state.get_untracked() == Picker::Closed {
            load();
        }
    });
    open_on_scopes_error(error, open);
    // `state` stays `Ready` once it is, so the view in the slot is placed once.
    let placed = move || {
        let view = slot.try_with_value(|s| s.lock().ok().and_then(|mut v| v.take())).flatten();
        view.unwrap_or_else(|| ().into_any())
    };
    move || match state.get() {
        Picker::Closed => view! { <ScopesKept selected=selected open=open /> }.into_any(),
        Picker::Loading => view! {
            <p class="muted" role="status" data-testid="scope-picker-loading">"Loading the scope picker…"</p>
        }
        .into_any(),
        Picker::Failed(e) => view! { <ErrorPanel error=e retry=retry /> }.into_any(),
        Picker::Ready => placed(),
    }
}

/// The server refused the scopes as they are (one retired since the token was made, say): the
/// picker opens, with the reason next to it.
fn open_on_scopes_error(error: Signal<Option<ApiError>>, open: RwSignal<bool>) {
    Effect::new(move |_| {
        if matches!(error.get(), Some(ApiError::InvalidInput { ref field, .. }) if field == "scopes") {
            open.set(true);
        }
    });
}

/// The scopes as they stay, and the button that opens the picker.
#[component]
fn ScopesKept(selected: RwSignal<Vec<String>>, open: RwSignal<bool>) -> impl IntoView {
    let count = move || match selected.with(Vec::len) {
        1 => "1 scope".to_string(),
        n => format!("{n} scopes"),
    };
    view! {
        <fieldset class="scopes-closed" data-testid="scopes-closed">
            <legend>"Scopes"</legend>
            <p class="muted">{count} ", listed above, stay as they are unless you change them."</p>
            <button type="button" class="button secondary" data-testid="change-scopes" on:click=move |_| open.set(true)>
                "Change scopes…"
            </button>
        </fieldset>
    }
}

/// The picker's view, from its chunk (in place on the server).
async fn picker(
    selected: RwSignal<Vec<String>>,
    error: Signal<Option<ApiError>>,
) -> Result<AnyView, ApiError> {
    scope_picker(selected, error).await
}

/// A split point: `fallible` turns a chunk that could not be fetched into an error (by default
/// the loader would panic, which ends the app) and the next call fetches again.
#[leptos::wasm_split::wasm_split(scope_picker, wasm_split_path = ::leptos::wasm_split, fallible)]
fn scope_picker(
    selected: RwSignal<Vec<String>>,
    error: Signal<Option<ApiError>>,
) -> Result<AnyView, ApiError> {
    Ok(view! { <ScopePicker selected=selected error=error /> }.into_any())
}
