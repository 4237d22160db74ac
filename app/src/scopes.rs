//! The catalogue of Azure DevOps' delegated scopes, grouped by area with readable names, as
//! Microsoft documents them (learn.microsoft.com, "Authenticate with OAuth 2.0 / Scopes";
//! `docs/integrate/includes/scopes.md` in MicrosoftDocs/azure-devops-docs, 2025-07-16: 85 scopes,
//! areas as named there). A token may carry a
//! scope missing here: it is shown verbatim and kept unchanged; Azure DevOps decides validity.

/// A scope a token can carry, with a name people can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeInfo {
    pub name: &'static str,
    pub label: &'static str,
}

const fn s(name: &'static str, label: &'static str) -> ScopeInfo {
    ScopeInfo { name, label }
}

/// Scopes grouped by area, for the scope picker.
pub const SCOPE_AREAS: &[(&str, &[ScopeInfo])] = &[
    (
        "Advanced Security",
        &[
            s("vso.advsec", "Read"),
            s("vso.advsec_write", "Read & write"),
            s("vso.advsec_manage", "Read, write & manage"),
        ],
    ),
    (
        "Agent Pools",
        &[
            s("vso.agentpools", "Read"),
            s("vso.agentpools_manage", "Read & manage"),
            s("vso.environment_manage", "Environments: read & manage"),
        ],
    ),
    ("Analytics", &[s("vso.analytics", "Read")]),
    (
        "Auditing",
        &[s("vso.auditlog", "Read audit log"), s("vso.auditstreams_manage", "Manage audit streams")],
    ),
    ("Build", &[s("vso.build", "Read"), s("vso.build_execute", "Read & execute")]),
    (
        "Code",
        &[
            s("vso.code", "Read"),
            s("vso.code_write", "Read & write"),
            s("vso.code_manage", "Read, write & manage"),
            s("vso.code_full", "Full"),
            s("vso.code_status", "Status"),
        ],
    ),
    ("Connected Server", &[s("vso.connected_server", "Connected server")]),
    (
        "Entitlements",
        &[
            s("vso.entitlements", "Read"),
            s("vso.memberentitlementmanagement", "Member entitlement management: read"),
            s("vso.memberentitlementmanagement_write", "Member entitlement management: write"),
        ],
    ),
    (
        "Extensions",
        &[
            s("vso.extension", "Read"),
            s("vso.extension_manage", "Read & manage"),
            s("vso.extension.data", "Data: read"),
            s("vso.extension.data_write", "Data: read & write"),
        ],
    ),
    (
        "GitHub Connections",
        &[s("vso.githubconnections", "Read"), s("vso.githubconnections_manage", "Read & manage")],
    ),
    (
        "Graph & Identity",
        &[
            s("vso.graph", "Graph: read"),
            s("vso.graph_manage", "Graph: read & manage"),
            s("vso.identity", "Identity: read"),
            s("vso.identity_manage", "Identity: manage"),
        ],
    ),
    ("Machine Group", &[s("vso.machinegroup_manage", "Deployment groups: read & manage")]),
    (
        "Marketplace",
        &[
            s("vso.gallery", "Read"),
            s("vso.gallery_acquire", "Acquire"),
            s("vso.gallery_publish", "Publish"),
            s("vso.gallery_manage", "Manage"),
        ],
    ),
    (
        "Notifications",
        &[
            s("vso.notification", "Read"),
            s("vso.notification_write", "Write"),
            s("vso.notification_manage", "Manage"),
            s("vso.notification_diagnostics", "Diagnostics"),
        ],
    ),
    (
        "Packaging",
        &[
            s("vso.packaging", "Read"),
            s("vso.packaging_write", "Read & write"),
            s("vso.packaging_manage", "Read, write & manage"),
        ],
    ),
    // Not in the docs' table: declared by the PAT lifecycle API's 7.2 spec
    // (`specification/tokens/7.2/tokens.json`, securityDefinitions.EntraOAuth).
    ("Personal Access Tokens", &[s("vso.pats", "Read"), s("vso.pats_manage", "Read & manage")]),
    (
        "Pipeline Resources",
        &[s("vso.pipelineresources_use", "Use"), s("vso.pipelineresources_manage", "Use & manage")],
    ),
    (
        "Project and Team",
        &[
            s("vso.project", "Read"),
            s("vso.project_write", "Read & write"),
            s("vso.project_manage", "Read, write & manage"),
        ],
    ),
    ("Threads", &[s("vso.threads_full", "Pull request threads")]),
    (
        "Release",
        &[
            s("vso.release", "Read"),
            s("vso.release_execute", "Read, write & execute"),
            s("vso.release_manage", "Read, write, execute & manage"),
        ],
    ),
    (
        "Secure Files",
        &[
            s("vso.securefiles_read", "Read"),
            s("vso.securefiles_write", "Read & create"),
            s("vso.securefiles_manage", "Read, create & manage"),
        ],
    ),
    ("Security", &[s("vso.security_manage", "Manage")]),
    (
        "Service Connections",
        &[
            s("vso.serviceendpoint", "Read"),
            s("vso.serviceendpoint_query", "Read & query"),
            s("vso.serviceendpoint_manage", "Read, query & manage"),
        ],
    ),
    (
        "Service Hooks",
        &[
            s("vso.hooks", "Read"),
            s("vso.hooks_write", "Read & write"),
            s("vso.hooks_interact", "Publish events"),
        ],
    ),
    ("Settings", &[s("vso.settings", "Read"), s("vso.settings_write", "Read & write")]),
    (
        "Symbols",
        &[
            s("vso.symbols", "Read"),
            s("vso.symbols_write", "Read & write"),
            s("vso.symbols_manage", "Read, write & manage"),
        ],
    ),
    (
        "Task Groups",
        &[
            s("vso.taskgroups_read", "Read"),
            s("vso.taskgroups_write", "Read & create"),
            s("vso.taskgroups_manage", "Read, create & manage"),
        ],
    ),
    ("Team Dashboard", &[s("vso.dashboards", "Read"), s("vso.dashboards_manage", "Manage")]),
    ("Test Management", &[s("vso.test", "Read"), s("vso.test_write", "Read & write")]),
    (
        "Tokens",
        &[
            s("vso.tokens", "Delegated authorization tokens"),
            s("vso.tokenadministration", "Token administration"),
        ],
    ),
    ("User Profile", &[s("vso.profile", "Read"), s("vso.profile_write", "Write")]),
    (
        "Variable Groups",
        &[
            s("vso.variablegroups_read", "Read"),
            s("vso.variablegroups_write", "Read & create"),
            s("vso.variablegroups_manage", "Read, create & manage"),
        ],
    ),
    ("Wiki", &[s("vso.wiki", "Read"), s("vso.wiki_write", "Read & write")]),
    (
        "Work Items",
        &[
            s("vso.work", "Read"),
            s("vso.work_write", "Read & write"),
            s("vso.work_full", "Read, write & manage"),
        ],
    ),
];

