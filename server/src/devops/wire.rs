//! The shapes Azure DevOps answers with and the bodies sent to it, as the specs (MicrosoftDocs/vsts-rest-api-specs) and their examples define them.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// A personal access token as the PAT lifecycle API returns it.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PatToken {
    pub authorization_id: String,
    pub display_name: String,
    pub scope: String,
    #[serde(default)]
    pub target_accounts: Option<Vec<String>>,
    /// The secret: present only in the create response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    pub valid_from: String,
    pub valid_to: String,
}

impl std::fmt::Debug for PatToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatToken")
            .field("authorization_id", &self.authorization_id)
            .field("display_name", &self.display_name)
            .field("valid_to", &self.valid_to)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatList {
    pub pat_tokens: Vec<PatToken>,
    #[serde(default)]
    pub continuation_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatResult {
    #[serde(default)]
    pub pat_token: Option<PatToken>,
    pub pat_token_error: String,
    /// What Azure DevOps says about the error, in words (api-version 7.2).
    #[serde(default)]
    pub pat_token_error_message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Not in the spec's `Profile` schema (specification/profile/7.1/profile.json), though its
    /// example and real answers carry it: optional, like `publicAlias` and `emailAddress`.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub public_alias: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgAccount {
    pub account_id: String,
    pub account_name: String,
    #[serde(default)]
    pub account_uri: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListOf<T> {
    pub count: usize,
    pub value: Vec<T>,
}

/// The body of a create (no `authorizationId`, every field) or an update (with it, and only
/// the fields that change: the 7.2 spec marks each one optional).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// RFC 3339 UTC, whole seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_orgs: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub last_update_time: Option<String>,
}
