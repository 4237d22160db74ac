//! Session storage: the store (embedded SQLite by default, Redis for several instances, memory
//! for tests) and the sealing of the token cache with an AEAD keyed by `SESSION_KEY`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::{MemoryStore, SessionStore};

use crate::secret::Secret;

mod ended;
mod keys;
mod record_ids;
mod redis_store;

use keys::make_private;
pub use keys::{load_key, KeySource, Sealer};
pub use record_ids::RecordIds;

/// Where sessions live (`SESSION_STORE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    /// An embedded SQLite file, created on first run: survives restarts of one instance.
    Sqlite(PathBuf),
    /// Redis: shared by several instances behind a load balancer; expiry by TTL.
    Redis(Secret),
    /// In process only: for tests.
    Memory,
}

impl StoreKind {
    pub fn parse(v: Option<&str>) -> Result<Self, String> {
        match v {
            None => Ok(StoreKind::Sqlite(PathBuf::from("devops-pat-portal-sessions.sqlite"))),
            Some("memory") => Ok(StoreKind::Memory),
            Some(v) if v.starts_with("redis://") || v.starts_with("rediss://") => {
                Ok(StoreKind::Redis(Secret::new(v)))
            }
            Some(v) if v.starts_with("sqlite:") => {
                let path = v.trim_start_matches("sqlite:").trim_start_matches("//");
                if path.is_empty() {
                    Err("`sqlite:` needs a file path, e.g. sqlite:/var/lib/pat-portal/sessions.sqlite".into())
                } else {
                    Ok(StoreKind::Sqlite(PathBuf::from(path)))
                }
            }
            Some(other) => Err(format!("`{other}` is not sqlite:PATH, redis://HOST:PORT or memory")),
        }
    }
}

/// Any session store behind one type, so the session layer is built the same way for each.
/// Records are stored under a keyed hash of the id the cookie carries ([`RecordIds`]), so a copy
/// of the store names no valid cookie; and a session that ended here stays ended: a save
/// arriving after its delete (a token refresh that finishes after sign-out) is dropped instead
/// of writing the record back.
#[derive(Debug, Clone)]
pub struct DynStore {
    inner: Arc<dyn SessionStore>,
    ids: RecordIds,
    /// Seals each record's data, bound to the id it is stored under: a record copied under
    /// another id (another user's session) does not open.
    sealer: Arc<Sealer>,
    ended: Arc<ended::EndedSessions>,
    /// Instances share the store (Redis): an end is marked in it for the others too.
    shared: bool,
}

/// The one value of a record as stored: the sealed data.
const SEALED: &str = "sealed";

/// How many fresh ids a create tries before giving up (each is 128 random bits).
const CREATE_ATTEMPTS: usize = 8;

impl DynStore {
    /// A store this process alone uses (memory, an SQLite file).
    pub fn new(inner: Arc<dyn SessionStore>, ids: RecordIds) -> Self {
        let sealer = Arc::new(Sealer::new(&ids.record_key()));
        DynStore { inner, ids, sealer, ended: Arc::default(), shared: false }
    }

    /// A store several instances share (Redis): ends are marked in the store.
    pub fn shared(inner: Arc<dyn SessionStore>, ids: RecordIds) -> Self {
        DynStore { shared: true, ..DynStore::new(inner, ids) }
    }

    /// Reads an index record kept beside the sessions under `key` (a [`RecordIds::index`] id,
    /// which no cookie maps to).
    pub async fn load_index(&self, key: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(key).await
    }

    /// Replaces the index record `record` (deleted, then created: Redis saves only over an
    /// existing key, and an expired record may still be there).
    pub async fn put_index(&self, record: &Record) -> session_store::Result<()> {
        self.inner.delete(&record.id).await?;
        let mut fresh = record.clone();
        self.inner.create(&mut fresh).await?;
        if fresh.id != record.id {
            // Created meanwhile by another sign-in: that one stays, this one goes.
            self.inner.delete(&fresh.id).await?;
        }
        Ok(())
    }

