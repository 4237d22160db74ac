//! Scopes chosen by task: what people make a token for ("clone and push code", "run pipelines"),
//! each with the fewest scopes Microsoft's documentation asks for; and the search over the catalogue.
//! Pure data and logic: the scope picker renders it.

use crate::scopes::ScopeInfo;

/// Something a token is made for, and the fewest scopes that let it do that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeTask {
    /// Stable, in the button's test id (`scope-task-{id}`).
    pub id: &'static str,
    pub label: &'static str,
    /// One line: what the task covers.
    pub explain: &'static str,
    pub scopes: &'static [&'static str],
}

/// Code (read and write) reads, updates and deletes source code and manages pull requests; Code
/// (read) cannot change anything. Source: "Scopes" table,
/// <https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/oauth#scopes>
/// (`docs/integrate/includes/scopes.md` in MicrosoftDocs/azure-devops-docs).
pub const CLONE_PUSH: ScopeTask = ScopeTask {
    id: "clone-push",
    label: "Clone and push code",
    explain: "Git over HTTPS: clone, pull, push and open pull requests.",
    scopes: &["vso.code_write"],
};

/// Code (read): source code, commits and branches, and code search. Source: the same "Scopes"
/// table, <https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/oauth#scopes>.
pub const CLONE_READ: ScopeTask = ScopeTask {
    id: "clone-read",
    label: "Clone code (read only)",
    explain: "Git clone and pull, and code search; no push.",
    scopes: &["vso.code"],
};

/// "Runs - Run Pipeline" requires `vso.build_execute`, Build (read and execute). Source:
/// <https://learn.microsoft.com/rest/api/azure/devops/pipelines/runs/run-pipeline>
/// (`specification/pipelines/7.1/pipelines.json` in MicrosoftDocs/vsts-rest-api-specs).
pub const RUN_PIPELINES: ScopeTask = ScopeTask {
    id: "run-pipelines",
    label: "Run pipelines",
    explain: "Queue pipeline runs and follow them.",
    scopes: &["vso.build_execute"],
};

/// "Pipelines - List", "Runs - Get", "Logs - Get" and "Artifacts - Get" require `vso.build`,
/// Build (read). Source: <https://learn.microsoft.com/rest/api/azure/devops/pipelines/runs/get>
/// (`specification/pipelines/7.1/pipelines.json` in MicrosoftDocs/vsts-rest-api-specs).
pub const READ_PIPELINES: ScopeTask = ScopeTask {
    id: "read-pipelines",
    label: "Read pipeline results",
    explain: "Pipelines, runs, logs and artifacts, without starting anything.",
    scopes: &["vso.build"],
};

/// Publishing to an Azure Artifacts feed needs a PAT with Packaging > Read & write. Source:
/// <https://learn.microsoft.com/azure/devops/artifacts/npm/publish> (`docs/artifacts/npm/publish.md`).
pub const PUBLISH_PACKAGES: ScopeTask = ScopeTask {
    id: "publish-packages",
    label: "Publish packages",
    explain: "Push npm, NuGet, Maven, Python or Cargo packages to a feed.",
    scopes: &["vso.packaging_write"],
};

/// Installing from a feed needs a PAT with Packaging > Read. Source:
/// <https://learn.microsoft.com/azure/devops/artifacts/quickstarts/python-packages>
/// (`docs/artifacts/quickstarts/python-packages.md`).
pub const INSTALL_PACKAGES: ScopeTask = ScopeTask {
    id: "install-packages",
    label: "Install packages",
    explain: "Restore packages from a feed; nothing is published.",
    scopes: &["vso.packaging"],
};

/// A self-hosted agent registers with a PAT of scope Agent Pools (read, manage), every other box
/// cleared; the PAT is used only at registration. Source:
/// <https://learn.microsoft.com/azure/devops/pipelines/agents/personal-access-token-agent-registration>
/// (`docs/pipelines/agents/personal-access-token-agent-registration.md`).
pub const REGISTER_AGENT: ScopeTask = ScopeTask {
    id: "register-agent",
    label: "Register a build agent",
    explain: "Configure a self-hosted agent; used only while it registers.",
    scopes: &["vso.agentpools_manage"],
};

/// A deployment group agent registers with Deployment group (read, manage) instead. Source: the
/// same page,
/// <https://learn.microsoft.com/azure/devops/pipelines/agents/personal-access-token-agent-registration>.
pub const REGISTER_DEPLOYMENT_AGENT: ScopeTask = ScopeTask {
    id: "register-deployment-agent",
    label: "Register a deployment group agent",
    explain: "Add a machine to a deployment group.",
    scopes: &["vso.machinegroup_manage"],
};

/// Work items (read): work items, queries, boards, area and iteration paths. "Work Items - Get
/// Work Item" requires `vso.work`. Source:
/// <https://learn.microsoft.com/rest/api/azure/devops/wit/work-items/get-work-item> and the
/// "Scopes" table (`docs/integrate/includes/scopes.md`).
pub const READ_WORK_ITEMS: ScopeTask = ScopeTask {
    id: "read-work-items",
    label: "Read work items",
    explain: "Work items, queries and boards, read only.",
    scopes: &["vso.work"],
};

