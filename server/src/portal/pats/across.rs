//! Reading every organization for the inventory, by one rule: at most [`PARALLEL_ORGS`] at a time (fewer when Azure DevOps asks the client to slow down), at most [`MAX_ORGS_PER_REQUEST`] per request, the reads reused for [`REUSE_FOR`] per sign-in and list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::error::ApiError;
use app::model::PatFilter;
use tower_sessions::session::Id;

use super::Pats;
use crate::portal::inventory::OrgRead;
use crate::secret::Secret;

/// Organizations read at the same time (each read may take several pages). The client's pacer
/// narrows this to one call at a time when Azure DevOps says the user is near their limit.
pub const PARALLEL_ORGS: usize = 4;
/// Organizations read for one request; the others are listed as not read, with the reason.
pub const MAX_ORGS_PER_REQUEST: usize = 20;
/// How long one sign-in's reads of a list are reused: paging, sorting, searching and exporting
/// the inventory within this time cost Azure DevOps nothing. A revoke or a bulk change of the
/// session forgets them.
pub const REUSE_FOR: Duration = Duration::from_secs(30);
/// At most this many (sign-in, list) reads are kept.
const CACHE_MAX: usize = 2_000;

type Kept = (Instant, Arc<Vec<OrgRead>>);

/// One sign-in's recent reads, by list.
#[derive(Default)]
pub(super) struct AcrossCache {
    reads: Mutex<HashMap<(Id, &'static str), Kept>>,
}

impl AcrossCache {
    fn get(&self, session: Id, filter: PatFilter) -> Option<Arc<Vec<OrgRead>>> {
        let reads = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        reads
            .get(&(session, filter.as_api()))
            .filter(|(at, _)| at.elapsed() < REUSE_FOR)
            .map(|(_, r)| r.clone())
    }

    fn put(&self, session: Id, filter: PatFilter, read: Arc<Vec<OrgRead>>) {
        let mut reads = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        if reads.len() >= CACHE_MAX {
            reads.retain(|_, (at, _)| at.elapsed() < REUSE_FOR);
            if reads.len() >= CACHE_MAX {
                reads.clear();
            }
        }
        reads.insert((session, filter.as_api()), (Instant::now(), read));
    }

    pub(super) fn forget(&self, session: Id) {
        self.reads.lock().unwrap_or_else(|p| p.into_inner()).retain(|(s, _), _| *s != session);
    }
}

/// What an organization past the cap says in the inventory.
fn past_the_cap() -> String {
    format!(
        "the inventory reads at most {MAX_ORGS_PER_REQUEST} organizations at a time, and this one is past them. \
         Open it alone to see its tokens."
    )
}

impl Pats {
    /// Forgets the inventory reads of `session` (after changes made elsewhere than a revoke here).
    pub fn forget_inventory(&self, session: Id) {
        self.across_cache.forget(session);
    }

    /// Each organization's list with `filter` ([`Pats::all_of`]), in the order asked, by the rule
    /// of this module. Throttling shows per organization (`RateLimited`, with its wait).
    pub async fn across(
        &self,
        token: &Secret,
        orgs: Vec<String>,
        session: Id,
        filter: PatFilter,
    ) -> Arc<Vec<OrgRead>> {
        if let Some(kept) = self.across_cache.get(session, filter) {
            let same = kept.len() == orgs.len() && kept.iter().zip(&orgs).all(|(r, o)| r.org == *o);
            if same {
                return kept;
            }
        }
        use futures::stream::{self, StreamExt};
        let mut orgs = orgs;
        let rest = orgs.split_off(orgs.len().min(MAX_ORGS_PER_REQUEST));
        let mut reads: Vec<OrgRead> = stream::iter(orgs)
            .map(|org| async move {
                match self.all_of(token, &org, session, filter).await {
                    Ok((tokens, note)) => OrgRead { org, read: Ok(tokens), note },
                    Err(e) => OrgRead { org, read: Err(e), note: None },
                }
            })
            .buffered(PARALLEL_ORGS)
            .collect()
            .await;
        let capped = ApiError::UpstreamFailed { message: past_the_cap() };
        reads.extend(rest.into_iter().map(|org| OrgRead { org, read: Err(capped.clone()), note: None }));
        let reads = Arc::new(reads);
        // A read that failed for a passing reason (throttling, an outage) is not kept.
        let passing = |r: &OrgRead| {
            matches!(
                r.read,
                Err(ApiError::RateLimited { .. } | ApiError::UpstreamUnavailable | ApiError::SessionExpired)
            )
        };
        if !reads.iter().any(passing) {
            self.across_cache.put(session, filter, reads.clone());
        }
        reads
    }
}
