//! The identity provider's session id (`sid`) → our sessions, kept in the session store itself:
//! a restart loses nothing, every instance sharing the store sees it, and a record per `sid`
//! holds at most a few sessions (no global table anyone could flood). It lists the ids the
//! sessions' records are stored under, which open nothing.

use std::collections::HashMap;
use std::sync::Arc;

use tower_sessions::session::{Id, Record};

use crate::sessions::{DynStore, SharedLock};

/// Sessions remembered per `sid` (one per browser the user signed in with): the oldest go first.
const MAX_SESSIONS_PER_SID: usize = 16;
const SESSIONS: &str = "sessions";

pub struct SidIndex {
    store: DynStore,
    /// How long an entry lives: the absolute lifetime of a sign-in.
    lifetime: time::Duration,
    /// Makes each read-modify-write of an index record one operation in this instance, so two
    /// sign-ins of the same `sid` at once cannot drop each other's session.
    writing: tokio::sync::Mutex<()>,
    /// And across the instances sharing the store (Redis): the record's lock, held for the write.
    shared: Option<Arc<dyn SharedLock>>,
}

/// How long an index write may hold the shared lock, and how long one waits for it.
const LOCK_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(20);

impl SidIndex {
    pub fn new(store: DynStore, lifetime: time::Duration, shared: Option<Arc<dyn SharedLock>>) -> Self {
        SidIndex { store, lifetime, writing: tokio::sync::Mutex::new(()), shared }
    }

    /// Holds the shared lock of the index record `id` (waiting while another instance writes it).
    async fn hold(&self, lock: &dyn SharedLock, id: &Id) -> Result<(String, String), String> {
        let key = format!("pat-portal:sid-lock:{id}");
        for _ in 0..(LOCK_TTL.as_millis() / LOCK_POLL.as_millis()) {
            if let Some(token) = lock.try_acquire(&key, LOCK_TTL).await? {
                return Ok((key, token));
            }
            tokio::time::sleep(LOCK_POLL).await;
        }
        Err("another instance held the sid index lock for its whole lifetime".into())
    }

    /// The id of the index record of `sid`.
    fn record_id(&self, sid: &str) -> Id {
        self.store.index_id(&format!("sid:{sid}"))
    }

