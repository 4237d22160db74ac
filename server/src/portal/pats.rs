//! The PAT use cases against one organization with one access token: list, search, get, the dashboard's overview, create, update, revoke, rotate and re-issue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::clock::Clock;
use app::error::ApiError;
use app::model::{
    CreatedPat, Expiry, Overview, PatChanges, PatFilter, PatForm, PatPage, PatStatus, PatSummary, Rotated,
    Saved,
};
use app::ports::PatListQuery;
use tower_sessions::session::Id;

use super::inventory::{OrgRead, PARALLEL_ORGS};
use super::pat_rules::{
    created_pat, cut_of, pat_result, sort_tokens, summarize, tally, validate_changes, validate_form,
    ValidForm,
};
use crate::devops::{DevopsClient, PatPageRequest, PatToken};
use crate::secret::Secret;

const PAGE_SIZE: u32 = 20;
/// Searching and the dashboard read at most this many pages of 100 tokens.
const MAX_SCAN_PAGES: usize = 10;

/// How long a session's list of revoked token ids is reused (a revoke here forgets it at once).
const REVOKED_TTL: Duration = Duration::from_secs(30);
/// At most this many (session, organization) lists are kept.
const REVOKED_CACHE_MAX: usize = 10_000;

/// A list of revoked ids and when it was read.
type CachedIds = (Instant, Arc<Vec<String>>);

/// The revoked ids of each session and organization, for a short while: the API has no status
/// field, so telling a revoked token from an active one costs a scan of the revoked list.
#[derive(Default)]
struct RevokedCache {
    lists: Mutex<HashMap<(Id, String), CachedIds>>,
    /// Bumped by every revoke of the session: a scan that started before it is not kept.
    generations: Mutex<HashMap<Id, u64>>,
}

impl RevokedCache {
    fn get(&self, session: Id, org: &str) -> Option<Arc<Vec<String>>> {
        let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists
            .get(&(session, org.to_string()))
            .filter(|(at, _)| at.elapsed() < REVOKED_TTL)
            .map(|(_, ids)| ids.clone())
    }

    fn generation(&self, session: Id) -> u64 {
        self.generations.lock().unwrap_or_else(|p| p.into_inner()).get(&session).copied().unwrap_or(0)
    }

    /// Keeps a list read while the session's generation was `generation`, if it still is.
    fn put(&self, session: Id, org: &str, generation: u64, ids: Arc<Vec<String>>) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation(session) != generation {
            return;
        }
        if lists.len() >= REVOKED_CACHE_MAX {
            lists.retain(|_, (at, _)| at.elapsed() < REVOKED_TTL);
            if lists.len() >= REVOKED_CACHE_MAX {
                lists.clear();
            }
        }
        lists.insert((session, org.to_string()), (Instant::now(), ids));
    }

    /// After a revoke: every organization's list of the session (a global token is in each),
    /// and any list being read right now.
    fn forget(&self, session: Id) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        {
            let mut generations = self.generations.lock().unwrap_or_else(|p| p.into_inner());
            if generations.len() >= REVOKED_CACHE_MAX {
                generations.clear();
            }
            *generations.entry(session).or_default() += 1;
        }
        lists.retain(|(s, _), _| *s != session);
    }
}

pub struct Pats {
    devops: Arc<DevopsClient>,
    clock: Clock,
    revoked: RevokedCache,
}

impl Pats {
    pub fn new(devops: Arc<DevopsClient>, clock: Clock) -> Self {
        Pats { devops, clock, revoked: RevokedCache::default() }
    }