    pub async fn delete_index(&self, key: &Id) -> session_store::Result<()> {
        self.inner.delete(key).await
    }

    /// The keyed id of the index record named `name`.
    pub fn index_id(&self, name: &str) -> Id {
        self.ids.index(name)
    }

    /// `record` as stored: under the hash of its id, its data sealed and bound to that id.
    fn stored(&self, record: &Record) -> session_store::Result<Record> {
        let id = self.ids.stored(&record.id);
        let plain =
            serde_json::to_vec(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let sealed =
            self.sealer.seal_bound(&plain, &id.0.to_le_bytes()).map_err(session_store::Error::Encode)?;
        let data = HashMap::from([(SEALED.to_string(), serde_json::Value::String(sealed))]);
        Ok(Record { id, data, expiry_date: record.expiry_date })
    }

    /// The data of a record as stored under `stored`: `None` when it does not open there (sealed
    /// for another id, with another key, or altered). Also for tools that inspect a store.
    pub fn open_stored(
        &self,
        stored: &Id,
        data: &HashMap<String, serde_json::Value>,
    ) -> Option<HashMap<String, serde_json::Value>> {
        let sealed = data.get(SEALED)?.as_str()?;
        let plain = self.sealer.open_bound(sealed, &stored.0.to_le_bytes())?;
        serde_json::from_slice(&plain).ok()
    }

    /// The id the session `id`'s record is stored under (what an index may keep: it opens nothing).
    pub fn stored_id(&self, id: &Id) -> Id {
        self.ids.stored(id)
    }

    /// Deletes a session by the id its record is stored under, and keeps it ended: remembered
    /// here, and marked in the store for the other instances, for as long as a request in
    /// flight could still try to save it.
    pub async fn delete_stored(&self, stored: &Id) -> session_store::Result<()> {
        self.ended.end(*stored);
        if !self.shared {
            return self.inner.delete(stored).await;
        }
        let mut marker = Record {
            id: self.ids.tombstone(stored),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + ended::REMEMBER,
        };
        // Created, not saved: Redis saves only over an existing key. Ended twice, the second
        // marker lands under a random id and expires unread.
        self.inner.create(&mut marker).await?;
        self.inner.delete(stored).await
    }

    /// Whether the session stored under `stored` ended, here or on another instance.
    async fn has_ended(&self, stored: &Id) -> session_store::Result<bool> {
        if self.ended.has_ended(stored) {
            return Ok(true);
        }
        if !self.shared {
            return Ok(false);
        }
        let marked = self.inner.load(&self.ids.tombstone(stored)).await?.is_some();
        if marked {
            self.ended.end(*stored);
        }
        Ok(marked)
    }
}

#[async_trait]
impl SessionStore for DynStore {
    /// A new record under the hash of its id. Should the store find that hash taken (it then
    /// files the record under an id of its own, which no cookie maps to), the record is taken
    /// back and another id tried.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        for _ in 0..CREATE_ATTEMPTS {
            let mut stored = self.stored(record)?;
            let wanted = stored.id;
            self.inner.create(&mut stored).await?;
            if stored.id == wanted {
                return Ok(());
            }
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
        Err(session_store::Error::Backend("no free session id".into()))
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let stored = self.stored(record)?;
        if self.has_ended(&stored.id).await? {
            tracing::debug!("a save of a session that ended was dropped");
            return Ok(());
        }
        self.inner.save(&stored).await?;
        // Ended while this save was on its way: the delete wins.
        if self.ended.has_ended(&stored.id) {
            self.inner.delete(&stored.id).await?;
        }
        Ok(())
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let stored = self.ids.stored(id);
        let Some(record) = self.inner.load(&stored).await? else { return Ok(None) };
        match self.open_stored(&stored, &record.data) {
            Some(data) => Ok(Some(Record { id: *id, data, expiry_date: record.expiry_date })),
            None => {
                tracing::warn!("a session record does not open under its id: treated as no session");
                Ok(None)
            }
        }
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.delete_stored(&self.ids.stored(id)).await
    }
}

