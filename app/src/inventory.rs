//! Wire types of the inventory across organizations (`/tokens/all`) and of bulk changes to it.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::model::{PatStatus, PatSummary};

/// Tokens one bulk change may name.
pub const MAX_BULK: usize = 100;
/// The extensions a bulk change offers (days from today, as on a token's page).
pub const EXTEND_CHOICES: [u32; 3] = [7, 30, 90];

/// The user's tokens in every organization they belong to: one page of them, and the
/// organizations that could not be read, each with its own reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Every organization looked at, in the order Azure DevOps lists them.
    pub organizations: Vec<String>,
    pub tokens: Vec<InventoryRow>,
    pub failures: Vec<OrgFailure>,
    /// Tokens matching across every organization that answered (all pages).
    pub total: u32,
    /// The position of the next page, when there is one.
    pub next: Option<String>,
    /// Why the list was slow, when Azure DevOps asked the portal to slow down or wait.
    pub notice: Option<String>,
}

/// One token of the inventory and where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRow {
    /// The organization it is valid in; `None` for a global token (all organizations), listed once.
    pub organization: Option<String>,
    /// The organization the portal reads and changes it through (for a global token, the first
    /// one that listed it).
    pub via: String,
    pub token: PatSummary,
}

impl InventoryRow {
    pub fn target(&self) -> BulkTarget {
        BulkTarget { org: self.via.clone(), id: self.token.authorization_id.clone() }
    }
}

/// An organization whose tokens could not be read, and why (in words the user can act on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgFailure {
    pub organization: String,
    pub error: ApiError,
}

/// What a bulk change does to every token it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BulkAction {
    Revoke,
    /// A new expiry this many days from today (one of [`EXTEND_CHOICES`]).
    Extend {
        days: u32,
    },
}

impl BulkAction {
    /// The button and the heading of the preview.
    pub fn label(self) -> String {
        match self {
            BulkAction::Revoke => "Revoke".into(),
            BulkAction::Extend { days } => format!("Extend by {days} days"),
        }
    }
}

/// One token a bulk change names: its id and the organization to call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BulkTarget {
    pub org: String,
    pub id: String,
}

impl BulkTarget {
    /// The value of a row's checkbox, and its key in a selection.
    pub fn key(&self) -> String {
        format!("{}/{}", self.org, self.id)
    }

    pub fn parse(key: &str) -> Option<Self> {
        let (org, id) = key.split_once('/')?;
        Some(BulkTarget { org: org.to_string(), id: id.to_string() })
    }
}

/// What a bulk change will do, token by token, read fresh from Azure DevOps before anything changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPlan {
    pub action: BulkAction,
    pub items: Vec<BulkItem>,
    /// For an extension: the expiry every token gets (ISO 8601 UTC, whole seconds), fixed now so
    /// that applying the change twice (a retry) cannot extend twice.
    pub until: Option<String>,
}

impl BulkPlan {
    /// How many tokens the change would really touch.
    pub fn changing(&self) -> usize {
        self.items.iter().filter(|i| i.skip.is_none()).count()
    }

    /// The change to apply, as previewed.
    pub fn change(&self) -> BulkChange {
        match (self.action, &self.until) {
            (BulkAction::Extend { .. }, Some(until)) => BulkChange::ExtendTo { until: until.clone() },
            _ => BulkChange::Revoke,
        }
    }
}

/// A bulk change as it is applied: an extension names the absolute expiry its preview showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BulkChange {
    Revoke,
    /// Every token valid to this instant (ISO 8601 UTC).
    ExtendTo {
        until: String,
    },
}

/// How a bulk change is going: it runs on the server, one at a time per session, and the page
/// asks for this every second until it has finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProgress {
    /// Tokens the change names.
    pub total: u32,
    /// One per token dealt with so far: done, failed, or not attempted (with why).
    pub outcomes: Vec<BulkOutcome>,
    pub finished: bool,
}

/// One line of a preview: the token as it is now, and what will happen to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkItem {
    pub target: BulkTarget,
    pub name: String,
    /// `None` for a global token.
    pub organization: Option<String>,
    pub status: Option<PatStatus>,
    /// The expiry now (ISO 8601 UTC), empty when the token could not be read.
    pub valid_to: String,
    /// The expiry asked for (ISO 8601 UTC), for an extension.
    pub new_valid_to: Option<String>,
    /// Why this token will be left as it is, when it will be.
    pub skip: Option<String>,
}

/// What happened to one token of a bulk change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub target: BulkTarget,
    pub name: String,
    /// What was done ("Revoked", "Valid to 2027-02-28"), when it was.
    pub done: Option<String>,
    /// Why it was not, when it was not: these stay selected for a retry.
    pub error: Option<ApiError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_key_round_trips() {
        let t = BulkTarget { org: "fabrikam-demo".into(), id: "9a1b".into() };
        assert_eq!(BulkTarget::parse(&t.key()), Some(t));
        assert_eq!(BulkTarget::parse("no-slash"), None);
    }

    #[test]
    fn actions_are_tagged_on_the_wire() {
        let json = serde_json::to_string(&BulkAction::Extend { days: 30 }).unwrap();
        assert_eq!(json, r#"{"kind":"extend","days":30}"#);
        assert_eq!(serde_json::to_string(&BulkAction::Revoke).unwrap(), r#"{"kind":"revoke"}"#);
    }
}
