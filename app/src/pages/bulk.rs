//! Bulk hygiene on the inventory: a selection of tokens across organizations (kept while the
//! person pages, sorts and searches), revoked or extended together after a preview read fresh
//! from Azure DevOps. The change runs on the server (one at a time per session) and the bar asks
//! every second how it goes; each token's outcome is reported, and the failures and the tokens
//! not attempted stay selected for a retry (an extension is fixed to the previewed expiry, so a
//! retry never extends twice).

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::{bulk_apply, bulk_preview, get_bulk_progress};
use crate::consent;
use crate::error::ApiError;
use crate::inventory::{
    BulkAction, BulkChange, BulkOutcome, BulkPlan, BulkProgress, BulkTarget, EXTEND_CHOICES, MAX_BULK,
};
use crate::ui::{use_hydrated, use_toasts, ErrorPanel};

/// The tokens the person ticked, by [`BulkTarget::key`].
#[derive(Clone, Copy)]
pub(super) struct Selection(RwSignal<BTreeSet<String>>);

impl Selection {
    pub(super) fn new() -> Self {
        Self(RwSignal::new(BTreeSet::new()))
    }

    pub(super) fn has(self, key: &str) -> bool {
        self.0.with(|s| s.contains(key))
    }

    pub(super) fn has_all(self, keys: &[String]) -> bool {
        !keys.is_empty() && self.0.with(|s| keys.iter().all(|k| s.contains(k)))
    }

    /// Ticks (`on`) or unticks every one of `keys`.
    pub(super) fn set(self, keys: &[String], on: bool) {
        self.0.update(|s| {
            for k in keys {
                if on {
                    s.insert(k.clone());
                } else {
                    s.remove(k);
                }
            }
        });
    }

    pub(super) fn len(self) -> usize {
        self.0.with(BTreeSet::len)
    }

    fn targets(self) -> Vec<BulkTarget> {
        self.0.with_untracked(|s| s.iter().filter_map(|k| BulkTarget::parse(k)).collect())
    }

    fn keys(self) -> BTreeSet<String> {
        self.0.get_untracked()
    }

    fn replace(self, keys: BTreeSet<String>) {
        self.0.set(keys);
    }
}

type PreviewAction = Action<(BulkAction, Vec<BulkTarget>), Result<BulkPlan, ApiError>>;
type ApplyAction = Action<(BulkChange, Vec<BulkTarget>), Result<BulkProgress, ApiError>>;
/// The running or last change, as the server last told it.
type Progress = RwSignal<Option<Result<BulkProgress, ApiError>>>;