    /// The stored ids listed for `sid`.
    async fn sessions_of(&self, sid: &str) -> Result<Vec<String>, String> {
        let record = self.store.load_index(&self.record_id(sid)).await.map_err(|e| e.to_string())?;
        Ok(record
            .filter(|r| r.expiry_date > time::OffsetDateTime::now_utc())
            .and_then(|r| r.data.get(SESSIONS).cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default())
    }

    /// Remembers that the session `session` belongs to the provider's session `sid`.
    pub async fn add(&self, sid: &str, session: &Id) -> Result<(), String> {
        let stored = self.store.stored_id(session).to_string();
        let _one_at_a_time = self.writing.lock().await;
        let held = match &self.shared {
            Some(lock) => Some((lock.clone(), self.hold(lock.as_ref(), &self.record_id(sid)).await?)),
            None => None,
        };
        let written = self.write(sid, stored).await;
        if let Some((lock, (key, token))) = held {
            lock.release(&key, &token).await;
        }
        written
    }

    async fn write(&self, sid: &str, stored: String) -> Result<(), String> {
        let mut sessions = self.sessions_of(sid).await?;
        sessions.retain(|s| *s != stored);
        sessions.push(stored);
        let excess = sessions.len().saturating_sub(MAX_SESSIONS_PER_SID);
        sessions.drain(..excess);
        let data = HashMap::from([(SESSIONS.to_string(), serde_json::json!(sessions))]);
        let expiry_date = time::OffsetDateTime::now_utc() + self.lifetime;
        let record = Record { id: self.record_id(sid), data, expiry_date };
        self.store.put_index(&record).await.map_err(|e| e.to_string())
    }

    /// Ends every session of `sid` and forgets it; answers how many were listed.
    pub async fn end(&self, sid: &str) -> Result<usize, String> {
        let sessions = self.sessions_of(sid).await?;
        for stored in &sessions {
            if let Ok(id) = stored.parse::<Id>() {
                self.store.delete_stored(&id).await.map_err(|e| e.to_string())?;
            }
        }
        self.store.delete_index(&self.record_id(sid)).await.map_err(|e| e.to_string())?;
        Ok(sessions.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tower_sessions::SessionStore;

    /// A shared lock as Redis gives it, which also proves that no two writers held it at once.
    #[derive(Default)]
    struct OneLock {
        held: AtomicBool,
        acquired: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl SharedLock for OneLock {
        async fn try_acquire(&self, _: &str, _: std::time::Duration) -> Result<Option<String>, String> {
            let free = self.held.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok();
            Ok(free.then(|| {
                self.acquired.fetch_add(1, Ordering::SeqCst);
                "t".to_string()
            }))
        }
        async fn release(&self, _: &str, _: &str) {
            self.held.store(false, Ordering::SeqCst);
        }
    }

    /// Issue 29, item 5: two instances sharing a store write one `sid`'s index one at a time
    /// (the shared lock), so sign-ins at once on both all stay in it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_write_one_sids_index_one_at_a_time() {
        let store = store();
        let lock = Arc::new(OneLock::default());
        let shared: Arc<dyn SharedLock> = lock.clone();
        let life = time::Duration::hours(1);
        let instances = [
            Arc::new(SidIndex::new(store.clone(), life, Some(shared.clone()))),
            Arc::new(SidIndex::new(store.clone(), life, Some(shared))),
        ];
        let mut ids = Vec::new();
        for _ in 0..8 {
            ids.push(session(&store).await);
        }
        let adds = ids.iter().enumerate().map(|(i, id)| {
            let (index, id) = (instances[i % 2].clone(), *id);
            tokio::spawn(async move { index.add("sid-1", &id).await })
        });
        for a in futures::future::join_all(adds).await {
            a.unwrap().unwrap();
        }
        assert_eq!(lock.acquired.load(Ordering::SeqCst), 8, "each write held the shared lock");
        assert!(!lock.held.load(Ordering::SeqCst), "and released it");
        assert_eq!(instances[0].end("sid-1").await.unwrap(), 8, "every session was indexed");
    }

    fn store() -> DynStore {
        DynStore::new(
            Arc::new(tower_sessions::MemoryStore::default()),
            crate::sessions::RecordIds::new(&[3; 32]),
        )
    }

    async fn session(store: &DynStore) -> Id {
        let mut r = Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut r).await.unwrap();
        r.id
    }

    /// Issue 29, item 5: sign-ins of one `sid` at once all stay in its index.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sign_ins_of_one_sid_at_once_are_all_indexed() {
        let store = store();
        let index = Arc::new(SidIndex::new(store.clone(), time::Duration::hours(1), None));
        let mut ids = Vec::new();
        for _ in 0..8 {
            ids.push(session(&store).await);
        }
        let adds = ids.iter().map(|id| {
            let (index, id) = (index.clone(), *id);
            tokio::spawn(async move { index.add("sid-1", &id).await })
        });
        for a in futures::future::join_all(adds).await {
            a.unwrap().unwrap();
        }
        assert_eq!(index.end("sid-1").await.unwrap(), 8, "every session was indexed");
    }

    #[tokio::test]
    async fn a_sid_ends_its_sessions_and_only_those_and_keeps_a_few() {
        let store = store();
        let index = SidIndex::new(store.clone(), time::Duration::hours(1), None);
        let (a, b, other) = (session(&store).await, session(&store).await, session(&store).await);
        index.add("sid-1", &a).await.unwrap();
        index.add("sid-1", &b).await.unwrap();
        index.add("sid-2", &other).await.unwrap();
        // The index record names no cookie.
        let raw = format!("{:?}", store.load_index(&index.record_id("sid-1")).await.unwrap());
        assert!(raw.contains("sessions"), "{raw}");
        assert!(!raw.contains(&a.to_string()) && !raw.contains(&b.to_string()));
        assert_eq!(index.end("sid-1").await.unwrap(), 2);
        assert!(store.load(&a).await.unwrap().is_none() && store.load(&b).await.unwrap().is_none());
        assert!(store.load(&other).await.unwrap().is_some(), "another sid's session stays");
        assert_eq!(index.end("sid-1").await.unwrap(), 0, "forgotten once ended");
        for _ in 0..MAX_SESSIONS_PER_SID + 5 {
            let s = session(&store).await;
            index.add("sid-3", &s).await.unwrap();
        }
        assert_eq!(index.sessions_of("sid-3").await.unwrap().len(), MAX_SESSIONS_PER_SID);
    }
}
