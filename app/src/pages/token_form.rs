//! The parts of the token forms: scope picker (in `scope_picker.rs`), expiry picker, and the secret
//! shown once.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::{CreatedPat, Expiry};
use leptos_router::components::A;

use crate::ui::{copy_to_clipboard, org_href, use_org, FieldError};

// The scope picker lives in its own file; the forms take it from here with the rest.
pub use super::scope_picker::ScopePicker;

/// 7, 30 or 90 days, or a date.
#[component]
pub fn ExpiryPicker(
    expiry: RwSignal<Expiry>,
    error: Signal<Option<ApiError>>,
    #[prop(into)] legend: String,
    /// Keeps ids and the radio group apart when a page has two pickers.
    id_prefix: &'static str,
) -> impl IntoView {
    let error_id = format!("{id_prefix}-valid_to-error");
    let date_id = format!("{id_prefix}-expiry-date");
    let date_choice_id = format!("{id_prefix}-expiry-date-choice");
    let group = format!("{id_prefix}-expiry");
    // Separate copies: the view macro may move one attribute's value before another's is read.
    let (error_ref, date_for, choice_for, days_group) =
        (error_id.clone(), date_id.clone(), date_choice_id.clone(), group.clone());
    let date = RwSignal::new(match expiry.get_untracked() {
        Expiry::Date(d) => d,
        Expiry::Days(_) => String::new(),
    });
    let is_date = move || expiry.with(|e| matches!(e, Expiry::Date(_)));
    view! {
        <fieldset class="expiry-picker" aria-describedby=error_ref data-testid=format!("{id_prefix}-expiry-picker")>
            <legend>{legend}</legend>
            <FieldError field="valid_to" error=error id=error_id />
            <div class="presets">
                {[7u32, 30, 90].into_iter().map(|n| view! {
                    <DayPreset expiry=expiry id_prefix=id_prefix group=days_group.clone() days=n />
                }).collect_view()}
                <label for=choice_for class="chip-radio">
                    <input
                        id=date_choice_id
                        type="radio"
                        name=group
                        prop:checked=is_date
                        on:change=move |_| expiry.set(Expiry::Date(date.get_untracked()))
                    />
                    "On a date"
                </label>
            </div>
            <label for=date_for class="date-field">
                <span>"Valid until (end of day, UTC)"</span>
                <input
                    id=date_id
                    type="date"
                    prop:value=move || date.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        date.set(v.clone());
                        expiry.set(Expiry::Date(v));
                    }
                />
            </label>
        </fieldset>
    }
}

/// One preset length of the expiry picker, as a radio chip.
#[component]
fn DayPreset(expiry: RwSignal<Expiry>, id_prefix: &'static str, group: String, days: u32) -> impl IntoView {
    let id = format!("{id_prefix}-expiry-{days}");
    view! {
        <label for=id class="chip-radio">
            <input
                id=id.clone()
                type="radio"
                name=group
                prop:checked=move || expiry.with(|e| *e == Expiry::Days(days))
                on:change=move |_| expiry.set(Expiry::Days(days))
            />
            {format!("{days} days")}
        </label>
    }
}

/// The error when it belongs to no field of the form (a field's own error is shown next to it).
pub fn form_error(error: Option<ApiError>) -> Option<ApiError> {
    const FIELDS: [&str; 4] = ["name", "scopes", "valid_to", "all_orgs"];
    error.filter(|e| !matches!(e, ApiError::InvalidInput { field, .. } if FIELDS.contains(&field.as_str())))
}

/// The new secret, shown once: copy it now, it is not kept anywhere.
#[component]
pub fn SecretReveal(created: CreatedPat, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let secret = created.secret.clone();
    let new_href = org_href(
        &format!("/tokens/{}", created.token.authorization_id),
        use_org().get_untracked().as_deref(),
    );
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let s = secret.clone();
        leptos::task::spawn_local(async move {
            copied.set(Some(copy_to_clipboard(s).await));
        });
    };
    view! {
        <section class="card secret" role="region" aria-labelledby="secret-title" data-testid="secret-reveal">
            <h2 id="secret-title">"Your new token: " {created.token.display_name.clone()}</h2>
            <p class="warning"><strong>"Copy it now. It will not be shown again"</strong>
                ": this app does not keep it, and Azure DevOps never shows it twice."</p>
            <div class="secret-row">
                <code class="secret-value" data-testid="new-secret">{created.secret.clone()}</code>
                <button type="button" class="button primary" on:click=copy data-testid="copy-secret">"Copy"</button>
            </div>
            <p class="muted" aria-live="polite">
                {move || match copied.get() {
                    Some(true) => "Copied to the clipboard.",
                    Some(false) => "The browser did not allow copying: select the text and copy it yourself.",
                    None => "",
                }}
            </p>
            <p>"Valid until " <time datetime=created.token.valid_to.clone()>{created.token.valid_to.get(..10).unwrap_or_default().to_string()}</time></p>
            {created.cut.as_ref().map(|cut| view! { <p class="notice" data-testid="expiry-cut">{cut.explain()}</p> })}
            <div class="actions">
                <button type="button" class="button secondary" on:click=move |_| on_done.run(()) data-testid="secret-done">
                    "I have copied it"
                </button>
                <A href=new_href>"Open the new token"</A>
            </div>
        </section>
    }
}