/// The bar above the inventory: how many tokens are selected, the bulk actions, then the
/// preview to confirm and the outcome of the last change. `changed` runs after a change.
#[component]
pub(super) fn BulkBar(selection: Selection, changed: Callback<()>) -> impl IntoView {
    let preview: PreviewAction =
        Action::new(|(a, t): &(BulkAction, Vec<BulkTarget>)| bulk_preview(*a, t.clone()));
    let apply: ApplyAction =
        Action::new(|(c, t): &(BulkChange, Vec<BulkTarget>)| bulk_apply(c.clone(), t.clone()));
    let progress: Progress = RwSignal::new(None);
    let hydrated = use_hydrated();
    let running = move || progress.with(|p| matches!(p, Some(Ok(p)) if !p.finished));
    let busy = move || !hydrated.get() || preview.pending().get() || apply.pending().get() || running();
    let count = move || selection.len();
    let too_many = move || count() > MAX_BULK;
    let ask = move |action: BulkAction| {
        progress.set(None);
        preview.dispatch((action, selection.targets()));
    };
    Effect::new(move |_| {
        if let Some(started) = apply.value().get() {
            let follow_on = matches!(&started, Ok(p) if !p.finished);
            progress.set(Some(started));
            if follow_on {
                follow(progress);
            }
        }
    });
    report_outcomes(progress, selection, changed);
    // Back from the consent round trip: the selection as the person left it.
    Effect::new(move |_| {
        if let Some(keys) = consent::take_draft::<BTreeSet<String>>() {
            selection.replace(keys);
        }
    });
    view! {
        <div class="bulk-bar" data-testid="bulk-bar">
            <p class="muted" data-testid="selected-count" aria-live="polite">
                {move || match count() { 0 => "Select tokens to revoke or extend them together.".to_string(), 1 => "1 token selected".to_string(), n => format!("{n} tokens selected") }}
            </p>
            <div class="actions">
                <button type="button" class="button danger" data-testid="bulk-revoke"
                    disabled=move || busy() || count() == 0 || too_many() on:click=move |_| ask(BulkAction::Revoke)>"Revoke…"</button>
                {EXTEND_CHOICES.into_iter().map(|days| view! {
                    <button type="button" class="button secondary" data-testid=format!("bulk-extend-{days}")
                        disabled=move || busy() || count() == 0 || too_many()
                        on:click=move |_| ask(BulkAction::Extend { days })>{format!("Extend +{days} days…")}</button>
                }).collect_view()}
                <button type="button" class="button ghost" data-testid="bulk-clear" disabled=move || busy() || count() == 0
                    on:click=move |_| { selection.replace(BTreeSet::new()); preview.value().set(None); }>"Clear selection"</button>
            </div>
            {move || too_many().then(|| view! { <p class="field-error">{format!("At most {MAX_BULK} tokens at a time: untick some.")}</p> })}
        </div>
        {move || preview.value().get().map(|r| match r {
            Ok(plan) => view! { <PreviewPanel plan=plan preview=preview apply=apply selection=selection /> }.into_any(),
            Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
        })}
        {move || progress.get().map(|r| match r {
            Ok(p) => view! { <Outcomes progress=p /> }.into_any(),
            Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
        })}
    }
}

/// Asks every second how the running change goes, until it has finished.
fn follow(progress: Progress) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                let now = get_bulk_progress().await;
                let again = matches!(&now, Ok(Some(p)) if !p.finished);
                match now {
                    Ok(Some(p)) => progress.set(Some(Ok(p))),
                    Ok(None) => {}
                    Err(e) => progress.set(Some(Err(e))),
                }
                if again {
                    follow(progress);
                }
            })
        },
        std::time::Duration::from_secs(1),
    );
}

/// After a change has finished: the failures and the tokens not attempted stay selected (and
/// only they), the inventory reloads, a toast sums up.
fn report_outcomes(progress: Progress, selection: Selection, changed: Callback<()>) {
    let toasts = use_toasts();
    Effect::new(move |_| {
        let outcomes = match progress.get() {
            Some(Ok(p)) if p.finished => p.outcomes,
            Some(Ok(_)) => return,
            // A change refused for want of consent goes to ask for it; other errors show in the bar.
            Some(Err(e)) => {
                consent::follow(&e);
                return;
            }
            None => return,
        };
        consent::drop_draft();
        let failed: BTreeSet<String> =
            outcomes.iter().filter(|o| o.error.is_some()).map(|o| o.target.key()).collect();
        let done = outcomes.len() - failed.len();
        let word = |n: usize| if n == 1 { "token" } else { "tokens" };
        if failed.is_empty() {
            toasts.success(format!("{done} {} changed.", word(done)));
        } else {
            toasts.failure(format!(
                "{done} {} changed; {} failed and {} still selected for a retry.",
                word(done),
                failed.len(),
                if failed.len() == 1 { "is" } else { "are" }
            ));
        }
        selection.replace(failed);
        changed.run(());
    });
}