/// "Work Items - Create" (and Update) require `vso.work_write`, Work items (read and write).
/// Source: <https://learn.microsoft.com/rest/api/azure/devops/wit/work-items/create>.
pub const WRITE_WORK_ITEMS: ScopeTask = ScopeTask {
    id: "write-work-items",
    label: "Create and update work items",
    explain: "File bugs, change states, comment on work items.",
    scopes: &["vso.work_write"],
};

/// Global PATs stopped working on 2026-12-01, and publishing asked for one ("Organization: All
/// accessible organizations"). Microsoft's route now is Microsoft Entra ID: `vsce publish
/// --azure-credential` (code.visualstudio.com, "Secure automated publishing to Visual Studio
/// Marketplace", microsoft/vscode-docs#9886), or an Azure DevOps service connection's workload
/// identity, whose supported scenarios include "Extension publishing"
/// (<https://learn.microsoft.com/azure/devops/pipelines/library/add-devops-entra-service-connection>).
/// A tool that cannot sign in keeps an organization-scoped token with Marketplace (publish).
pub const PUBLISH_EXTENSION: ScopeTask = ScopeTask {
    id: "publish-extension",
    label: "Publish a Marketplace extension",
    explain: "Better without a token: vsce publish --azure-credential. Otherwise an organization-scoped token for a tool that cannot sign in.",
    scopes: &["vso.gallery_publish"],
};

/// Power BI and OData feeds authenticate with a PAT of scope Analytics (read). Source:
/// <https://learn.microsoft.com/azure/devops/report/powerbi/client-authentication-options>
/// (`docs/report/powerbi/client-authentication-options.md`).
pub const QUERY_ANALYTICS: ScopeTask = ScopeTask {
    id: "query-analytics",
    label: "Report with Analytics",
    explain: "Power BI, Excel or OData queries over Analytics.",
    scopes: &["vso.analytics"],
};

/// The tasks offered by the scope picker, most common first.
pub const SCOPE_TASKS: &[ScopeTask] = &[
    CLONE_PUSH,
    RUN_PIPELINES,
    PUBLISH_PACKAGES,
    REGISTER_AGENT,
    READ_WORK_ITEMS,
    CLONE_READ,
    READ_PIPELINES,
    INSTALL_PACKAGES,
    WRITE_WORK_ITEMS,
    REGISTER_DEPLOYMENT_AGENT,
    PUBLISH_EXTENSION,
    QUERY_ANALYTICS,
];

/// Whether every scope of `task` is selected (what shows the task as chosen).
pub fn is_covered(task: &ScopeTask, selected: &[String]) -> bool {
    task.scopes.iter().all(|s| selected.iter().any(|x| x == s))
}

/// Per task chosen here, the scopes choosing it added: what choosing it again takes back.
pub type Added = Vec<(&'static str, Vec<&'static str>)>;

/// Chooses `task` or, when the selection already covers it, lets it go.
///
/// Choosing adds the task's scopes that are not selected yet, and remembers them as the task's.
/// Letting go removes what choosing it added (all its scopes when it was covered by hand), except
/// scopes another task chosen here (and still covered) needs: scopes chosen by hand before stay.
pub fn toggle_task(selected: &mut Vec<String>, added: &mut Added, task: &ScopeTask, all: &[ScopeTask]) {
    let remembered = added.iter().position(|(id, _)| *id == task.id).map(|i| added.remove(i).1);
    if !is_covered(task, selected) {
        let missing: Vec<&'static str> =
            task.scopes.iter().copied().filter(|s| !selected.iter().any(|x| x == s)).collect();
        selected.extend(missing.iter().map(|s| s.to_string()));
        added.push((task.id, missing));
        return;
    }
    let candidates = remembered.unwrap_or_else(|| task.scopes.to_vec());
    let chosen = |t: &&ScopeTask| added.iter().any(|(id, _)| *id == t.id) && is_covered(t, selected);
    let needed: Vec<&str> = all.iter().filter(chosen).flat_map(|t| t.scopes.iter().copied()).collect();
    selected.retain(|s| !candidates.contains(&s.as_str()) || needed.contains(&s.as_str()));
}

/// The search text as matched: trimmed, lower case.
pub fn normalize_query(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Whether `text` contains `query` (normalized), ignoring case; an empty query matches everything.
pub fn text_matches(text: &str, query: &str) -> bool {
    query.is_empty() || text.to_lowercase().contains(query)
}

/// Whether a scope shows for `query`: its area's name, its label or its name contains it.
pub fn scope_matches(area: &str, scope: &ScopeInfo, query: &str) -> bool {
    [area, scope.label, scope.name].iter().any(|t| text_matches(t, query))
}

/// Whether an area shows for `query`: one of its scopes does.
pub fn area_matches(area: &str, scopes: &[ScopeInfo], query: &str) -> bool {
    scopes.iter().any(|s| scope_matches(area, s, query))
}

#[cfg(test)]
mod tests;
