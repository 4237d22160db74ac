//! The parts of the token forms: scope picker, expiry picker, and the secret shown once.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::{CreatedPat, Expiry};
use crate::scopes::{is_known, FULL_ACCESS, SCOPE_AREAS};
use leptos_router::components::A;

use crate::ui::{copy_to_clipboard, org_href, use_org, FieldError};

/// Scopes grouped by area, as checkboxes with readable names; scopes the token already carries
/// that the catalogue has no name for are listed verbatim, checked, and kept unless unchecked.
#[component]
pub fn ScopePicker(selected: RwSignal<Vec<String>>, error: Signal<Option<ApiError>>) -> impl IntoView {
    let toggle = move |name: &str, on: bool| toggle_scope(selected, name, on);
    let others: Vec<String> =
        selected.with_untracked(|s| s.iter().filter(|x| !is_known(x)).cloned().collect());
    let full = move || selected.with(|s| s.iter().any(|x| x == FULL_ACCESS));
    view! {
        <fieldset class="scopes-picker" aria-describedby="scopes-error" data-testid="scope-picker">
            <legend>"Scopes"</legend>
            <p class="muted">"Choose only what the token needs."</p>
            <FieldError field="scopes" error=error />
            <div class="scope-areas">
                {SCOPE_AREAS.iter().map(|(area, scopes)| view! {
                    <fieldset class="scope-area" disabled=full>
                        <legend>{*area}</legend>
                        {scopes.iter().map(|s| {
                            let name = s.name;
                            let id = format!("scope-{}", name.replace('.', "-"));
                            let for_id = id.clone();
                            view! {
                                <label for=for_id class="check">
                                    <input
                                        id=id
                                        type="checkbox"
                                        value=name
                                        prop:checked=move || selected.with(|sel| sel.iter().any(|x| x == name))
                                        on:change=move |ev| toggle(name, event_target_checked(&ev))
                                    />
                                    <span>{s.label}</span>
                                    <code class="scope-name">{name}</code>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                }).collect_view()}
                {(!others.is_empty()).then(|| view! { <OtherScopes others=others selected=selected disabled=Signal::derive(full) /> })}
            </div>
            <label for="scope-full" class="check full-access">
                <input
                    id="scope-full"
                    type="checkbox"
                    prop:checked=full
                    on:change=move |ev| toggle(FULL_ACCESS, event_target_checked(&ev))
                />
                <span>"Full access (every scope; your organization may forbid it)"</span>
            </label>
        </fieldset>
    }
}

fn toggle_scope(selected: RwSignal<Vec<String>>, name: &str, on: bool) {
    selected.update(|s| {
        s.retain(|x| x != name);
        if on {
            s.push(name.to_string());
        }
    })
}

/// The scopes of a token that the catalogue has no name for, verbatim: kept unless unchecked.
#[component]
fn OtherScopes(
    others: Vec<String>,
    selected: RwSignal<Vec<String>>,
    disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <fieldset class="scope-area" disabled=disabled data-testid="other-scopes">
            <legend>"Other scopes on this token"</legend>
            {others.into_iter().enumerate().map(|(i, name)| {
                let id = format!("scope-other-{i}");
                let (for_id, checked_name, toggled_name) = (id.clone(), name.clone(), name.clone());
                view! {
                    <label for=for_id class="check">
                        <input id=id type="checkbox" value=name.clone()
                            prop:checked=move || selected.with(|sel| sel.contains(&checked_name))
                            on:change=move |ev| toggle_scope(selected, &toggled_name, event_target_checked(&ev)) />
                        <code class="scope-name">{name}</code>
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

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
