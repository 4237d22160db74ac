//! The scope picker of the token forms: tasks that choose the fewest scopes, a search over the
//! catalogue, and the catalogue itself as checkboxes grouped by area.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::scope_tasks::{
    area_matches, is_covered, normalize_query, scope_matches, text_matches, toggle_task, Added, ScopeTask,
    SCOPE_TASKS,
};
use crate::scopes::{is_high_privilege, is_known, is_no_longer_public, ScopeInfo, FULL_ACCESS, SCOPE_AREAS};
use crate::ui::FieldError;

/// Scopes grouped by area, as checkboxes with readable names; scopes the token already carries
/// that the catalogue has no name for are listed verbatim, checked, and kept unless unchecked.
/// Above them, tasks that choose their scopes, and a search that hides what does not match
/// (hidden scopes stay selected).
#[component]
pub fn ScopePicker(selected: RwSignal<Vec<String>>, error: Signal<Option<ApiError>>) -> impl IntoView {
    let others: Vec<String> =
        selected.with_untracked(|s| s.iter().filter(|x| !is_known(x)).cloned().collect());
    let full = Signal::derive(move || selected.with(|s| s.iter().any(|x| x == FULL_ACCESS)));
    let search = RwSignal::new(String::new());
    let query = Memo::new(move |_| normalize_query(&search.get()));
    let no_match = {
        let others = others.clone();
        move || {
            query.with(|q| {
                !SCOPE_AREAS.iter().any(|(area, scopes)| area_matches(area, scopes, q))
                    && !others.iter().any(|o| text_matches(o, q))
            })
        }
    };
    view! {
        <fieldset class="scopes-picker" aria-describedby="scopes-error" data-testid="scope-picker">
            <legend>"Scopes"</legend>
            <p class="muted">"Choose only what the token needs."</p>
            <FieldError field="scopes" error=error />
            <TaskChoices selected=selected disabled=full />
            <ScopeSearch search=search />
            <div aria-live="polite">
                {move || no_match().then(|| view! {
                    <p class="muted" data-testid="scope-no-match">"No scope matches “" {search.get()} "”."</p>
                })}
            </div>
            <div class="scope-areas">
                {SCOPE_AREAS.iter().map(|(area, scopes)| view! {
                    <ScopeArea area=area scopes=scopes selected=selected query=query disabled=full />
                }).collect_view()}
                {(!others.is_empty()).then(|| view! { <OtherScopes others=others selected=selected disabled=full query=query /> })}
            </div>
            <label for="scope-full" class="check full-access">
                <input
                    id="scope-full"
                    type="checkbox"
                    prop:checked=full
                    on:change=move |ev| toggle_scope(selected, FULL_ACCESS, event_target_checked(&ev))
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

/// "Start from a task": each button adds the fewest scopes its task needs, and shows as pressed
/// while the selection covers the task; pressing it again takes back what it added.
#[component]
fn TaskChoices(selected: RwSignal<Vec<String>>, disabled: Signal<bool>) -> impl IntoView {
    // What each task added, kept in this picker only: a reload starts from the selection alone.
    let added = StoredValue::new(Added::new());
    view! {
        <div class="scope-tasks" role="group" aria-labelledby="scope-tasks-title">
            <p id="scope-tasks-title" class="scope-tasks-title">"Start from a task"</p>
            <ul class="scope-task-list">
                {SCOPE_TASKS.iter().map(|task| view! { <TaskChoice task=task selected=selected added=added disabled=disabled /> }).collect_view()}
            </ul>
        </div>
    }
}

/// One task: a toggle button, what it is for, and the scopes it chooses.
#[component]
fn TaskChoice(
    task: &'static ScopeTask,
    selected: RwSignal<Vec<String>>,
    added: StoredValue<Added>,
    disabled: Signal<bool>,
) -> impl IntoView {
    let why_id = format!("scope-task-{}-why", task.id);
    let pressed = move || selected.with(|s| is_covered(task, s)).to_string();
    let choose = move |_| selected.update(|s| added.update_value(|a| toggle_task(s, a, task, SCOPE_TASKS)));
    view! {
        <li class="scope-task">
            <button
                type="button"
                class="scope-task-button"
                data-testid=format!("scope-task-{}", task.id)
                aria-pressed=pressed
                aria-describedby=why_id.clone()
                disabled=disabled
                on:click=choose
            >
                {task.label}
            </button>
            <span id=why_id class="scope-task-why">
                {task.explain} " "
                {task.scopes.iter().map(|s| view! { <code class="scope-name">{*s}</code> }).collect_view()}
            </span>
        </li>
    }
}

/// The search box over the whole catalogue: area names, labels and scope names.
#[component]
fn ScopeSearch(search: RwSignal<String>) -> impl IntoView {
    // Enter would submit the token form around the picker.
    let keep_form = |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
        }
    };
    view! {
        <div class="scope-search">
            <label for="scope-search">"Search scopes"</label>
            <input
                id="scope-search"
                type="search"
                autocomplete="off"
                placeholder="code, packaging, vso.build_execute…"
                data-testid="scope-search"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
                on:keydown=keep_form
            />
        </div>
    }
}

