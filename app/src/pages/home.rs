//! `/`: signed out, an invitation to sign in; signed in, the dashboard (counts, what expires soon, a timeline).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::pat_overview;
use crate::model::{Overview, PatSummary, LEAD_CHOICES, UPCOMING_WEEKS};
use crate::ui::{org_href, stored, use_org, DateWhen, ErrorPanel, ListNotice, Skeleton};
use crate::{MeResource, SignInLink};

#[component]
pub fn HomePage() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let org = use_org();
    let lead = use_lead();
    let overview = Resource::new(move || (org.get(), lead.get()), |(o, l)| pat_overview(o, l));
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
        ("Active".to_string(), overview.active, "active", "count ok"),
        (within(overview.lead_days), overview.expiring_soon, "active", "count warn"),
        ("Expired".to_string(), overview.expired, "expired", "count bad"),
        ("Revoked".to_string(), overview.revoked, "revoked", "count off"),
    ];
    let soon = overview.soon.clone();
    let global = global_notice(&overview, o);
    let working = overview.active + overview.expiring_soon;
    let replaceable = (overview.replaceable > 0).then(|| view! {
        <p class="notice info" data-testid="replaceable">
            {format!("{} of your {working} working tokens {} a documented replacement that needs no token. ",
                overview.replaceable, if overview.replaceable == 1 { "has" } else { "have" })}
            <A href=org_href("/tokens?filter=active", o)>"Open a token to see which"</A>
        </p>
    });
    view! {
        <ListNotice notice=overview.notice.clone() />
        {global}
        {replaceable}
        <section class="counts" aria-label=format!("Tokens in {}", overview.organization) data-testid="counts">
            {counts.into_iter().map(|(label, n, filter, class)| view! {
                <A href=org_href(&format!("/tokens?filter={filter}"), o) attr:class=class>
                    <span class="count-n">{n}</span>
                    <span class="count-label">{label}</span>
                </A>
            }).collect_view()}
        </section>
        <section class="card" data-testid="expiring">
            <h2>{within(overview.lead_days)}</h2>
            {if soon.is_empty() {
                view! { <p class="empty">{format!("Nothing expires in the next {}.", days(overview.lead_days))}</p> }.into_any()
            } else {
                view! {
                    <ul class="soon-list">
                        {soon.into_iter().map(|t| view! { <SoonItem token=t org=org.clone() /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <Reminders lead=overview.lead_days org=org.clone() />
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

/// Global tokens stop working on 2026-12-01: said while the person still has some.
fn global_notice(overview: &Overview, o: Option<&str>) -> Option<impl IntoView> {
    let n = overview.global;
    overview.global_state.map(|state| {
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
    })
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

fn days(n: u32) -> String {
    if n == 1 {
        "day".into()
    } else {
        format!("{n} days")
    }
}

fn within(n: u32) -> String {
    format!("Expiring within {}", days(n))
}

/// The reminder lead time in the address (`?lead=`), remembered in this browser whenever it is
/// chosen (the app puts the remembered one back into the address on the first page load).
fn use_lead() -> Memo<Option<u32>> {
    let query = use_query_map();
    let lead = Memo::new(move |_| query.read().get("lead").and_then(|v| v.parse::<u32>().ok()));
    Effect::new(move |_| {
        if let Some(l) = lead.get() {
            stored::set(stored::LEAD, &l);
        }
    });
    lead
}

/// The calendar to download, and the lead time that it and the dashboard use. A plain GET form
/// (it works without JavaScript); with JavaScript a new choice applies at once.
#[component]
fn Reminders(lead: u32, org: Option<String>) -> impl IntoView {
    let mut ics = format!("{}?lead={lead}", crate::routes::REMINDERS_ICS);
    if let Some(o) = &org {
        ics.push_str(&format!("&org={}", crate::encode_query_value(o)));
    }
    let navigate = use_navigate();
    let org_for_nav = org.clone();
    let on_change = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        navigate(&org_href(&format!("/?lead={chosen}"), org_for_nav.as_deref()), Default::default());
    };
    view! {
        <section class="card reminders" data-testid="reminders">
            <h2>"Reminders in your calendar"</h2>
            <form method="get" action="/" class="inline-form">
                {org.map(|o| view! { <input type="hidden" name="org" value=o /> })}
                <label for="lead">"Remind me"</label>
                <select id="lead" name="lead" on:change=on_change>
                    {LEAD_CHOICES.into_iter().map(|n| view! {
                        <option value=n.to_string() selected=n == lead>{format!("{} before expiry", days(n))}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button secondary">"Apply"</button>
            </form>
            <p>
                <a class="button" href=ics download="" data-testid="reminders-ics" rel="external">
                    "Download the calendar (.ics)"
                </a>
            </p>
            <p class="muted">
                {format!("One event per active token, {} before it expires, with an alert. ", days(lead))}
                "Import it into Outlook, Google Calendar or Apple Calendar; download it again after changes: "
                "each token keeps the same event, which is updated rather than repeated."
            </p>
        </section>
    }
}
