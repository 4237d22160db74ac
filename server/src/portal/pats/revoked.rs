//! The revoked token ids of each session and organization, reused for a short while: the PAT API has no status field, so telling a revoked token from an active one costs a scan of the revoked list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tower_sessions::session::Id;

/// The revoked ids of an organization, and whether every page of them was read.
#[derive(Debug, Default)]
pub struct Revoked {
    pub ids: Vec<String>,
    /// False when the scan stopped at its page limit: a token missing from `ids` may be revoked.
    pub complete: bool,
}

impl Revoked {
    pub fn contains(&self, id: &str) -> bool {
        self.ids.iter().any(|i| i == id)
    }
}

/// How long a session's list of revoked token ids is reused (a revoke here forgets it at once).
const REVOKED_TTL: Duration = Duration::from_secs(30);
/// At most this many (session, organization) lists are kept.
const REVOKED_CACHE_MAX: usize = 10_000;

/// A list of revoked ids and when it was read.
type CachedIds = (Instant, Arc<Revoked>);

/// The revoked ids of each session and organization, for a short while: the API has no status
/// field, so telling a revoked token from an active one costs a scan of the revoked list.
#[derive(Default)]
pub(super) struct RevokedCache {
    lists: Mutex<HashMap<(Id, String), CachedIds>>,
    /// Bumped by every revoke of the session: a scan that started before it is not kept.
    generations: Mutex<HashMap<Id, u64>>,
}

impl RevokedCache {
    pub(super) fn get(&self, session: Id, org: &str) -> Option<Arc<Revoked>> {
        let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists
            .get(&(session, org.to_string()))
            .filter(|(at, _)| at.elapsed() < REVOKED_TTL)
            .map(|(_, ids)| ids.clone())
    }

    pub(super) fn generation(&self, session: Id) -> u64 {
        self.generations.lock().unwrap_or_else(|p| p.into_inner()).get(&session).copied().unwrap_or(0)
    }

    /// Keeps a list read while the session's generation was `generation`, if it still is.
    pub(super) fn put(&self, session: Id, org: &str, generation: u64, ids: Arc<Revoked>) {
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
    pub(super) fn forget(&self, session: Id) {
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
