//! The catalogue of Azure DevOps' PAT scopes, grouped by area with readable names, as Microsoft
//! publishes them (learn.microsoft.com, "Authenticate with OAuth 2.0 / Available scopes";
//! `docs/integrate/includes/scopes.md` in MicrosoftDocs/azure-devops-docs, 2025-07-16: 85 scopes
//! besides `user_impersonation`, areas as named there), with the table's "High-privilege" flag
//! and its "(No longer public.)" remarks. A token may carry a scope missing here: it is shown
//! verbatim (named, when the portal knows it) and kept unchanged; Azure DevOps decides validity.

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

/// The scope name of full access, which a tenant policy may forbid.
pub const FULL_ACCESS: &str = "app_token";

/// The rows the table flags "High-privilege: Yes" (34, and `user_impersonation`, which is no
/// PAT scope).
pub const HIGH_PRIVILEGE: [&str; 34] = [
    "vso.advsec",
    "vso.advsec_write",
    "vso.advsec_manage",
    "vso.agentpools_manage",
    "vso.environment_manage",
    "vso.auditstreams_manage",
    "vso.build_execute",
    "vso.code_write",
    "vso.code_manage",
    "vso.code_full",
    "vso.memberentitlementmanagement_write",
    "vso.extension_manage",
    "vso.githubconnections_manage",
    "vso.graph_manage",
    "vso.identity_manage",
    "vso.machinegroup_manage",
    "vso.gallery_publish",
    "vso.gallery_manage",
    "vso.packaging_write",
    "vso.packaging_manage",
    "vso.pipelineresources_use",
    "vso.pipelineresources_manage",
    "vso.project_manage",
    "vso.release_execute",
    "vso.release_manage",
    "vso.securefiles_read",
    "vso.securefiles_write",
    "vso.securefiles_manage",
    "vso.security_manage",
    "vso.serviceendpoint_manage",
    "vso.taskgroups_manage",
    "vso.tokens",
    "vso.tokenadministration",
    "vso.variablegroups_manage",
];

/// The rows whose description ends "(No longer public.)": the Service Hooks scopes.
pub const NO_LONGER_PUBLIC: [&str; 3] = ["vso.hooks", "vso.hooks_write", "vso.hooks_interact"];

/// Scopes a token may carry that are not PAT scopes of the table, with a readable name: the PAT
/// lifecycle API's own Entra scopes (`specification/tokens/7.2/tokens.json`,
/// `securityDefinitions.EntraOAuth`), which older versions of this portal offered, and
/// `vso.governance`, which "might not be available in the user interface" (the PAT article,
/// 2026-09-04). Never offered; read and kept when a token has them.
pub const NOT_OFFERED: [ScopeInfo; 3] = [
    s("vso.pats", "Personal access tokens: Read (an Entra scope of the lifecycle API, not a PAT scope)"),
    s(
        "vso.pats_manage",
        "Personal access tokens: Read & manage (an Entra scope of the lifecycle API, not a PAT scope)",
    ),
    s("vso.governance", "Governance (not shown in Azure DevOps' own page)"),
];

/// Whether the table flags `name` as high privilege.
pub fn is_high_privilege(name: &str) -> bool {
    HIGH_PRIVILEGE.contains(&name)
}

/// Whether the table marks `name` "No longer public".
pub fn is_no_longer_public(name: &str) -> bool {
    NO_LONGER_PUBLIC.contains(&name)
}

/// Whether the picker offers this scope (`app_token` included).
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
        .or_else(|| NOT_OFFERED.iter().find(|s| s.name == name).map(|s| s.label.to_string()))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_every_documented_scope_once() {
        let names: Vec<&str> = SCOPE_AREAS.iter().flat_map(|(_, s)| s.iter().map(|s| s.name)).collect();
        assert_eq!(names.len(), 85, "the table's 85 PAT scopes");
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a scope is listed twice");
        assert!(names.iter().all(|n| looks_like_scope(n)));
        assert_eq!(scope_label("vso.agentpools_manage"), "Agent Pools: Read & manage");
        for flagged in HIGH_PRIVILEGE.iter().chain(&NO_LONGER_PUBLIC) {
            assert!(is_known(flagged), "{flagged} is flagged but not offered");
        }
    }

    /// `docs/integrate/includes/scopes.md`: `vso.pats` and `vso.pats_manage` are no rows of the
    /// table; a token that carries them still reads well and keeps them.
    #[test]
    fn lifecycle_scopes_are_read_but_not_offered() {
        for name in ["vso.pats", "vso.pats_manage", "vso.governance"] {
            assert!(!is_known(name), "{name} is offered");
            assert_ne!(scope_label(name), name);
        }
        assert!(is_high_privilege("vso.code_write") && !is_high_privilege("vso.code"));
        assert!(is_high_privilege("vso.securefiles_read") && !is_high_privilege("vso.packaging"));
        assert!(is_no_longer_public("vso.hooks_write") && !is_no_longer_public("vso.build"));
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