/// The scope name of full access, which an organization policy may forbid.
pub const FULL_ACCESS: &str = "app_token";

/// Whether the catalogue has a name for this scope (`app_token` included).
pub fn is_known(name: &str) -> bool {
    name == FULL_ACCESS || SCOPE_AREAS.iter().any(|(_, scopes)| scopes.iter().any(|s| s.name == name))
}

/// Whether `name` has the shape of a scope (`vso.agentpools_manage`, `vso.extension.data_write`):
/// what the portal checks of a scope it has no name for, leaving validity to Azure DevOps.
pub fn looks_like_scope(name: &str) -> bool {
    (1..=MAX_SCOPE_CHARS).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The longest scope name accepted as-is.
pub const MAX_SCOPE_CHARS: usize = 100;

/// A readable name for a scope: `Code: Read & write` for `vso.code_write`; the scope itself
/// when the catalogue has no name for it.
pub fn scope_label(name: &str) -> String {
    if name == FULL_ACCESS {
        return "Full access".into();
    }
    SCOPE_AREAS
        .iter()
        .find_map(|(area, scopes)| {
            scopes.iter().find(|s| s.name == name).map(|s| format!("{area}: {}", s.label))
        })
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_every_documented_scope_once() {
        let names: Vec<&str> = SCOPE_AREAS.iter().flat_map(|(_, s)| s.iter().map(|s| s.name)).collect();
        assert_eq!(names.len(), 87, "85 documented scopes and the PAT API's two");
        assert!(names.len() >= 80, "{} scopes", names.len());
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a scope is listed twice");
        assert!(names.iter().all(|n| looks_like_scope(n)));
        assert_eq!(scope_label("vso.agentpools_manage"), "Agent Pools: Read & manage");
    }

    #[test]
    fn unknown_scopes_keep_their_own_name() {
        assert_eq!(scope_label("vso.future_thing"), "vso.future_thing");
        assert!(!is_known("vso.future_thing") && looks_like_scope("vso.future_thing"));
        for odd in ["", "a b", "vso.<x>", "ü", &"a".repeat(101)] {
            assert!(!looks_like_scope(odd), "{odd:?}");
        }
    }
}