/// Exactly what the change will do, token by token, before anything changes.
#[component]
fn PreviewPanel(
    plan: BulkPlan,
    preview: PreviewAction,
    apply: ApplyAction,
    selection: Selection,
) -> impl IntoView {
    let changing = plan.changing();
    let action = plan.action;
    let change = plan.change();
    let targets: Vec<BulkTarget> =
        plan.items.iter().filter(|i| i.skip.is_none()).map(|i| i.target.clone()).collect();
    let confirm = match (action, changing) {
        (BulkAction::Revoke, 1) => "Revoke 1 token".to_string(),
        (BulkAction::Revoke, n) => format!("Revoke {n} tokens"),
        (BulkAction::Extend { days }, n) => format!("Extend {n} by {days} days"),
    };
    let after = move |new_valid_to: Option<String>| match action {
        BulkAction::Revoke => "Revoked".to_string(),
        BulkAction::Extend { .. } => {
            format!("Valid to {}", new_valid_to.unwrap_or_default().get(..10).unwrap_or_default())
        }
    };
    view! {
        <section class="card bulk-preview" data-testid="bulk-preview" aria-label="What will change">
            <h2>{format!("{}: {changing} of {} will change", action.label(), plan.items.len())}</h2>
            <table class="pats">
                <thead><tr><th scope="col">"Token"</th><th scope="col">"Organization"</th><th scope="col">"Valid to"</th><th scope="col">"After"</th></tr></thead>
                <tbody>
                    {plan.items.into_iter().map(|i| {
                        let state = if i.skip.is_some() { "skip" } else { "change" };
                        let outcome = match i.skip { Some(why) => why, None => after(i.new_valid_to) };
                        view! {
                            <tr data-testid="preview-item" data-state=state>
                                <th scope="row">{i.name}</th>
                                <td>{i.organization.unwrap_or_else(|| "All (global)".into())}</td>
                                <td class="date">{i.valid_to.get(..10).unwrap_or_default().to_string()}</td>
                                <td>{outcome}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions">
                <button type="button" class="button primary" data-testid="bulk-confirm"
                    disabled=move || changing == 0 || apply.pending().get()
                    on:click=move |_| {
                        consent::keep_draft(&selection.keys());
                        apply.dispatch((change.clone(), targets.clone()));
                        preview.value().set(None);
                    }>{confirm}</button>
                <button type="button" class="button secondary" data-testid="bulk-cancel"
                    on:click=move |_| preview.value().set(None)>"Cancel"</button>
            </div>
        </section>
    }
}

/// Why a token was left as it was, in the words of the reason (without a field name).
fn outcome_error(e: &ApiError) -> String {
    match e {
        ApiError::InvalidInput { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// One line per token of the running or last change: done, or why not.
#[component]
fn Outcomes(progress: BulkProgress) -> impl IntoView {
    let BulkProgress { total, outcomes, finished } = progress;
    let heading = if finished { "What changed".to_string() } else { "Changing…".to_string() };
    let status = if finished {
        format!("Finished: {} of {total} tokens dealt with.", outcomes.len())
    } else {
        format!("{} of {total} tokens dealt with so far.", outcomes.len())
    };
    view! {
        <section class="card bulk-results" data-testid="bulk-results" aria-label="What changed">
            <h2>{heading}</h2>
            <p class="muted" role="status" data-testid="bulk-status" data-finished=finished.to_string()>{status}</p>
            <ul class="plain">
                {outcomes.into_iter().map(|o| (name_of(&o), o)).map(|(name, o)| match (o.done, o.error) {
                    (_, Some(e)) => view! {
                        <li data-testid="bulk-outcome" data-state="failed"><strong>{name}</strong>" (" {o.target.org} "): " <span class="field-error">{outcome_error(&e)}</span></li>
                    }.into_any(),
                    (done, None) => view! {
                        <li data-testid="bulk-outcome" data-state="done"><strong>{name}</strong>" (" {o.target.org} "): " {done.unwrap_or_default()}</li>
                    }.into_any(),
                }).collect_view()}
            </ul>
        </section>
    }
}

/// A token's name, or its id when it was not read (a token not attempted).
fn name_of(o: &BulkOutcome) -> String {
    if o.name.is_empty() {
        format!("Token {}", o.target.id.get(..8).unwrap_or(&o.target.id))
    } else {
        o.name.clone()
    }
}
