//! `/tokens`: the table of personal access tokens, with filter, sort, search and paging kept in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::table_view::{status_badges, FilterChips, SearchForm, SortHeader, TableView};
use crate::api::list_pats;
use crate::model::{PatPage, PatSort, PatSummary};
use crate::scopes::{is_high_privilege, scope_label};
use crate::ui::{org_href, stored, use_org, DateWhen, ErrorPanel, ListNotice, Skeleton};

#[component]
pub fn TokensPage() -> impl IntoView {
    let org = use_org();
    let view_of_url = TableView::of_url("/tokens");
    // Created here, not inside the Suspense, so that server rendering waits for it and the
    // table is in the first HTML (reading works without JavaScript).
    let page = Resource::new(
        move || view_of_url.get(),
        |v| list_pats(v.org, v.filter, Some(v.sort), Some(v.desc), v.search, v.after),
    );
    remember_view(view_of_url);

    view! {
        <Title text="Tokens · Azure DevOps token portal" />
        <section class="card">
            <div class="table-head">
                <h1>"Personal access tokens"</h1>
                <A href=move || org_href("/tokens/new", org.get().as_deref()) attr:class="button primary">"New token"</A>
            </div>
            <p class="switch"><strong>"One organization"</strong>" · "<A href="/tokens/all" attr:data-testid="every-org">"Every organization"</A></p>
            <div class="controls">
                <FilterChips view=view_of_url />
                <SearchForm view=view_of_url />
            </div>
            <Transition fallback=|| view! { <Skeleton label="Loading tokens" lines=6 /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <PatRows page=p view=view_of_url.get_untracked() /> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e retry=Callback::new(move |_| page.refetch()) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Keeps the table's filter and sort in the browser (`RestoreSaved` brings them back on a later
/// visit that names neither).
fn remember_view(view: Memo<TableView>) {
    let query = use_query_map();
    Effect::new(move |_| {
        let v = view.get();
        // Only a choice the URL states: a bare /tokens must not overwrite the saved one.
        if query.with(|q| q.get("filter").is_some() || q.get("sort").is_some()) {
            stored::save_tokens_view(stored::TokensView { filter: v.filter, sort: v.sort, desc: v.desc });
        }
    });
}

#[component]
fn PatRows(page: PatPage, view: TableView) -> impl IntoView {
    let next = page.continuation_token.as_deref().map(|t| view.next_href(t));
    let notice = view! { <ListNotice notice=page.notice.clone() /> };
    if page.tokens.is_empty() {
        return view! { {notice}<EmptyTable view=view organization=page.organization /> }.into_any();
    }
    let org = view.org.clone();
    view! {
        {notice}
        <table class="pats" data-testid="pat-table">
            <caption class="visually-hidden">{format!("{} tokens in {}", view.filter.label(), page.organization)}</caption>
            <thead>
                <tr>
                    <SortHeader view=view.clone() sort=PatSort::Name />
                    <th scope="col">"Scopes"</th>
                    <SortHeader view=view.clone() sort=PatSort::ValidTo />
                    <SortHeader view=view.clone() sort=PatSort::Status />
                </tr>
            </thead>
            <tbody>
                {page.tokens.into_iter().map(|t| view! { <PatRow token=t org=org.clone() /> }).collect_view()}
            </tbody>
        </table>
        <p class="muted table-foot">"Organization: " <strong data-testid="table-org">{page.organization}</strong></p>
        {next.map(|href| view! { <p class="pager"><A href=href>"Next page"</A></p> })}
    }
    .into_any()
}

/// What the table shows when no token matches the view: says so, and offers to create one.
#[component]
fn EmptyTable(view: TableView, organization: String) -> impl IntoView {
    let filter = view.filter.label().to_lowercase();
    let what = match &view.search {
        Some(s) => format!("No {filter} tokens named like “{s}” in {organization}."),
        None => format!("No {filter} tokens in {organization}."),
    };
    view! {
        <div class="empty" data-testid="pats-empty">
            <p>{what}</p>
            <A href=org_href("/tokens/new", view.org.as_deref())>"Create a token"</A>
        </div>
    }
}

#[component]
fn PatRow(token: PatSummary, org: Option<String>) -> impl IntoView {
    let scopes = token.scopes.iter().map(|s| scope_label(s)).collect::<Vec<_>>().join(", ");
    let high = token.scopes.iter().any(|s| is_high_privilege(s));
    let href = org_href(&format!("/tokens/{}", token.authorization_id), org.as_deref());
    let status = status_badges(&token);
    view! {
        <tr>
            <th scope="row"><A href=href>{token.display_name}</A></th>
            <td class="scopes">{scopes} {high.then(|| view! { <span class="flag flag-high">"High privilege"</span> })}</td>
            <td class="date"><DateWhen at=token.valid_to.clone() words=token.expires.clone() /></td>
            <td>{status}</td>
        </tr>
    }
}
