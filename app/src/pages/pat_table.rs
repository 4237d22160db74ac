//! The table of personal access tokens, with the status filter and paging kept in the URL.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::list_pats;
use crate::error::ApiError;
use crate::model::{PatFilter, PatPage, PatSummary};
use crate::{encode_query_value, SignInLink};

/// The page of tokens the URL asks for (`?filter=…&after=…`).
#[derive(Clone, Copy)]
pub struct PatQuery {
    pub filter: Memo<PatFilter>,
    pub page: Resource<Result<PatPage, ApiError>>,
}

/// Created at the top of the page, not inside a `Suspense`, so that server rendering waits
/// for it and the table is in the first HTML (reading works without JavaScript).
pub fn use_pat_query() -> PatQuery {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| q.get("filter").and_then(|f| PatFilter::parse(&f)).unwrap_or_default())
    });
    let after = Memo::new(move |_| query.with(|q| q.get("after")));
    let page = Resource::new(move || (filter.get(), after.get()), |(f, a)| list_pats(f, a));
    PatQuery { filter, page }
}

#[component]
pub fn PatTable(query: PatQuery) -> impl IntoView {
    let PatQuery { filter, page } = query;

    view! {
        <section class="card">
            <div class="table-head">
                <h2>"Personal access tokens"</h2>
                <nav class="filters" aria-label="Filter tokens">
                    {PatFilter::ALL.into_iter().map(|f| view! {
                        <A href=format!("/?filter={}", f.as_api())
                           attr:class=move || if filter.get() == f { "chip selected" } else { "chip" }
                           attr:aria-current=move || (filter.get() == f).then_some("page")>
                            {f.label()}
                        </A>
                    }).collect_view()}
                </nav>
            </div>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading tokens…"</div> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <PatRows page=p filter=filter.get_untracked() /> }.into_any(),
                        Err(e) => view! {
                            <div class="error" role="alert">
                                <p>{e.to_string()}</p>
                                {e.needs_sign_in().then(|| view! { <SignInLink label="Sign in again" /> })}
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PatRows(page: PatPage, filter: PatFilter) -> impl IntoView {
    let next = page
        .continuation_token
        .clone()
        .map(|t| format!("/?filter={}&after={}", filter.as_api(), encode_query_value(&t)));
    if page.tokens.is_empty() {
        return view! {
            <p class="empty" data-testid="pats-empty">"No " {filter.label().to_lowercase()} " tokens in " {page.organization}"."</p>
        }.into_any();
    }
    view! {
        <table class="pats" data-testid="pat-table">
            <caption class="visually-hidden">{format!("{} tokens in {}", filter.label(), page.organization)}</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Scopes"</th>
                    <th scope="col">"Valid to"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {page.tokens.into_iter().map(|t| view! { <PatRow token=t /> }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <p class="pager"><A href=href>"Next page"</A></p> })}
    }.into_any()
}

#[component]
fn PatRow(token: PatSummary) -> impl IntoView {
    let scopes = if token.scopes.iter().any(|s| s == "app_token") {
        "Full access".to_string()
    } else {
        token.scopes.join(", ")
    };
    let valid_to = token.valid_to.get(..10).unwrap_or(&token.valid_to).to_string();
    view! {
        <tr>
            <th scope="row">{token.display_name}</th>
            <td class="scopes">{scopes}</td>
            <td><time datetime=token.valid_to.clone()>{valid_to}</time></td>
            <td><span class=token.status.css_class()>{token.status.label()}</span></td>
        </tr>
    }
}