    /// Every token of a list, page by page (at most `MAX_SCAN_PAGES` pages of 100).
    async fn scan(&self, token: &Secret, org: &str, filter: &str) -> Result<Vec<PatToken>, ApiError> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_SCAN_PAGES {
            let q = PatPageRequest {
                filter,
                sort: "displayDate",
                ascending: true,
                continuation_token: next.as_deref(),
                top: 100,
            };
            let page = self.devops.list_pats(token, org, q).await?;
            all.extend(page.pat_tokens);
            next = page.continuation_token.filter(|c| !c.is_empty());
            if next.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// The ids of revoked tokens: the API has no status field, so they are looked up separately
    /// (and reused for `REVOKED_TTL` within the session).
    async fn revoked_ids(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
    ) -> Result<Arc<Vec<String>>, ApiError> {
        if let Some(ids) = self.revoked.get(session, org) {
            return Ok(ids);
        }
        let generation = self.revoked.generation(session);
        let ids: Arc<Vec<String>> = Arc::new(
            self.scan(token, org, "revoked").await?.into_iter().map(|t| t.authorization_id).collect(),
        );
        self.revoked.put(session, org, generation, ids.clone());
        Ok(ids)
    }

    /// One page of tokens, or with a search every match by name (Azure DevOps cannot search).
    pub async fn list(
        &self,
        token: &Secret,
        org: String,
        session: Id,
        query: &PatListQuery,
    ) -> Result<PatPage, ApiError> {
        // The revoked list (only the "all" view needs it) is read alongside the page.
        let (page, revoked) =
            tokio::join!(self.page(token, &org, query), self.revoked_for(token, &org, session, query.filter));
        let ((tokens, continuation_token), revoked) = (page?, revoked?);
        let tokens = self.with_status(tokens, query.filter, &revoked);
        Ok(PatPage { organization: org, tokens, continuation_token })
    }

    /// The revoked ids a list with `filter` needs to tell statuses apart: only "all" needs any.
    async fn revoked_for(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        filter: PatFilter,
    ) -> Result<Arc<Vec<String>>, ApiError> {
        if filter == PatFilter::All {
            self.revoked_ids(token, org, session).await
        } else {
            Ok(Arc::default())
        }
    }

    /// The tokens of a list with `filter`, each with its status.
    fn with_status(&self, tokens: Vec<PatToken>, filter: PatFilter, revoked: &[String]) -> Vec<PatSummary> {
        let now = self.clock.now();
        tokens
            .into_iter()
            .map(|t| {
                let is_revoked = filter == PatFilter::Revoked || revoked.contains(&t.authorization_id);
                summarize(t, is_revoked, now)
            })
            .collect()
    }

    /// One page as Azure DevOps sorts it, or with a search every match by name.
    async fn page(
        &self,
        token: &Secret,
        org: &str,
        query: &PatListQuery,
    ) -> Result<(Vec<PatToken>, Option<String>), ApiError> {
        let filter = query.filter;
        Ok(match &query.search {
            Some(search) => {
                let needle = search.trim().to_lowercase();
                let mut found: Vec<PatToken> = self
                    .scan(token, org, filter.as_api())
                    .await?
                    .into_iter()
                    .filter(|t| t.display_name.to_lowercase().contains(&needle))
                    .collect();
                sort_tokens(&mut found, query.sort, query.descending);
                (found, None)
            }
            None => {
                let q = PatPageRequest {
                    filter: filter.as_api(),
                    sort: query.sort.as_api(),
                    ascending: !query.descending,
                    continuation_token: query.after.as_deref(),
                    top: PAGE_SIZE,
                };
                let list = self.devops.list_pats(token, org, q).await?;
                (list.pat_tokens, list.continuation_token.filter(|c| !c.is_empty()))
            }
        })
    }

    /// One token with its status (the revoked list, read alongside, decides whether it is revoked).
    pub async fn get(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        id: &str,
    ) -> Result<PatSummary, ApiError> {
        let (found, revoked) =
            tokio::join!(self.devops.get_pat(token, org, id), self.revoked_ids(token, org, session));
        let found = pat_result(found?)?;
        let revoked = revoked?.contains(&found.authorization_id);
        Ok(summarize(found, revoked, self.clock.now()))
    }

    pub async fn overview(
        &self,
        token: &Secret,
        org: String,
        session: Id,
        lead_days: u32,
    ) -> Result<Overview, ApiError> {
        let (all, revoked) =
            tokio::join!(self.scan(token, &org, "all"), self.revoked_ids(token, &org, session));
        Ok(tally(org, all?, &revoked?, self.clock.now(), lead_days))
    }

    /// Every token of a list with its status (the revoked ids read alongside for "all").
    pub async fn all_of(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        filter: PatFilter,
    ) -> Result<Vec<PatSummary>, ApiError> {
        let (all, revoked) = tokio::join!(
            self.scan(token, org, filter.as_api()),
            self.revoked_for(token, org, session, filter)
        );
        Ok(self.with_status(all?, filter, &revoked?))
    }

    /// [`Self::all_of`] in each organization, [`PARALLEL_ORGS`] at a time, answers in the order asked.
    pub async fn across(
        &self,
        token: &Secret,
        orgs: Vec<String>,
        session: Id,
        filter: PatFilter,
    ) -> Vec<OrgRead> {
        use futures::stream::{self, StreamExt};
        stream::iter(orgs)
            .map(|org| async move {
                let read = self.all_of(token, &org, session, filter).await;
                (org, read)
            })
            .buffered(PARALLEL_ORGS)
            .collect()
            .await
    }

    /// Every token that still works (Azure DevOps' "active" list, revoked ones excluded by it).
    pub async fn working(&self, token: &Secret, org: &str) -> Result<Vec<PatSummary>, ApiError> {
        let now = self.clock.now();
        let all = self.scan(token, org, "active").await?;
        Ok(all
            .into_iter()
            .map(|t| summarize(t, false, now))
            .filter(|s| matches!(s.status, PatStatus::Active | PatStatus::ExpiringSoon))
            .collect())
    }

    /// Creates a token from a checked form; the answer is the only place its secret appears.
    pub async fn create(&self, token: &Secret, org: &str, valid: &ValidForm) -> Result<CreatedPat, ApiError> {
        let created = pat_result(self.devops.save_pat(token, org, &valid.request()).await?)?;
        created_pat(created, valid.valid_to, self.clock.now())
    }

    /// Changes only what `changes` names: a rename keeps the expiry and the scopes as they are.
    pub async fn update(
        &self,
        token: &Secret,
        org: &str,
        id: String,
        changes: &PatChanges,
    ) -> Result<Saved, ApiError> {
        let now = self.clock.now();
        let valid = validate_changes(changes, now)?;
        let updated = pat_result(self.devops.save_pat(token, org, &valid.request(id)).await?)?;
        tracing::info!(authorization_id = %updated.authorization_id, %org, "token updated");
        let cut = valid.valid_to.and_then(|asked| cut_of(asked, &updated.valid_to));
        Ok(Saved { token: summarize(updated, false, now), cut })
    }

    pub async fn revoke(&self, token: &Secret, org: &str, session: Id, id: &str) -> Result<(), ApiError> {
        let revoked = self.devops.revoke_pat(token, org, id).await;
        self.revoked.forget(session);
        revoked?;
        tracing::info!(authorization_id = %id, %org, "token revoked");
        Ok(())
    }

    /// A new token like `old` (same name and scopes), valid in this organization only: global
    /// tokens retire, so no twin is ever global.
    async fn twin(
        &self,
        token: &Secret,
        org: &str,
        old: &PatSummary,
        expiry: Expiry,
    ) -> Result<CreatedPat, ApiError> {
        let form =
            PatForm { name: old.display_name.clone(), scopes: old.scopes.clone(), expiry, all_orgs: false };
        self.create(token, org, &validate_form(&form, self.clock.now())?).await
    }

    /// Creates a twin valid in this organization with a new expiry, then revokes the old token.
    pub async fn rotate(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        id: &str,
        expiry: Expiry,
    ) -> Result<Rotated, ApiError> {
        let old = self.get(token, org, session, id).await?;
        match old.status {
            PatStatus::Revoked | PatStatus::Expired => {
                return Err(ApiError::invalid(
                    "token",
                    "This token can no longer change: re-issue it as a new token instead.",
                ))
            }
            PatStatus::Active | PatStatus::ExpiringSoon => {}
        }
        let created = self.twin(token, org, &old, expiry).await?;
        tracing::info!(old = %id, new = %created.token.authorization_id, %org, "token rotated: twin created");
        // The twin exists: whatever happens to the revoke, it is returned (its secret is shown
        // only now), and the user is told if the old token is still valid.
        let revoked = self.devops.revoke_pat(token, org, id).await;
        self.revoked.forget(session);
        let (old_revoked, revoke_problem) = match revoked {
            Ok(()) => (true, None),
            Err(e) => {
                let e = ApiError::from(e).in_org(org);
                tracing::warn!(old = %id, error = %e, "rotation: the old token could not be revoked");
                (false, Some(e.to_string()))
            }
        };
        Ok(Rotated { created, old_revoked, revoke_problem })
    }

    /// A new token with the name and scopes of an expired or revoked one, which Azure DevOps
    /// no longer lets change (`expiredPatCannotBeExtended`).
    pub async fn reissue(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        id: &str,
        expiry: Expiry,
    ) -> Result<CreatedPat, ApiError> {
        let old = self.get(token, org, session, id).await?;
        if matches!(old.status, PatStatus::Active | PatStatus::ExpiringSoon) {
            return Err(ApiError::invalid(
                "token",
                "This token still works: extend or rotate it instead of re-issuing it.",
            ));
        }
        let created = self.twin(token, org, &old, expiry).await?;
        tracing::info!(old = %id, new = %created.token.authorization_id, %org, "token re-issued");
        Ok(created)
    }
}
