//! `/orgs` and `/orgs/:org/projects`: the account (profile, this sign-in's Azure DevOps
//! permissions), the organizations the user belongs to, and their projects.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_profile, list_orgs, list_projects};
use crate::encode_query_value;
use crate::model::{Orgs, Project, ProjectPage};
use crate::ui::{org_href, stored, use_org, ErrorPanel, Skeleton};

#[component]
pub fn OrgsPage() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| list_orgs());
    let profile = Resource::new(|| (), |_| get_profile());
    let current = use_org();
    view! {
        <Title text="Organizations · Azure DevOps token portal" />
        <section class="card">
            <h1>"Your organizations"</h1>
            <Suspense fallback=|| view! { <Skeleton label="Loading your profile" lines=1 /> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(p) => view! {
                            <p class="muted" data-testid="profile">
                                {p.display_name} {p.email.map(|e| format!(" · {e}"))}
                            </p>
                        }.into_any(),
                        Err(_) => ().into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <Skeleton label="Loading your organizations" lines=3 /> }>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(o) => view! { <OrgList orgs=o current=current.get_untracked() /> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e retry=Callback::new(move |_| orgs.refetch()) /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <SignInPermissions />
    }
}

/// What an Azure DevOps permission lets this app do, in words.
fn permission_words(name: &str) -> &'static str {
    match name {
        "vso.pats" => "Read your personal access tokens",
        "vso.pats_manage" => "Create, change and revoke your personal access tokens",
        "vso.profile" => "Read your profile and organizations",
        "vso.project" => "Read your projects",
        "user_impersonation" => "Act as you everywhere in Azure DevOps (the classic permission)",
        _ => "Another Azure DevOps permission",
    }
}

/// The Azure DevOps permissions this sign-in holds, and why it may hold more than it asked for.
#[component]
fn SignInPermissions() -> impl IntoView {
    let me = expect_context::<crate::MeResource>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let me = me.await.ok().and_then(|v| v.user)?;
                let manages = me.permissions.iter().any(|p| p == "vso.pats_manage" || p == "user_impersonation");
                Some(view! {
                    <section class="card" data-testid="permissions">
                        <h2>"This sign-in's Azure DevOps permissions"</h2>
                        <ul class="plain">
                            {me.permissions.iter().map(|p| view! {
                                <li><code>{p.clone()}</code>" "{permission_words(p)}</li>
                            }).collect_view()}
                        </ul>
                        {manages.then(|| view! {
                            <p class="notice info" data-testid="permissions-lapse">
                                "This sign-in can change your tokens. Microsoft Entra puts every permission ever granted to this app for you into every sign-in: once you allowed changes, or an administrator granted the classic permission, each later sign-in carries it. Least privilege holds per user, not per session; to take it back, revoke the app's permissions in My Apps (myapps.microsoft.com) or ask an administrator."
                            </p>
                        })}
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn OrgList(orgs: Orgs, current: Option<String>) -> impl IntoView {
    if orgs.orgs.is_empty() {
        return view! {
            <p class="empty" data-testid="orgs-empty">
                "You do not belong to any Azure DevOps organization yet. Create one at dev.azure.com, then come back."
            </p>
        }
        .into_any();
    }
    let chosen = current.or(orgs.default.clone());
    view! {
        <ul class="org-list" data-testid="org-list">
            {orgs.orgs.into_iter().map(|o| {
                let is_current = chosen.as_deref() == Some(o.name.as_str());
                let name = o.name.clone();
                let remember = move |_| stored::set(stored::ORG, &name);
                view! {
                    <li class:current=is_current>
                        <strong>{o.name.clone()}</strong>
                        {is_current.then(|| view! { <span class="badge">"current"</span> })}
                        <span class="links">
                            <A href=format!("/orgs/{}/projects", encode_query_value(&o.name))>"Projects"</A>
                            <A href=org_href("/tokens", Some(&o.name)) on:click=remember>"Tokens here"</A>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org = Memo::new(move |_| params.with(|p| p.get("org").unwrap_or_default()));
    let after = Memo::new(move |_| query.with(|q| q.get("after")));
    let page = Resource::new(move || (org.get(), after.get()), |(org, after)| list_projects(org, after));
    view! {
        <Title text="Projects · Azure DevOps token portal" />
        <p class="crumbs"><A href="/orgs">"← Organizations"</A></p>
        <section class="card">
            <h1>"Projects in " {move || org.get()}</h1>
            <Transition fallback=|| view! { <Skeleton label="Loading projects" lines=5 /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <ProjectList page=p /> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e retry=Callback::new(move |_| page.refetch()) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProjectList(page: ProjectPage) -> impl IntoView {
    if page.projects.is_empty() {
        return view! { <p class="empty" data-testid="projects-empty">"No projects you can see in this organization."</p> }
            .into_any();
    }
    let next = page.continuation_token.clone().map(|t| {
        format!("/orgs/{}/projects?after={}", encode_query_value(&page.organization), encode_query_value(&t))
    });
    view! {
        <ul class="project-list" data-testid="project-list">
            {page.projects.into_iter().map(|p| view! { <ProjectItem project=p /> }).collect_view()}
        </ul>
        {next.map(|href| view! { <p class="pager"><A href=href>"More projects"</A></p> })}
    }
    .into_any()
}

#[component]
fn ProjectItem(project: Project) -> impl IntoView {
    let updated = project.last_update.as_deref().and_then(|d| d.get(..10)).map(str::to_string);
    view! {
        <li>
            <strong>{project.name}</strong>
            {project.visibility.map(|v| view! { <span class="badge">{v}</span> })}
            {project.description.map(|d| view! { <p class="muted">{d}</p> })}
            {updated.map(|u| view! { <p class="muted small">"Updated " {u}</p> })}
        </li>
    }
}