/// A lock shared by every instance (Redis), so that only one of them redeems a session's
/// refresh token at a time. Without it two instances could both spend a rotated token.
#[async_trait]
pub trait SharedLock: Send + Sync {
    /// `Some(token)` when this caller now holds `key` for at most `ttl`.
    async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<String>, String>;
    async fn release(&self, key: &str, token: &str);
}

struct RedisLock(tower_sessions_redis_store::fred::prelude::Pool);

#[async_trait]
impl SharedLock for RedisLock {
    async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<String>, String> {
        use tower_sessions_redis_store::fred::prelude::KeysInterface;
        use tower_sessions_redis_store::fred::types::{Expiration, SetOptions};
        let token = uuid::Uuid::new_v4().to_string();
        let set: Option<String> = self
            .0
            .set(
                key,
                token.as_str(),
                Some(Expiration::PX(ttl.as_millis() as i64)),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(set.map(|_| token))
    }

    async fn release(&self, key: &str, token: &str) {
        use tower_sessions_redis_store::fred::prelude::ClientLike;
        use tower_sessions_redis_store::fred::types::{ClusterHash, CustomCommand};
        // Compare-and-delete in one step: only our own lock, never one another instance took
        // after ours expired.
        const RELEASE: &str =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
        let eval = CustomCommand::new_static("EVAL", ClusterHash::Offset(2), false);
        let released: Result<i64, _> = self.0.custom(eval, vec![RELEASE, "1", key, token]).await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "the refresh lock could not be released; it expires by itself");
        }
    }
}

/// Opens the store, its records kept under ids hashed with `ids`. SQLite gets its table (the
/// database file private to this user: mode 0600, and so its WAL and shared-memory files) and a
/// periodic delete of expired rows (by the expiry index, never scanning live sessions); Redis
/// expires keys itself (TTL).
pub async fn open(
    kind: &StoreKind,
    ids: RecordIds,
) -> Result<(DynStore, Option<Arc<dyn SharedLock>>), String> {
    match kind {
        StoreKind::Memory => Ok((DynStore::new(Arc::new(MemoryStore::default()), ids), None)),
        StoreKind::Sqlite(path) => {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            // SQLite creates the -wal and -shm files with the database file's mode.
            make_private(path)?;
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                // WAL and a busy timeout: concurrent writers wait instead of failing, and a crash
                // never leaves a half-written database.
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(|e| format!("cannot open the session database {}: {e}", path.display()))?;
            let store = tower_sessions_sqlx_store::SqliteStore::new(pool);
            store.migrate().await.map_err(|e| format!("cannot prepare the session table: {e}"))?;
            tokio::spawn(store.clone().continuously_delete_expired(Duration::from_secs(60)));
            // One instance per database file: the in-process refresh lock is enough.
            Ok((DynStore::new(Arc::new(store), ids), None))
        }
        StoreKind::Redis(url) => {
            use tower_sessions_redis_store::fred::prelude::{Builder, ClientLike, Config, ReconnectPolicy};
            let config = Config::from_url(url.expose())
                .map_err(|e| format!("SESSION_STORE is not a Redis URL: {e}"))?;
            let pool = Builder::from_config(config)
                .with_connection_config(|c| c.connection_timeout = Duration::from_secs(2))
                // Fail a request quickly while Redis is down (the user gets a 503), and keep
                // reconnecting in the background so the app recovers by itself.
                .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(2))
                .set_policy(ReconnectPolicy::new_constant(0, 500))
                .build_pool(2)
                .map_err(|e| format!("cannot set up Redis: {e}"))?;
            pool.init().await.map_err(|e| format!("cannot reach Redis for sessions: {e}"))?;
            let lock: Arc<dyn SharedLock> = Arc::new(RedisLock(pool.clone()));
            let store = redis_store::PrefixedRedisStore::new(pool);
            Ok((DynStore::shared(Arc::new(store), ids), Some(lock)))
        }
    }
}

#[cfg(test)]
mod tests;
