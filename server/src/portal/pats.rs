//! The PAT use cases against one organization with one access token: list, search, get, the dashboard's overview, create, update, revoke, rotate and re-issue.

use std::sync::Arc;

use app::clock::Clock;
use app::error::ApiError;
use app::model::{
    CreatedPat, Expiry, Overview, PatChanges, PatFilter, PatForm, PatPage, PatStatus, PatSummary, Rotated,
    Saved,
};
use app::ports::PatListQuery;
use tower_sessions::session::Id;

use super::pat_rules::{
    created_pat, cut_of, pat_result, sort_tokens, summarize, tally, validate_changes, validate_form,
    ValidChanges, ValidForm,
};
use crate::devops::{DevopsClient, PatPageRequest, PatToken};
use crate::secret::Secret;

mod across;
mod revoked;

use revoked::{Revoked, RevokedCache};

const PAGE_SIZE: u32 = 20;
/// Searching, the dashboard and the inventory read at most this many pages of 100 tokens per
/// organization; a list cut there says so (`PatPage::notice`, `Overview::notice`, a note in the
/// inventory).
const MAX_SCAN_PAGES: usize = 10;
const MAX_SCAN_TOKENS: usize = MAX_SCAN_PAGES * 100;
/// The revoked ids decide every status in "All" and on a token's page: read this far (10,000
/// tokens), and past it the lists say that a token shown active may be revoked.
const MAX_REVOKED_PAGES: usize = 100;

/// A list read page by page, and whether it ended before the page limit.
struct Scanned {
    tokens: Vec<PatToken>,
    complete: bool,
}

/// The notices that apply, in one paragraph; `None` when none does.
fn notices(parts: &[Option<String>]) -> Option<String> {
    let said: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    (!said.is_empty()).then(|| said.join(" "))
}

fn partial_search(org: &str) -> String {
    format!("Only the first {MAX_SCAN_TOKENS} tokens of {org} were searched: it has more, so a match may be missing.")
}

fn partial_revoked(org: &str) -> String {
    format!(
        "{org} has more than {} revoked tokens: a token shown as active here may be revoked.",
        MAX_REVOKED_PAGES * 100
    )
}

pub struct Pats {
    devops: Arc<DevopsClient>,
    clock: Clock,
    revoked: RevokedCache,
    /// The inventory's recent reads (`across`).
    across_cache: across::AcrossCache,
}

impl Pats {
    pub fn new(devops: Arc<DevopsClient>, clock: Clock) -> Self {
        Pats { devops, clock, revoked: RevokedCache::default(), across_cache: Default::default() }
    }

    /// What to tell the person when Azure DevOps lately asked to slow down this user's calls in `org`.
    pub fn slowdown(&self, token: &Secret, org: &str) -> Option<String> {
        self.devops.slowdown(token, org).map(|s| s.sentence())
    }

    /// Every token of a list, page by page, up to `max_pages` pages of 100; `complete` says
    /// whether the list ended there.
    async fn scan(
        &self,
        token: &Secret,
        org: &str,
        filter: &str,
        max_pages: usize,
    ) -> Result<Scanned, ApiError> {
        let mut tokens = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..max_pages {
            let q = PatPageRequest {
                filter,
                sort: "displayDate",
                ascending: true,
                continuation_token: next.as_deref(),
                top: 100,
            };
            let page = self.devops.list_pats(token, org, q).await?;
            tokens.extend(page.pat_tokens);
            next = page.continuation_token.filter(|c| !c.is_empty());
            if next.is_none() {
                return Ok(Scanned { tokens, complete: true });
            }
        }
        tracing::info!(%org, filter, max_pages, "a list was read up to its page limit: it is partial");
        Ok(Scanned { tokens, complete: false })
    }

    /// The ids of revoked tokens: the API has no status field, so they are looked up separately
    /// (and reused for a short while within the session). They decide statuses, so they are read
    /// further than other lists ([`MAX_REVOKED_PAGES`]).
    async fn revoked_ids(&self, token: &Secret, org: &str, session: Id) -> Result<Arc<Revoked>, ApiError> {
        if let Some(ids) = self.revoked.get(session, org) {
            return Ok(ids);
        }
        let generation = self.revoked.generation(session);
        let scanned = self.scan(token, org, "revoked", MAX_REVOKED_PAGES).await?;
        let ids = Arc::new(Revoked {
            ids: scanned.tokens.into_iter().map(|t| t.authorization_id).collect(),
            complete: scanned.complete,
        });
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
        let ((tokens, continuation_token, complete), revoked) = (page?, revoked?);
        let notice = notices(&[
            (!complete).then(|| partial_search(&org)),
            (!revoked.complete).then(|| partial_revoked(&org)),
            self.slowdown(token, &org),
        ]);
        let tokens = self.with_status(tokens, query.filter, &revoked);
        Ok(PatPage { organization: org, tokens, continuation_token, notice })
    }