/// One area of the catalogue, hidden when none of its scopes matches the search.
#[component]
fn ScopeArea(
    area: &'static str,
    scopes: &'static [ScopeInfo],
    selected: RwSignal<Vec<String>>,
    query: Memo<String>,
    disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <fieldset class="scope-area" disabled=disabled hidden=move || !query.with(|q| area_matches(area, scopes, q))>
            <legend>{area}</legend>
            {scopes.iter().map(|s| view! { <ScopeCheck area=area scope=*s selected=selected query=query /> }).collect_view()}
        </fieldset>
    }
}

/// One scope: a checkbox with its readable name and its name.
#[component]
fn ScopeCheck(
    area: &'static str,
    scope: ScopeInfo,
    selected: RwSignal<Vec<String>>,
    query: Memo<String>,
) -> impl IntoView {
    let name = scope.name;
    let id = format!("scope-{}", name.replace('.', "-"));
    let for_id = id.clone();
    view! {
        <label for=for_id class="check" hidden=move || !query.with(|q| scope_matches(area, &scope, q))>
            <input
                id=id
                type="checkbox"
                value=name
                prop:checked=move || selected.with(|sel| sel.iter().any(|x| x == name))
                on:change=move |ev| toggle_scope(selected, name, event_target_checked(&ev))
            />
            // The flags flow with the label's words, not in a column of their own.
            <span>{scope.label} <ScopeFlags name=name /></span>
            <code class="scope-name">{name}</code>
        </label>
    }
}

/// What Microsoft's scope table says of a scope beyond its name: "High privilege", "No longer
/// public".
#[component]
pub fn ScopeFlags(#[prop(into)] name: String) -> impl IntoView {
    view! {
        {is_high_privilege(&name).then(|| view! { <span class="flag flag-high" data-testid="flag-high">"High privilege"</span> })}
        {is_no_longer_public(&name).then(|| view! { <span class="flag" data-testid="flag-withdrawn">"No longer public"</span> })}
    }
}

/// The scopes of a token that the catalogue has no name for, verbatim: kept unless unchecked.
#[component]
fn OtherScopes(
    others: Vec<String>,
    selected: RwSignal<Vec<String>>,
    disabled: Signal<bool>,
    query: Memo<String>,
) -> impl IntoView {
    let names = others.clone();
    let any_shown = move || query.with(|q| names.iter().any(|n| text_matches(n, q)));
    view! {
        <fieldset class="scope-area" disabled=disabled hidden=move || !any_shown() data-testid="other-scopes">
            <legend>"Other scopes on this token"</legend>
            {others.into_iter().enumerate().map(|(i, name)| {
                let id = format!("scope-other-{i}");
                let (for_id, checked_name, toggled_name, shown_name) = (id.clone(), name.clone(), name.clone(), name.clone());
                view! {
                    <label for=for_id class="check" hidden=move || !query.with(|q| text_matches(&shown_name, q))>
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

// Rendered to HTML: server rendering only (the hydrate build cannot render to a string).
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn renders_the_tasks_pressed_as_the_selection_covers_them_and_hides_nothing_at_first() {
        let owner = Owner::new();
        owner.set();
        let selected = RwSignal::new(vec!["vso.code_write".to_string(), "vso.odd".to_string()]);
        let html = view! { <ScopePicker selected=selected error=Signal::derive(|| None) /> }.to_html();
        for task in SCOPE_TASKS {
            let pressed = if task.id == "clone-push" { "true" } else { "false" };
            let button = format!(r#"data-testid="scope-task-{}" aria-pressed="{pressed}""#, task.id);
            assert!(html.contains(&button), "{button}");
        }
        assert!(html.contains(r#"type="search""#) && html.contains(r#"data-testid="scope-search""#));
        assert!(html.contains(r#"data-testid="other-scopes""#) && html.contains(r#"value="vso.odd""#));
        assert!(!html.contains("hidden") && !html.contains("scope-no-match"));
    }
}
