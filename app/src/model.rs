//! Wire types shared by the UI and the server functions.

use serde::{Deserialize, Serialize};

/// The signed-in person, as shown in the page. No token ever goes in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub username: String,
    pub tenant_id: String,
    /// The Azure DevOps permissions this sign-in's access token carries (scope names, such as
    /// `vso.pats` or `user_impersonation`): every one granted for the user, asked for or not.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The tenant's maximum token lifetime in days, once Azure DevOps shortened a new token's
    /// expiry to it (the policy itself cannot be read).
    #[serde(default)]
    pub max_lifetime_days: Option<u32>,
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
    /// `valid_to` from now, in words ("in 2 days", "3 weeks ago"; see [`crate::when::relative`]).
    #[serde(default)]
    pub expires: String,
    /// `None` means all organizations.
    pub target_accounts: Option<Vec<String>>,
    pub status: PatStatus,
    /// Set for a global token (valid in all organizations): whether it still works.
    pub global: Option<GlobalPat>,
}

/// Where a global token (valid in all organizations) stands against their retirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlobalPat {
    /// Before [`GLOBAL_PATS_RETIRE_ON`]: it works, until then.
    Retiring,
    /// From that date on: it no longer works anywhere.
    Retired,
}

impl GlobalPat {
    pub fn label(self) -> &'static str {
        match self {
            GlobalPat::Retiring => "Global: stops working on 1 Dec 2026",
            GlobalPat::Retired => "Global: no longer works",
        }
    }
}

/// The day Azure DevOps stops accepting global PATs (valid in all organizations), 00:00 UTC.
/// <https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate>
pub const GLOBAL_PATS_RETIRE_ON: &str = "2026-12-01T00:00:00Z";

/// One page of tokens and the token for the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatPage {
    pub organization: String,
    pub tokens: Vec<PatSummary>,
    pub continuation_token: Option<String>,
    /// Why this list is partial or was slow, in sentences for the person (a search cut at its
    /// page limit, more revoked tokens than are read, Azure DevOps asking the portal to wait).
    #[serde(default)]
    pub notice: Option<String>,
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

/// What a person fills in to create a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatForm {
    pub name: String,
    pub scopes: Vec<String>,
    pub expiry: Expiry,
    /// Valid in every organization the user belongs to, not only the current one.
    pub all_orgs: bool,
}

/// What a person changed on an existing token: only these fields are sent to Azure DevOps,
/// so a rename keeps the expiry and the scopes exactly as they were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatChanges {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expiry: Option<Expiry>,
}

impl PatChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.scopes.is_none() && self.expiry.is_none()
    }
}

/// An expiry an organization's lifetime policy cut short: what was asked and what was granted
/// (both ISO 8601 UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryCut {
    pub asked: String,
    pub granted: String,
}

impl ExpiryCut {
    /// What the user is told.
    pub fn explain(&self) -> String {
        format!(
            "Your tenant's maximum token lifetime shortened the expiry: you asked for {}, Azure DevOps set {}.",
            self.asked.get(..10).unwrap_or_default(),
            self.granted.get(..10).unwrap_or_default()
        )
    }
}

/// A token just created (or rotated, or re-issued): the only answer that ever carries a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedPat {
    pub token: PatSummary,
    /// Shown once; never stored or logged by the server.
    pub secret: String,
    /// Set when Azure DevOps granted an earlier expiry than asked.
    pub cut: Option<ExpiryCut>,
}

impl std::fmt::Debug for CreatedPat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedPat")
            .field("token", &self.token)
            .field("secret", &"[redacted]")
            .field("cut", &self.cut)
            .finish()
    }
}

/// A token after an edit, and whether its new expiry was cut short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub token: PatSummary,
    pub cut: Option<ExpiryCut>,
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
    /// Tokens expiring within `lead_days`, soonest first.
    pub soon: Vec<PatSummary>,
    /// Active tokens expiring in each of the next `UPCOMING_WEEKS` weeks.
    pub upcoming: Vec<u32>,
    /// Active global tokens (valid in all organizations), and whether they already retired.
    pub global: u32,
    pub global_state: Option<GlobalPat>,
    /// How many days ahead "expiring soon" looks here: the reminder lead time.
    pub lead_days: u32,
    /// Why the counts are partial or were slow, in sentences for the person.
    #[serde(default)]
    pub notice: Option<String>,
    /// Working tokens for which Microsoft documents a replacement (`way_off`).
    #[serde(default)]
    pub replaceable: u32,
}

pub const UPCOMING_WEEKS: usize = 12;

/// The reminder lead time (days before expiry) when none was chosen, the longest allowed, and
/// the choices the dashboard offers.
pub const DEFAULT_LEAD_DAYS: u32 = 7;
pub const MAX_LEAD_DAYS: u32 = 60;
pub const LEAD_CHOICES: [u32; 5] = [1, 3, 7, 14, 30];

/// Azure DevOps' application id in Entra ID: the resource (audience) of every access token here.
pub const DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

/// Longest display name Azure DevOps accepts.
pub const MAX_NAME_CHARS: usize = 256;
