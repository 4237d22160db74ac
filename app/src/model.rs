//! Wire types shared by the UI and the server functions.

use serde::{Deserialize, Serialize};

/// The signed-in person, as shown in the page. No token ever goes in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub username: String,
    pub tenant_id: String,
}

/// Who is looking at the page: the signed-in user, if any, and whether this is the demo stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: Option<Me>,
    /// True when the app runs on the embedded demo stack.
    pub demo: bool,
}

/// Which tokens a list shows (Azure DevOps `displayFilterOption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PatFilter {
    #[default]
    Active,
    Expired,
    Revoked,
    All,
}

impl PatFilter {
    pub const ALL: [PatFilter; 4] =
        [PatFilter::Active, PatFilter::Expired, PatFilter::Revoked, PatFilter::All];

    /// The value Azure DevOps expects in `displayFilterOption`.
    pub fn as_api(self) -> &'static str {
        match self {
            PatFilter::Active => "active",
            PatFilter::Expired => "expired",
            PatFilter::Revoked => "revoked",
            PatFilter::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_api() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PatFilter::Active => "Active",
            PatFilter::Expired => "Expired",
            PatFilter::Revoked => "Revoked",
            PatFilter::All => "All",
        }
    }
}

/// Where a token stands, derived on the server from the list it came from and its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatStatus {
    Active,
    /// Active, but `validTo` is within the next seven days.
    ExpiringSoon,
    Expired,
    Revoked,
}

impl PatStatus {
    pub fn label(self) -> &'static str {
        match self {
            PatStatus::Active => "Active",
            PatStatus::ExpiringSoon => "Expires soon",
            PatStatus::Expired => "Expired",
            PatStatus::Revoked => "Revoked",
        }
    }

    pub fn css_class(self) -> &'static str {
        match self {
            PatStatus::Active => "status status-active",
            PatStatus::ExpiringSoon => "status status-soon",
            PatStatus::Expired => "status status-expired",
            PatStatus::Revoked => "status status-revoked",
        }
    }
}

/// One personal access token as listed. The secret is never part of this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatSummary {
    pub authorization_id: String,
    pub display_name: String,
    pub scopes: Vec<String>,
    /// ISO 8601 UTC.
    pub valid_from: String,
    /// ISO 8601 UTC.
    pub valid_to: String,
    /// `None` means all organizations.
    pub target_accounts: Option<Vec<String>>,
    pub status: PatStatus,
}

/// One page of tokens and the token for the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatPage {
    pub organization: String,
    pub tokens: Vec<PatSummary>,
    pub continuation_token: Option<String>,
}

/// How the token table is sorted (Azure DevOps `sortByOption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PatSort {
    #[default]
    Name,
    ValidTo,
    Status,
}

impl PatSort {
    pub const ALL: [PatSort; 3] = [PatSort::Name, PatSort::ValidTo, PatSort::Status];

    /// The value Azure DevOps expects in `sortByOption`.
    pub fn as_api(self) -> &'static str {
        match self {
            PatSort::Name => "displayName",
            PatSort::ValidTo => "displayDate",
            PatSort::Status => "status",
        }
    }

    /// The value in this app's URLs.
    pub fn key(self) -> &'static str {
        match self {
            PatSort::Name => "name",
            PatSort::ValidTo => "valid_to",
            PatSort::Status => "status",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PatSort::Name => "Name",
            PatSort::ValidTo => "Valid to",
            PatSort::Status => "Status",
        }
    }
}

/// When a token stops working: a number of days from now (the presets) or a calendar date
/// (`YYYY-MM-DD`, valid to the end of that day, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Expiry {
    Days(u32),
    Date(String),
}

/// What a person fills in to create a token, or to change one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatForm {
    pub name: String,
    pub scopes: Vec<String>,
    pub expiry: Expiry,
    /// Valid in every organization the user belongs to, not only the current one.
    pub all_orgs: bool,
}

/// A token just created (or rotated): the only answer that ever carries a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedPat {
    pub token: PatSummary,
    /// Shown once; never stored or logged by the server.
    pub secret: String,
}

impl std::fmt::Debug for CreatedPat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedPat").field("token", &self.token).field("secret", &"[redacted]").finish()
    }
}

