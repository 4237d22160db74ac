//! `/tokens`: the table of personal access tokens, with filter, sort, search and paging kept in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::list_pats;
use crate::encode_query_value;
use crate::model::{PatFilter, PatPage, PatSort, PatSummary};
use crate::scopes::scope_label;
use crate::ui::{org_href, stored, use_org, DateWhen, ErrorPanel, Skeleton};

/// What the URL asks the table for.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct View {
    org: Option<String>,
    filter: PatFilter,
    sort: PatSort,
    desc: bool,
    search: Option<String>,
    after: Option<String>,
}

impl View {
    /// The URL of this view with some parts changed (a new view starts at the first page).
    fn href(&self, filter: PatFilter, sort: PatSort, desc: bool) -> String {
        let mut q = format!("/tokens?filter={}&sort={}", filter.as_api(), sort.key());
        if desc {
            q.push_str("&desc=true");
        }
        if let Some(s) = &self.search {
            q.push_str(&format!("&q={}", encode_query_value(s)));
        }
        org_href(&q, self.org.as_deref())
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let query = use_query_map();
    let org = use_org();
    let view_of_url = Memo::new(move |_| {
        query.with(|q| View {
            org: org.get(),
            filter: q.get("filter").and_then(|f| PatFilter::parse(&f)).unwrap_or_default(),
            sort: q.get("sort").and_then(|s| PatSort::parse(&s)).unwrap_or_default(),
            desc: q.get("desc").is_some_and(|d| d == "true"),
            search: q.get("q").filter(|s| !s.trim().is_empty()),
            after: q.get("after"),
        })
    });
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
            <div class="controls">
                <nav class="filters" aria-label="Filter tokens">
                    {PatFilter::ALL.into_iter().map(|f| {
                        let v = view_of_url;
                        view! {
                            <A href=move || { let v = v.get(); v.href(f, v.sort, v.desc) }
                               attr:class=move || if v.get().filter == f { "chip selected" } else { "chip" }
                               attr:aria-current=move || (v.get().filter == f).then_some("true")>
                                {f.label()}
                            </A>
                        }
                    }).collect_view()}
                </nav>
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

/// A plain GET form: search works without JavaScript, and keeps the filter, sort and organization.
#[component]
fn SearchForm(view: Memo<View>) -> impl IntoView {
    view! {
        <form method="get" action="/tokens" class="search" role="search">
            <label for="token-search" class="visually-hidden">"Search tokens by name"</label>
            <input
                id="token-search"
                type="search"
                name="q"
                placeholder="Search by name"
                maxlength="256"
                prop:value=move || view.get().search.unwrap_or_default()
            />
            <input type="hidden" name="filter" value=move || view.get().filter.as_api() />
            <input type="hidden" name="sort" value=move || view.get().sort.key() />
            {move || view.get().desc.then(|| view! { <input type="hidden" name="desc" value="true" /> })}
            {move || view.get().org.map(|o| view! { <input type="hidden" name="org" value=o /> })}
            <button type="submit" class="button secondary">"Search"</button>
            {move || view.get().search.map(|_| {
                let v = view.get();
                let clear = View { search: None, ..v.clone() }.href(v.filter, v.sort, v.desc);
                view! { <A href=clear attr:class="clear-search">"Clear"</A> }
            })}
        </form>
    }
}

/// Keeps the table's filter and sort in the browser (`RestoreSaved` brings them back on a later
/// visit that names neither).
fn remember_view(view: Memo<View>) {
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
fn PatRows(page: PatPage, view: View) -> impl IntoView {
    let next = page.continuation_token.clone().map(|t| {
        let base = view.href(view.filter, view.sort, view.desc);
        format!("{base}&after={}", encode_query_value(&t))
    });
    if page.tokens.is_empty() {
        return view! { <EmptyTable view=view organization=page.organization /> }.into_any();
    }
    let org = view.org.clone();
    view! {
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
fn EmptyTable(view: View, organization: String) -> impl IntoView {
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

/// The header of a sortable column: a link that sorts the table by it.
#[component]
fn SortHeader(view: View, sort: PatSort) -> impl IntoView {
    let active = view.sort == sort;
    // Clicking the sorted column flips the order; another column sorts ascending.
    let href = view.href(view.filter, sort, active && !view.desc);
    let (aria, arrow) = match (active, view.desc) {
        (false, _) => ("none", ""),
        (true, true) => ("descending", " ↓"),
        (true, false) => ("ascending", " ↑"),
    };
    view! {
        <th scope="col" aria-sort=aria>
            <A href=href attr:class="sort" attr:data-testid=format!("sort-{}", sort.key())>{sort.label()}{arrow}</A>
        </th>
    }
}

#[component]
fn PatRow(token: PatSummary, org: Option<String>) -> impl IntoView {
    let scopes = token.scopes.iter().map(|s| scope_label(s)).collect::<Vec<_>>().join(", ");
    let href = org_href(&format!("/tokens/{}", token.authorization_id), org.as_deref());
    view! {
        <tr>
            <th scope="row"><A href=href>{token.display_name}</A></th>
            <td class="scopes">{scopes}</td>
            <td class="date"><DateWhen at=token.valid_to.clone() words=token.expires.clone() /></td>
            <td>
                <span class=token.status.css_class()>{token.status.label()}</span>
                {token.global.map(|g| view! { <span class="status status-global" data-testid="global-badge">{g.label()}</span> })}
            </td>
        </tr>
    }
}
