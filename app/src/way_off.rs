//! A way off each PAT: what Microsoft documents in place of a personal access token for what a
//! token is used for, chosen from its scopes (and, where scopes cannot tell, its name). Each
//! replacement cites the page it comes from; the tests below hold every rule.
//!
//! Common ground, the PAT article (ms.date 2026-09-21,
//! <https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate>):
//! "Avoid PATs when a more secure authentication method is available", and its "Consider
//! alternatives" list, which the entries below follow.

/// A documented replacement for a PAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WayOff {
    /// Stable, in test ids (`way-off-{id}`).
    pub id: &'static str,
    /// What to use instead, in a few words.
    pub title: &'static str,
    /// How, in a sentence or two.
    pub how: &'static str,
    /// The command that does it, when one does.
    pub command: Option<&'static str>,
    /// Microsoft's page for it.
    pub link: &'static str,
}

/// Marketplace publishing. code.visualstudio.com, "Publishing Extensions / Secure automated
/// publishing to Visual Studio Marketplace" (microsoft/vscode-docs#9886): "On December 1, 2026,
/// global Personal Access Tokens (PATs) in Azure DevOps are retired. To keep publishing
/// extensions, use secure automated publishing with Microsoft Entra ID instead of PATs"; vsce's
/// `--azure-credential` ("Use Microsoft Entra ID for authentication", microsoft/vscode-vsce#964).
pub const MARKETPLACE: WayOff = WayOff {
    id: "marketplace",
    title: "Publish with Microsoft Entra ID",
    how: "Global tokens stopped working on 1 December 2026, and the Marketplace asked for one. Publish with vsce signed in to Microsoft Entra ID (Azure CLI locally, or a pipeline's Azure DevOps service connection); keep an organization-scoped token with Marketplace (publish) only for a tool that cannot sign in.",
    command: Some("vsce publish --azure-credential"),
    link: "https://code.visualstudio.com/api/working-with-extensions/publishing-extension#secure-automated-publishing-to-visual-studio-marketplace",
};

/// Agent registration: "the PAT is used only at the time of registering the agent, and not for
/// subsequent communication" (`docs/pipelines/agents/personal-access-token-agent-registration.md`);
/// `agent-authentication-options` lists a service principal and device code as PAT-free ways.
pub const AGENT: WayOff = WayOff {
    id: "agent",
    title: "A short-lived token, revoked once the agent is registered",
    how: "An agent uses its token only while it registers, then listens with its own credential. Make the token live a day, register, and revoke it; or register with a service principal or device code sign-in instead.",
    command: None,
    link: "https://learn.microsoft.com/azure/devops/pipelines/agents/personal-access-token-agent-registration",
};

/// Package feeds: "For Azure Artifacts, use the Azure Artifacts Credential Provider" (the PAT
/// article's "Consider alternatives"); in Pipelines, the NuGet/npm authenticate tasks. The
/// provider's README: set `ARTIFACTS_CREDENTIALPROVIDER_TOKENTYPE=SelfDescribing` for a
/// short-lived Entra token rather than a PAT.
pub const ARTIFACTS: WayOff = WayOff {
    id: "artifacts",
    title: "The Azure Artifacts Credential Provider",
    how: "It signs in for NuGet, dotnet, pip and others and keeps its own short-lived credential (with SelfDescribing, an Entra token rather than a PAT); in pipelines, use the authenticate tasks.",
    command: Some("ARTIFACTS_CREDENTIALPROVIDER_TOKENTYPE=SelfDescribing"),
    link: "https://github.com/microsoft/artifacts-credprovider",
};

/// Git on a laptop: "you can change the default Git authentication to use the preferred
/// Microsoft Entra tokens" with `git config --global credential.azreposCredentialType oauth`
/// (`docs/repos/git/set-up-credential-managers.md`).
pub const GIT: WayOff = WayOff {
    id: "git",
    title: "Git Credential Manager with Microsoft Entra sign-in",
    how: "With the setting below, Git Credential Manager signs you in and uses one-hour Entra tokens instead of making PATs.",
    command: Some("git config --global credential.azreposCredentialType oauth"),
    link: "https://learn.microsoft.com/azure/devops/repos/git/set-up-credential-managers",
};

/// Pipelines that reach Azure DevOps: "An Azure DevOps service connection lets your pipelines
/// authenticate to Azure DevOps without Personal Access Tokens (PATs) by using Microsoft Entra
/// workload identities" (`docs/pipelines/library/add-devops-entra-service-connection.md`).
pub const PIPELINES: WayOff = WayOff {
    id: "pipelines",
    title: "An Azure DevOps service connection with workload identity federation",
    how: "Pipelines that call other organizations, the REST API or feeds use the service connection's identity: no secret to store or rotate.",
    command: None,
    link: "https://learn.microsoft.com/azure/devops/pipelines/library/add-devops-entra-service-connection",
};