    /// The revoked ids a list with `filter` needs to tell statuses apart: only "all" needs any.
    async fn revoked_for(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        filter: PatFilter,
    ) -> Result<Arc<Revoked>, ApiError> {
        if filter == PatFilter::All {
            self.revoked_ids(token, org, session).await
        } else {
            Ok(Arc::new(Revoked { ids: Vec::new(), complete: true }))
        }
    }

    /// The tokens of a list with `filter`, each with its status.
    fn with_status(&self, tokens: Vec<PatToken>, filter: PatFilter, revoked: &Revoked) -> Vec<PatSummary> {
        let now = self.clock.now();
        tokens
            .into_iter()
            .map(|t| {
                let is_revoked = filter == PatFilter::Revoked || revoked.contains(&t.authorization_id);
                summarize(t, is_revoked, now)
            })
            .collect()
    }

    /// One page as Azure DevOps sorts it, or with a search every match by name (and whether
    /// every token was searched).
    async fn page(
        &self,
        token: &Secret,
        org: &str,
        query: &PatListQuery,
    ) -> Result<(Vec<PatToken>, Option<String>, bool), ApiError> {
        let filter = query.filter;
        Ok(match &query.search {
            Some(search) => {
                let needle = search.trim().to_lowercase();
                let scanned = self.scan(token, org, filter.as_api(), MAX_SCAN_PAGES).await?;
                let mut found: Vec<PatToken> = scanned
                    .tokens
                    .into_iter()
                    .filter(|t| t.display_name.to_lowercase().contains(&needle))
                    .collect();
                sort_tokens(&mut found, query.sort, query.descending);
                (found, None, scanned.complete)
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
                (list.pat_tokens, list.continuation_token.filter(|c| !c.is_empty()), true)
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
        let (all, revoked) = tokio::join!(
            self.scan(token, &org, "all", MAX_SCAN_PAGES),
            self.revoked_ids(token, &org, session)
        );
        let (all, revoked) = (all?, revoked?);
        let notice = notices(&[
            (!all.complete).then(|| {
                format!("The counts cover the first {MAX_SCAN_TOKENS} tokens of {org} only: it has more.")
            }),
            (!revoked.complete).then(|| partial_revoked(&org)),
            self.slowdown(token, &org),
        ]);
        let mut overview = tally(org, all.tokens, &revoked.ids, self.clock.now(), lead_days);
        overview.notice = notice;
        Ok(overview)
    }

    /// Every token of a list with its status (the revoked ids read alongside for "all"), and why
    /// the list is partial when it is.
    pub async fn all_of(
        &self,
        token: &Secret,
        org: &str,
        session: Id,
        filter: PatFilter,
    ) -> Result<(Vec<PatSummary>, Option<String>), ApiError> {
        let (all, revoked) = tokio::join!(
            self.scan(token, org, filter.as_api(), MAX_SCAN_PAGES),
            self.revoked_for(token, org, session, filter)
        );
        let (all, revoked) = (all?, revoked?);
        let note = notices(&[
            (!all.complete).then(|| format!("tokens past its first {MAX_SCAN_TOKENS} (those are listed)")),
            (!revoked.complete).then(|| partial_revoked(org)),
        ]);
        Ok((self.with_status(all.tokens, filter, &revoked), note))
    }

    /// Every token that still works (Azure DevOps' "active" list, revoked ones excluded by it).
    pub async fn working(&self, token: &Secret, org: &str) -> Result<Vec<PatSummary>, ApiError> {
        let now = self.clock.now();
        let all = self.scan(token, org, "active", MAX_REVOKED_PAGES).await?;
        if !all.complete {
            tracing::warn!(%org, "reminders: more working tokens than the scan reads; the calendar is partial");
        }
        Ok(all
            .tokens
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
        let valid = validate_changes(changes, self.clock.now())?;
        self.save(token, org, id, &valid).await
    }

    pub(super) async fn save(
        &self,
        token: &Secret,
        org: &str,
        id: String,
        valid: &ValidChanges,
    ) -> Result<Saved, ApiError> {
        let updated = pat_result(self.devops.save_pat(token, org, &valid.request(id)).await?)?;
        tracing::info!(authorization_id = %updated.authorization_id, %org, "token updated");
        let cut = valid.valid_to.and_then(|asked| cut_of(asked, &updated.valid_to));
        Ok(Saved { token: summarize(updated, false, self.clock.now()), cut })
    }

    pub async fn revoke(&self, token: &Secret, org: &str, session: Id, id: &str) -> Result<(), ApiError> {
        let revoked = self.devops.revoke_pat(token, org, id).await;
        self.revoked.forget(session);
        self.across_cache.forget(session);
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
        self.across_cache.forget(session);
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