/// The outcome of a rotation: the new token, and whether the old one could be revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotated {
    pub created: CreatedPat,
    pub old_revoked: bool,
    /// Why the old token is still valid, when it is.
    pub revoke_problem: Option<String>,
}

/// The signed-in user's Azure DevOps profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub display_name: String,
    pub email: Option<String>,
    /// The member id (`publicAlias`) organizations are looked up by.
    pub member_id: String,
}

/// An Azure DevOps organization the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: String,
    pub name: String,
}

/// The organizations and which one the app uses when none is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orgs {
    pub orgs: Vec<Org>,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub last_update: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectPage {
    pub organization: String,
    pub projects: Vec<Project>,
    pub continuation_token: Option<String>,
}

/// The dashboard: counts by status, what expires soon, and expiries per week ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub organization: String,
    pub active: u32,
    pub expiring_soon: u32,
    pub expired: u32,
    pub revoked: u32,
    /// Tokens expiring within seven days, soonest first.
    pub soon: Vec<PatSummary>,
    /// Active tokens expiring in each of the next `UPCOMING_WEEKS` weeks.
    pub upcoming: Vec<u32>,
}

pub const UPCOMING_WEEKS: usize = 12;

/// Azure DevOps' application id in Entra ID: the resource (audience) of every access token here.
pub const DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

/// A scope a token can carry, with a name people can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeInfo {
    pub name: &'static str,
    pub label: &'static str,
}

/// Scopes grouped by area, for the scope picker.
pub const SCOPE_AREAS: &[(&str, &[ScopeInfo])] = &[
    (
        "Code",
        &[
            ScopeInfo { name: "vso.code", label: "Read" },
            ScopeInfo { name: "vso.code_write", label: "Read & write" },
            ScopeInfo { name: "vso.code_manage", label: "Read, write & manage" },
            ScopeInfo { name: "vso.code_status", label: "Status" },
        ],
    ),
    (
        "Work items",
        &[
            ScopeInfo { name: "vso.work", label: "Read" },
            ScopeInfo { name: "vso.work_write", label: "Read & write" },
            ScopeInfo { name: "vso.work_full", label: "Read, write & manage" },
        ],
    ),
    (
        "Build",
        &[
            ScopeInfo { name: "vso.build", label: "Read" },
            ScopeInfo { name: "vso.build_execute", label: "Read & execute" },
        ],
    ),
    (
        "Release",
        &[
            ScopeInfo { name: "vso.release", label: "Read" },
            ScopeInfo { name: "vso.release_execute", label: "Read, write & execute" },
            ScopeInfo { name: "vso.release_manage", label: "Read, write, execute & manage" },
        ],
    ),
    (
        "Packaging",
        &[
            ScopeInfo { name: "vso.packaging", label: "Read" },
            ScopeInfo { name: "vso.packaging_write", label: "Read & write" },
            ScopeInfo { name: "vso.packaging_manage", label: "Read, write & manage" },
        ],
    ),
    (
        "Project and team",
        &[
            ScopeInfo { name: "vso.project", label: "Read" },
            ScopeInfo { name: "vso.project_write", label: "Read & write" },
            ScopeInfo { name: "vso.project_manage", label: "Read, write & manage" },
        ],
    ),
    (
        "Variable groups",
        &[
            ScopeInfo { name: "vso.variablegroups_read", label: "Read" },
            ScopeInfo { name: "vso.variablegroups_write", label: "Read & write" },
        ],
    ),
    (
        "Identity and people",
        &[
            ScopeInfo { name: "vso.profile", label: "Profile (read)" },
            ScopeInfo { name: "vso.graph", label: "Graph (read)" },
            ScopeInfo { name: "vso.identity", label: "Identity (read)" },
        ],
    ),
    ("Tokens", &[ScopeInfo { name: "vso.tokens", label: "Delegated authorization tokens" }]),
    (
        "Wiki",
        &[
            ScopeInfo { name: "vso.wiki", label: "Read" },
            ScopeInfo { name: "vso.wiki_write", label: "Read & write" },
        ],
    ),
];

/// The scope name of full access, which an organization policy may forbid.
pub const FULL_ACCESS: &str = "app_token";

/// A readable name for a scope: `Code: Read & write` for `vso.code_write`.
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

/// Longest display name Azure DevOps accepts.
pub const MAX_NAME_CHARS: usize = 256;
