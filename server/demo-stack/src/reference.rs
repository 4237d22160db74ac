//! What Microsoft publishes that the stand-ins answer by, written here from the reference and
//! not taken from the portal (`app`): a stand-in built from the client's own assumptions would
//! prove nothing. A server test checks that the portal's copies agree with these.

/// Azure DevOps' resource (application) id in Microsoft Entra ID: the audience of its access
/// tokens and the prefix of its scopes. "Use the Azure DevOps application ID, not our resource
/// URI" (<https://learn.microsoft.com/azure/devops/cli/entra-tokens>, `docs/cli/entra-tokens.md`).
pub const DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

/// "All existing global PATs stop working on December 1, 2026" (the PAT article, ms.date
/// 2026-09-21, <https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate>).
pub const GLOBAL_PATS_RETIRE_ON: &str = "2026-12-01T00:00:00Z";

/// The "Scope" column of Microsoft's scope table (`docs/integrate/includes/scopes.md` in
/// MicrosoftDocs/azure-devops-docs, ms.date 2025-07-16; rendered at
/// <https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/oauth#available-scopes>),
/// every row but `user_impersonation`, which is an Entra permission and not a PAT scope. The
/// table has no `vso.pats` or `vso.pats_manage`: the PAT lifecycle API's own Entra scopes
/// (`specification/tokens/7.2/tokens.json`, `securityDefinitions.EntraOAuth`).
pub const PAT_SCOPE_TABLE: [&str; 85] = [
    "vso.advsec",
    "vso.advsec_write",
    "vso.advsec_manage",
    "vso.agentpools",
    "vso.agentpools_manage",
    "vso.environment_manage",
    "vso.analytics",
    "vso.auditlog",
    "vso.auditstreams_manage",
    "vso.build",
    "vso.build_execute",
    "vso.code",
    "vso.code_write",
    "vso.code_manage",
    "vso.code_full",
    "vso.code_status",
    "vso.connected_server",
    "vso.entitlements",
    "vso.memberentitlementmanagement",
    "vso.memberentitlementmanagement_write",
    "vso.extension",
    "vso.extension_manage",
    "vso.extension.data",
    "vso.extension.data_write",
    "vso.githubconnections",
    "vso.githubconnections_manage",
    "vso.graph",
    "vso.graph_manage",
    "vso.identity",
    "vso.identity_manage",
    "vso.machinegroup_manage",
    "vso.gallery",
    "vso.gallery_acquire",
    "vso.gallery_publish",
    "vso.gallery_manage",
    "vso.notification",
    "vso.notification_write",
    "vso.notification_manage",
    "vso.notification_diagnostics",
    "vso.packaging",
    "vso.packaging_write",
    "vso.packaging_manage",
    "vso.pipelineresources_use",
    "vso.pipelineresources_manage",
    "vso.project",
    "vso.project_write",
    "vso.project_manage",
    "vso.release",
    "vso.release_execute",
    "vso.release_manage",
    "vso.securefiles_read",
    "vso.securefiles_write",
    "vso.securefiles_manage",
    "vso.security_manage",
    "vso.serviceendpoint",
    "vso.serviceendpoint_query",
    "vso.serviceendpoint_manage",
    "vso.hooks",
    "vso.hooks_write",
    "vso.hooks_interact",
    "vso.settings",
    "vso.settings_write",
    "vso.symbols",
    "vso.symbols_write",
    "vso.symbols_manage",
    "vso.taskgroups_read",
    "vso.taskgroups_write",
    "vso.taskgroups_manage",
    "vso.dashboards",
    "vso.dashboards_manage",
    "vso.test",
    "vso.test_write",
    "vso.threads_full",
    "vso.tokens",
    "vso.tokenadministration",
    "vso.profile",
    "vso.profile_write",
    "vso.variablegroups_read",
    "vso.variablegroups_write",
    "vso.variablegroups_manage",
    "vso.wiki",
    "vso.wiki_write",
    "vso.work",
    "vso.work_write",
    "vso.work_full",
];

/// "Some scopes, such as `vso.governance`, might not be available in the user interface (UI)
/// if they're not for widespread public use" (the PAT article, ms.date 2026-09-04): a PAT may
/// carry it though the table does not list it.
pub const NOT_IN_THE_UI: [&str; 1] = ["vso.governance"];

/// Scopes of an older version of the table (Load Test, retired): real tokens still carry them,
/// and the portal's catalogue has no name for them.
pub const RETIRED_SCOPES: [&str; 2] = ["vso.loadtest", "vso.loadtest_write"];

/// The full-access scope of a PAT ("Full access" in the UI), which the tenant's "Restrict
/// full-scoped personal access token creation" policy refuses.
pub const FULL_ACCESS_SCOPE: &str = "app_token";

/// The table's Packaging category: what "Allow creation of PAT with packaging scope only" lets a
/// person outside the allowlist create in an organization that restricts PAT creation
/// (`manage-pats-with-policies-for-administrators`; the Artifacts include
/// `docs/artifacts/_shared/generate-pat.md` names the same three).
pub const PACKAGING_SCOPES: [&str; 3] = ["vso.packaging", "vso.packaging_write", "vso.packaging_manage"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_each_scope_once_and_no_lifecycle_scope() {
        let mut names = PAT_SCOPE_TABLE.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PAT_SCOPE_TABLE.len());
        for absent in ["vso.pats", "vso.pats_manage", "user_impersonation", "vso.governance"] {
            assert!(!PAT_SCOPE_TABLE.contains(&absent), "{absent}");
        }
        assert!(PACKAGING_SCOPES.iter().all(|p| PAT_SCOPE_TABLE.contains(p)));
    }
}
