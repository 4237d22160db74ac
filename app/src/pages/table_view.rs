//! What both token tables (`/tokens` and `/tokens/all`) take from the URL: filter, sort, search
//! and page, and the controls that change them (filter chips, search form, sortable headers).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::encode_query_value;
use crate::model::{PatFilter, PatSort, PatSummary};
use crate::ui::{org_href, use_org};

/// What the URL asks a token table for.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(super) struct TableView {
    /// The table's own path (`/tokens` or `/tokens/all`).
    pub(super) path: &'static str,
    pub(super) org: Option<String>,
    pub(super) filter: PatFilter,
    pub(super) sort: PatSort,
    pub(super) desc: bool,
    pub(super) search: Option<String>,
    pub(super) after: Option<String>,
}

impl TableView {
    /// The view the URL of the table at `path` asks for.
    pub(super) fn of_url(path: &'static str) -> Memo<TableView> {
        let query = use_query_map();
        let org = use_org();
        Memo::new(move |_| {
            query.with(|q| TableView {
                path,
                org: org.get(),
                filter: q.get("filter").and_then(|f| PatFilter::parse(&f)).unwrap_or_default(),
                sort: q.get("sort").and_then(|s| PatSort::parse(&s)).unwrap_or_default(),
                desc: q.get("desc").is_some_and(|d| d == "true"),
                search: q.get("q").filter(|s| !s.trim().is_empty()),
                after: q.get("after"),
            })
        })
    }

    /// The query string (`?filter=…&sort=…`, `&desc=true`, `&q=…`) of this view with some
    /// parts changed; the organization and the page are not in it.
    pub(super) fn query(&self, filter: PatFilter, sort: PatSort, desc: bool) -> String {
        let mut q = format!("?filter={}&sort={}", filter.as_api(), sort.key());
        if desc {
            q.push_str("&desc=true");
        }
        if let Some(s) = &self.search {
            q.push_str(&format!("&q={}", encode_query_value(s)));
        }
        q
    }

    /// The URL of this view with some parts changed (a new view starts at the first page).
    pub(super) fn href(&self, filter: PatFilter, sort: PatSort, desc: bool) -> String {
        org_href(&format!("{}{}", self.path, self.query(filter, sort, desc)), self.org.as_deref())
    }

    /// The URL of the page after this one, at position `after`.
    pub(super) fn next_href(&self, after: &str) -> String {
        format!("{}&after={}", self.href(self.filter, self.sort, self.desc), encode_query_value(after))
    }
}

/// One link per filter; the chosen one is marked.
#[component]
pub(super) fn FilterChips(view: Memo<TableView>) -> impl IntoView {
    view! {
        <nav class="filters" aria-label="Filter tokens">
            {PatFilter::ALL.into_iter().map(|f| {
                view! {
                    <A href=move || { let v = view.get(); v.href(f, v.sort, v.desc) }
                       attr:class=move || if view.get().filter == f { "chip selected" } else { "chip" }
                       attr:aria-current=move || (view.get().filter == f).then_some("true")>
                        {f.label()}
                    </A>
                }
            }).collect_view()}
        </nav>
    }
}

/// A plain GET form: search works without JavaScript, and keeps the filter, sort and organization.
#[component]
pub(super) fn SearchForm(view: Memo<TableView>) -> impl IntoView {
    let path = view.get_untracked().path;
    view! {
        <form method="get" action=path class="search" role="search">
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
                let clear = TableView { search: None, ..v.clone() }.href(v.filter, v.sort, v.desc);
                view! { <A href=clear attr:class="clear-search">"Clear"</A> }
            })}
        </form>
    }
}

/// The header of a sortable column: a link that sorts the table by it.
#[component]
pub(super) fn SortHeader(view: TableView, sort: PatSort) -> impl IntoView {
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

/// A token's status, and the retirement badge of a global token.
pub(super) fn status_badges(token: &PatSummary) -> impl IntoView {
    let global = token
        .global
        .map(|g| view! { <span class="status status-global" data-testid="global-badge">{g.label()}</span> });
    view! {
        <span class=token.status.css_class()>{token.status.label()}</span>
        {global}
    }
}
