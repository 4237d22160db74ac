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
