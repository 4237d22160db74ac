//! `/tokens/all`: the person's tokens in every organization they belong to, in one table with
//! an organization column. An organization that could not be read has its own row group with
//! the reason; the others still show. Tokens can be selected for bulk changes, and the view
//! exported as CSV or JSON.
//!
//! A lazy route: its code (with the bulk changes) comes from a wasm chunk of its own, and the
//! tokens are asked for in [`LazyRoute::data`], before that code has arrived.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::LazyRoute;

use super::bulk::{BulkBar, Selection};
use super::table_view::{status_badges, FilterChips, SearchForm, SortHeader, TableView};
use crate::api::list_inventory;
use crate::error::ApiError;
use crate::inventory::{Inventory, InventoryRow, OrgFailure};
use crate::model::{PatSort, PatStatus};
use crate::routes::{INVENTORY_CSV, INVENTORY_JSON};
use crate::scopes::{is_high_privilege, scope_label};
use crate::ui::{org_href, use_hydrated, DateWhen, ErrorPanel, ListNotice, PageBoundary, Skeleton};

/// Columns of the table, for the failure rows that span it.
const COLUMNS: &str = "5";

/// The table the address asks for, read while the page's code loads.
#[derive(Clone, Copy)]
pub struct InventoryRoute {
    view_of_url: Memo<TableView>,
    page: Resource<Result<Inventory, ApiError>>,
}

impl LazyRoute for InventoryRoute {
    fn data() -> Self {
        let view_of_url = TableView::of_url("/tokens/all");
        // Created outside the Transition so that server rendering waits for it (reading works without JavaScript).
        let page = Resource::new(
            move || view_of_url.get(),
            |v| list_inventory(v.filter, Some(v.sort), Some(v.desc), v.search, v.after),
        );
        Self { view_of_url, page }
    }

    async fn view(this: Self) -> AnyView {
        crate::route_code::lazy_view(inventory_page(this)).await
    }

    async fn preload() {
        let _ = load_inventory_page().await;
    }
}

/// The page's code: a split point (see [`crate::route_code`]).
#[leptos::wasm_split::wasm_split(inventory_page, wasm_split_path = ::leptos::wasm_split, fallible, preload(load_inventory_page))]
pub(crate) fn inventory_page(this: InventoryRoute) -> Result<AnyView, ApiError> {
    Ok(view! { <PageBoundary><InventoryPage view_of_url=this.view_of_url page=this.page /></PageBoundary> }
        .into_any())
}

