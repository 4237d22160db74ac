//! `/`: signed out, an invitation to sign in; signed in, the dashboard (counts, what expires soon, a timeline).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::pat_overview;
use crate::model::{Overview, PatSummary, UPCOMING_WEEKS};
use crate::ui::{org_href, use_org, DateWhen, ErrorPanel, Skeleton};
use crate::{MeResource, SignInLink};

#[component]
pub fn HomePage() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let org = use_org();
    let overview = Resource::new(move || org.get(), pat_overview);
    view! {
        <Title text="Dashboard · Azure DevOps token portal" />
        <Suspense fallback=|| view! { <Skeleton label="Loading your dashboard" lines=4 /> }>
            {move || Suspend::new(async move {
                match me.await.map(|v| v.user) {
                    Ok(Some(me)) => view! {
                        <section class="greeting">
                            <h1>"Hello, " {me.name.clone()}</h1>
                            <p class="muted">{me.username.clone()}</p>
                        </section>
                        {match overview.await {
                            Ok(o) => view! { <Dashboard overview=o org=org.get_untracked() /> }.into_any(),
                            Err(e) => view! {
                                <ErrorPanel error=e retry=Callback::new(move |_| overview.refetch()) />
                            }.into_any(),
                        }}
                    }.into_any(),
                    Ok(None) => view! {
                        <section class="card hero">
                            <h1>"Your Azure DevOps tokens, in order"</h1>
                            <p>
                                "Sign in with your Microsoft work account to see your personal access tokens, "
                                "which are about to expire, and which you no longer need."
                            </p>
                            <SignInLink label="Sign in" />
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Dashboard(overview: Overview, org: Option<String>) -> impl IntoView {
    let o = org.as_deref();
    let counts = [
        ("Active", overview.active, "active", "count ok"),
        ("Expiring within 7 days", overview.expiring_soon, "active", "count warn"),
        ("Expired", overview.expired, "expired", "count bad"),
        ("Revoked", overview.revoked, "revoked", "count off"),
    ];
    let soon = overview.soon.clone();
    let global = overview.global_state.map(|state| {
        let n = overview.global;
        let what = match state {
            crate::model::GlobalPat::Retiring => "stop working on 1 December 2026",
            crate::model::GlobalPat::Retired => "no longer work since 1 December 2026",
        };
        let text = format!(
            "{n} of your active tokens {} global (valid in all organizations): global tokens {what}. \
             Open each one to replace it with an organization token.",
            if n == 1 { "is" } else { "are" }
        );
        view! {
            <p class="notice" data-testid="global-notice">{text}" "
                <A href=org_href("/tokens?filter=active", o)>"Review your tokens"</A></p>
        }
    });
    view! {
        {global}
        <section class="counts" aria-label=format!("Tokens in {}", overview.organization) data-testid="counts">
            {counts.into_iter().map(|(label, n, filter, class)| view! {
                <A href=org_href(&format!("/tokens?filter={filter}"), o) attr:class=class>
                    <span class="count-n">{n}</span>
                    <span class="count-label">{label}</span>
                </A>
            }).collect_view()}
        </section>
        <section class="card" data-testid="expiring">
            <h2>"Expiring within 7 days"</h2>
            {if soon.is_empty() {
                view! { <p class="empty">"Nothing expires in the next seven days."</p> }.into_any()
            } else {
                view! {
                    <ul class="soon-list">
                        {soon.into_iter().map(|t| view! { <SoonItem token=t org=org.clone() /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card">
            <h2>"Upcoming expiries"</h2>
            <Timeline upcoming=overview.upcoming.clone() />
            <p class="muted">
                <A href=org_href("/tokens/new", o)>"Create a token"</A>
                " · "
                <A href=org_href("/tokens", o)>"All tokens"</A>
            </p>
        </section>
    }
}

#[component]
fn SoonItem(token: PatSummary, org: Option<String>) -> impl IntoView {
    let href = org_href(&format!("/tokens/{}", token.authorization_id), org.as_deref());
    view! {
        <li>
            <A href=href>{token.display_name}</A>
            " expires on "
            <DateWhen at=token.valid_to.clone() words=token.expires.clone() />
        </li>
    }
}

/// Active tokens expiring per week over the next weeks, as a bar chart in inline SVG.
#[component]
fn Timeline(upcoming: Vec<u32>) -> impl IntoView {
    const W: u32 = 600;
    const H: u32 = 140;
    const BASE: u32 = 110;
    let max = upcoming.iter().copied().max().unwrap_or(0).max(1);
    let total: u32 = upcoming.iter().sum();
    let slot = W / UPCOMING_WEEKS as u32;
    let summary = format!(
        "{total} active tokens expire in the next {UPCOMING_WEEKS} weeks: {}",
        upcoming
            .iter()
            .enumerate()
            .map(|(i, n)| format!("week {}: {n}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <svg
            class="timeline"
            viewBox=format!("0 0 {W} {H}")
            role="img"
            aria-label=summary
            data-testid="timeline"
            preserveAspectRatio="xMidYMid meet"
        >
            <line x1="0" y1=BASE x2=W y2=BASE class="axis" />
            {upcoming.iter().enumerate().map(|(i, &n)| {
                let h = n * 90 / max;
                let x = i as u32 * slot + 8;
                view! {
                    <g>
                        <rect x=x y=BASE - h width=slot - 16 height=h class=if i == 0 { "bar soon" } else { "bar" }>
                            <title>{format!("Week {}: {n} expiring", i + 1)}</title>
                        </rect>
                        {(n > 0).then(|| view! { <text x=x + (slot - 16) / 2 y=BASE - h - 4 class="bar-n" text-anchor="middle">{n}</text> })}
                        <text x=x + (slot - 16) / 2 y=H - 10 class="bar-label" text-anchor="middle">{format!("w{}", i + 1)}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}