/// Scripts and one-off calls: "Generate a Microsoft Entra ID access token with the `az account
/// get-access-token` command using the Azure DevOps resource ID" (`docs/cli/entra-tokens.md`);
/// "You can use Microsoft Entra tokens anywhere that a PAT is used" (the PAT article).
pub const SCRIPTS: WayOff = WayOff {
    id: "scripts",
    title: "An Entra token from Azure CLI",
    how: "The command below prints one; send it as a Bearer token. It lasts an hour, so nothing long-lived is stored.",
    command: Some("az account get-access-token --resource 499b84ac-1321-427f-aa17-267ca6975798 --query accessToken -o tsv"),
    link: "https://learn.microsoft.com/azure/devops/cli/entra-tokens",
};

/// Every replacement, in the order the rules try them.
pub const ALL: [WayOff; 6] = [MARKETPLACE, AGENT, ARTIFACTS, GIT, PIPELINES, SCRIPTS];

/// Scopes that run or deploy pipelines and reach their connections.
const PIPELINE_SCOPES: [&str; 7] = [
    "vso.build_execute",
    "vso.release_execute",
    "vso.release_manage",
    "vso.serviceendpoint",
    "vso.serviceendpoint_query",
    "vso.serviceendpoint_manage",
    "vso.pipelineresources_use",
];

/// Words in a token's name that say a script or a tool calls the REST API with it.
const SCRIPT_WORDS: [&str; 8] = ["script", "cli", "api", "automation", "export", "backup", "sync", "report"];

fn named(name: &str, words: &[&str]) -> bool {
    let name = name.to_lowercase();
    words.iter().any(|w| name.split(|c: char| !c.is_alphanumeric()).any(|part| part == *w))
}

/// The documented replacement that fits a token with these scopes and this name; `None` for
/// full access, or when neither says what the token is for.
pub fn way_off(scopes: &[String], name: &str) -> Option<WayOff> {
    let has = |f: &dyn Fn(&str) -> bool| scopes.iter().any(|s| f(s));
    let only = |f: &dyn Fn(&str) -> bool| !scopes.is_empty() && scopes.iter().all(|s| f(s));
    if has(&|s| s == crate::scopes::FULL_ACCESS) {
        return None;
    }
    if has(&|s| s.starts_with("vso.gallery")) || named(name, &["marketplace", "vsce", "tfx", "extension"]) {
        return Some(MARKETPLACE);
    }
    if has(&|s| s == "vso.agentpools_manage" || s == "vso.machinegroup_manage") || named(name, &["agent"]) {
        return Some(AGENT);
    }
    if only(&|s| s.starts_with("vso.packaging")) || named(name, &["npm", "nuget", "feed", "pip", "maven"]) {
        return Some(ARTIFACTS);
    }
    if only(&|s| matches!(s, "vso.code" | "vso.code_write" | "vso.code_status")) || named(name, &["git"]) {
        return Some(GIT);
    }
    if has(&|s| PIPELINE_SCOPES.contains(&s)) || named(name, &["pipeline", "ci", "deploy", "deployment"]) {
        return Some(PIPELINES);
    }
    named(name, &SCRIPT_WORDS).then_some(SCRIPTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(scopes: &str, name: &str) -> Option<&'static str> {
        let scopes: Vec<String> = scopes.split_whitespace().map(str::to_string).collect();
        way_off(&scopes, name).map(|w| w.id)
    }

    #[test]
    fn each_use_gets_its_documented_replacement() {
        assert_eq!(pick("vso.gallery_publish", "release"), Some("marketplace"));
        assert_eq!(pick("vso.code", "tfx publish"), Some("marketplace"));
        assert_eq!(pick("vso.agentpools_manage", "x"), Some("agent"));
        assert_eq!(pick("vso.machinegroup_manage", "x"), Some("agent"));
        assert_eq!(pick("vso.packaging_write", "x"), Some("artifacts"));
        assert_eq!(pick("vso.packaging vso.code", "NuGet restore"), Some("artifacts"));
        assert_eq!(pick("vso.code_write", "x"), Some("git"));
        assert_eq!(pick("vso.code vso.work", "git mirror"), Some("git"));
        assert_eq!(pick("vso.build_execute vso.code", "x"), Some("pipelines"));
        assert_eq!(pick("vso.serviceendpoint_manage vso.environment_manage", "x"), Some("pipelines"));
        assert_eq!(pick("vso.work", "Backup script"), Some("scripts"));
        assert_eq!(pick("vso.analytics vso.work", "Analytics export"), Some("scripts"));
    }

    #[test]
    fn full_access_and_unexplained_tokens_get_none() {
        assert_eq!(pick("app_token", "git"), None, "narrow a full-access token first");
        assert_eq!(pick("vso.securefiles_read vso.taskgroups_read", "Secure files reader"), None);
        assert_eq!(pick("", ""), None);
        // Words match whole: "agentless" is no agent, "scripted" no script.
        assert_eq!(pick("vso.work", "agentless scripted"), None);
    }

    #[test]
    fn every_replacement_links_a_page_and_has_a_test_id() {
        for w in ALL {
            assert!(w.link.starts_with("https://"), "{}", w.id);
            assert!(!w.how.contains('`'), "{}: plain text, commands apart", w.id);
            assert!(w.id.bytes().all(|b| b.is_ascii_lowercase()));
        }
    }
}