#[component]
fn InventoryPage(view_of_url: Memo<TableView>, page: Resource<Result<Inventory, ApiError>>) -> impl IntoView {
    // Kept while the person pages, sorts and searches: the component stays as the query changes.
    let selection = Selection::new();
    let reload = Callback::new(move |_| page.refetch());
    view! {
        <Title text="Every organization · Azure DevOps token portal" />
        <section class="card">
            <div class="table-head">
                <h1>"Tokens in every organization"</h1>
                <ExportLinks view=view_of_url />
            </div>
            <p class="switch"><A href="/tokens">"One organization"</A>" · "<strong>"Every organization"</strong></p>
            <div class="controls">
                <FilterChips view=view_of_url />
                <SearchForm view=view_of_url />
            </div>
            <BulkBar selection=selection changed=reload />
            <Transition fallback=|| view! { <Skeleton label="Loading tokens from every organization" lines=6 /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(inv) => view! { <InventoryTable inventory=inv view=view_of_url.get_untracked() selection=selection reload=reload /> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e retry=reload /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The view as a file: the same filter, sort and search, every page, no secrets.
#[component]
fn ExportLinks(view: Memo<TableView>) -> impl IntoView {
    let query = move || view.with(|v| v.query(v.filter, v.sort, v.desc));
    // `download` and `rel=external`: the router leaves these links to the browser.
    view! {
        <p class="exports">
            "Export: "
            <a href=move || format!("{INVENTORY_CSV}{}", query()) download="tokens.csv" rel="external" data-testid="export-csv">"CSV"</a>
            " · "
            <a href=move || format!("{INVENTORY_JSON}{}", query()) download="tokens.json" rel="external" data-testid="export-json">"JSON"</a>
        </p>
    }
}

#[component]
fn InventoryTable(
    inventory: Inventory,
    view: TableView,
    selection: Selection,
    reload: Callback<()>,
) -> impl IntoView {
    let Inventory { organizations, tokens, failures, total, next, notice } = inventory;
    let keys: Vec<String> = tokens.iter().map(|r| r.target().key()).collect();
    let hydrated = use_hydrated();
    let all_here = {
        let keys = keys.clone();
        move || selection.has_all(&keys)
    };
    let no_rows = keys.is_empty();
    let empty = tokens.is_empty().then(|| {
        let filter = view.filter.label().to_lowercase();
        view! { <tbody><tr><td colspan=COLUMNS data-testid="pats-empty">{format!("No {filter} tokens in the organizations that answered.")}</td></tr></tbody> }
    });
    let next =
        next.map(|after| view! { <p class="pager"><A href=view.next_href(&after)>"Next page"</A></p> });
    view! {
        <ListNotice notice=notice />
        <table class="pats inventory" data-testid="inventory-table">
            <caption class="visually-hidden">{format!("{} tokens in every organization", view.filter.label())}</caption>
            <thead>
                <tr>
                    <th scope="col" class="pick">
                        <input type="checkbox" aria-label="Select every token on this page" data-testid="select-page"
                            disabled=move || !hydrated.get() || no_rows prop:checked=all_here
                            on:change=move |ev| selection.set(&keys, event_target_checked(&ev)) />
                    </th>
                    <SortHeader view=view.clone() sort=PatSort::Name />
                    <th scope="col">"Organization"</th>
                    <SortHeader view=view.clone() sort=PatSort::ValidTo />
                    <SortHeader view=view.clone() sort=PatSort::Status />
                </tr>
            </thead>
            <tbody>
                {tokens.into_iter().map(|row| view! { <InventoryRowView row=row selection=selection /> }).collect_view()}
            </tbody>
            {empty}
            {failures.into_iter().map(|f| view! { <FailureRows failure=f reload=reload /> }).collect_view()}
        </table>
        <p class="muted table-foot" data-testid="inventory-total">
            {format!("{total} {} across {} organizations", if total == 1 { "token" } else { "tokens" }, organizations.len())}
        </p>
        {next}
    }
}

#[component]
fn InventoryRowView(row: InventoryRow, selection: Selection) -> impl IntoView {
    let key = row.target().key();
    let hydrated = use_hydrated();
    let href = org_href(&format!("/tokens/{}", row.token.authorization_id), Some(&row.via));
    let scopes = row.token.scopes.iter().map(|s| scope_label(s)).collect::<Vec<_>>().join(", ");
    let high = row.token.scopes.iter().any(|s| is_high_privilege(s));
    let replace = (row.token.global.is_some() && matches!(row.token.status, PatStatus::Active | PatStatus::ExpiringSoon))
        .then(|| view! { <A href=href.clone() attr:class="button secondary small" attr:data-testid="replace-link">"Replace"</A> });
    let label = format!("Select {}", row.token.display_name);
    let status = status_badges(&row.token);
    let checked = {
        let key = key.clone();
        move || selection.has(&key)
    };
    view! {
        <tr data-testid="inventory-row">
            <td class="pick">
                <input type="checkbox" aria-label=label value=key.clone() data-testid="select-token"
                    disabled=move || !hydrated.get() prop:checked=checked
                    on:change=move |ev| selection.set(std::slice::from_ref(&key), event_target_checked(&ev)) />
            </td>
            <th scope="row"><A href=href>{row.token.display_name.clone()}</A><span class="scopes muted">{scopes}</span>{high.then(|| view! { <span class="flag flag-high">"High privilege"</span> })}</th>
            <td data-testid="row-org">{row.organization.unwrap_or_else(|| "All (global)".into())}</td>
            <td class="date"><DateWhen at=row.token.valid_to.clone() words=row.token.expires.clone() /></td>
            <td>{status}" "{replace}</td>
        </tr>
    }
}

/// An organization that could not be read: its own row group, with the reason and what to do.
#[component]
fn FailureRows(failure: OrgFailure, reload: Callback<()>) -> impl IntoView {
    let OrgFailure { organization, error } = failure;
    let own_page = org_href("/tokens", Some(&organization));
    view! {
        <tbody class="org-failure" data-testid="org-failure">
            <tr>
                <th scope="rowgroup" colspan="2">{organization.clone()}</th>
                <td colspan="3">
                    <p role="status">{format!("Not read: {error}")}</p>
                    <button type="button" class="button secondary small" on:click=move |_| reload.run(())>"Try again"</button>
                    " "<A href=own_page>{format!("Open {organization} alone")}</A>
                </td>
            </tr>
        </tbody>
    }
}
