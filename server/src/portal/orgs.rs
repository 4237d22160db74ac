//! The user's organizations (remembered a few minutes per sign-in), which organization a call is about, the profile and the projects of an organization.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::error::ApiError;
use app::model::{Org, Orgs, Profile, Project, ProjectPage};
use app::routes::OrgName;
use tower_sessions::session::Id;

use crate::devops::DevopsClient;
use crate::oidc::now_secs;
use crate::secret::Secret;

/// How long a user's organizations are remembered: every page shows the organization switcher,
/// and finding them costs two Azure DevOps calls.
const ORGS_TTL_SECS: u64 = 300;
/// At most this many sign-ins' organizations are remembered at once.
const ORGS_CACHE_MAX: usize = 10_000;
/// The name shown for a profile that carries neither `displayName` nor `emailAddress`.
pub const UNNAMED_PROFILE: &str = "Your Azure DevOps profile";
/// Projects per page.
const PROJECTS_PAGE: u32 = 50;
/// Continuation tokens longer than this are not Azure DevOps'.
pub const MAX_CONTINUATION_CHARS: usize = 512;

struct CachedOrgs {
    at: u64,
    orgs: Vec<Org>,
}

pub struct Organizations {
    devops: Arc<DevopsClient>,
    /// `DEVOPS_ORGANIZATION`; empty means the first organization the user belongs to.
    configured: String,
    /// Each sign-in's organizations, by session id (which changes at every sign-in), in this
    /// process only: reading them never writes the session, whose record a concurrent sign-out
    /// or refresh owns.
    cache: Mutex<HashMap<Id, CachedOrgs>>,
}

/// An organization name from a request, checked for shape only.
pub fn org_name(org: &str) -> Result<OrgName, ApiError> {
    OrgName::parse(org).ok_or_else(|| ApiError::invalid("org", "That is not an organization name."))
}

/// A continuation token from a request, refused when it cannot be one.
pub fn check_continuation(after: Option<&str>) -> Result<(), ApiError> {
    match after {
        Some(c) if c.len() > MAX_CONTINUATION_CHARS => {
            Err(ApiError::invalid("after", "The page link is not valid: go back to the first page."))
        }
        _ => Ok(()),
    }
}

impl Organizations {
    pub fn new(devops: Arc<DevopsClient>, configured: String) -> Self {
        Organizations { devops, configured, cache: Mutex::new(HashMap::new()) }
    }

    /// The organizations the user belongs to, remembered for a few minutes per sign-in.
    pub async fn member_orgs(&self, session: Id, token: &Secret) -> Result<Vec<Org>, ApiError> {
        let now = now_secs();
        let fresh = |c: &CachedOrgs| now.saturating_sub(c.at) < ORGS_TTL_SECS;
        if let Some(c) =
            self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&session).filter(|c| fresh(c))
        {
            return Ok(c.orgs.clone());
        }
        let profile = self.devops.profile(token).await?;
        // The accounts API's `memberId` is the profile's `id` (specification/account/7.1,
        // example `GET__Accounts_memberId-_userId_.json`).
        let accounts = self.devops.accounts(token, &profile.id).await?;
        let orgs: Vec<Org> =
            accounts.value.into_iter().map(|a| Org { id: a.account_id, name: a.account_name }).collect();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ORGS_CACHE_MAX {
            cache.retain(|_, c| fresh(c));
            if cache.len() >= ORGS_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(session, CachedOrgs { at: now, orgs: orgs.clone() });
        Ok(orgs)
    }

    /// Drops what was remembered for a session that ended.
    pub fn forget(&self, session: Id) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(&session);
    }

    /// The organization a call is about: the one asked for (checked for shape only: Azure
    /// DevOps decides whether the user may see it), else the configured one, else the first
    /// the user belongs to.
    pub async fn resolve(
        &self,
        session: Id,
        token: &Secret,
        org: Option<String>,
    ) -> Result<String, ApiError> {
        if let Some(org) = org.filter(|o| !o.is_empty()) {
            return org_name(&org).map(OrgName::into_string);
        }
        if !self.configured.is_empty() {
            return Ok(self.configured.clone());
        }
        let orgs = self.member_orgs(session, token).await?;
        orgs.into_iter().next().map(|o| o.name).ok_or(ApiError::NotFound)
    }

    /// The user's organizations and the one shown by default.
    pub async fn list(&self, session: Id, token: &Secret) -> Result<Orgs, ApiError> {
        let orgs = self.member_orgs(session, token).await?;
        let default = if self.configured.is_empty() {
            orgs.first().map(|o| o.name.clone())
        } else {
            Some(self.configured.clone())
        };
        Ok(Orgs { orgs, default })
    }

    pub async fn profile(&self, token: &Secret) -> Result<Profile, ApiError> {
        let p = self.devops.profile(token).await?;
        // displayName and the rest are outside the spec's schema: a profile without them is a
        // profile, named by what it has.
        let display_name = p
            .display_name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| p.email_address.clone().filter(|e| !e.trim().is_empty()))
            .unwrap_or_else(|| UNNAMED_PROFILE.to_string());
        Ok(Profile { display_name, email: p.email_address, member_id: p.id })
    }

    pub async fn projects(
        &self,
        token: &Secret,
        org: OrgName,
        after: Option<String>,
    ) -> Result<ProjectPage, ApiError> {
        let (list, next) = self.devops.projects(token, org.as_str(), after.as_deref(), PROJECTS_PAGE).await?;
        let projects = list
            .value
            .into_iter()
            .map(|p| Project {
                id: p.id,
                name: p.name,
                description: p.description.filter(|d| !d.is_empty()),
                visibility: p.visibility,
                last_update: p.last_update_time,
            })
            .collect();
        Ok(ProjectPage { organization: org.into_string(), projects, continuation_token: next })
    }
}
