//! Session storage: the store (embedded SQLite by default, Redis for several instances, memory
//! for tests) and the sealing of the token cache with an AEAD keyed by `SESSION_KEY`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::{MemoryStore, SessionStore};

use crate::secret::Secret;

mod ended;

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

/// Any session store behind one type, so the session layer is built the same way for each, and
/// a session that ended here stays ended: a save arriving after its delete (a token refresh
/// that finishes after sign-out) is dropped instead of writing the record back.
#[derive(Debug, Clone)]
pub struct DynStore {
    inner: Arc<dyn SessionStore>,
    ended: Arc<ended::EndedSessions>,
}

impl DynStore {
    pub fn new(inner: Arc<dyn SessionStore>) -> Self {
        DynStore { inner, ended: Arc::default() }
    }
}

#[async_trait]
impl SessionStore for DynStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if self.ended.has_ended(&record.id) {
            tracing::debug!("a save of a session that ended was dropped");
            return Ok(());
        }
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.ended.end(*id);
        self.inner.delete(id).await
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

/// Opens the store. SQLite gets its table and a periodic delete of expired rows (by the expiry
/// index, never scanning live sessions); Redis expires keys itself (TTL).
pub async fn open(kind: &StoreKind) -> Result<(DynStore, Option<Arc<dyn SharedLock>>), String> {
    match kind {
        StoreKind::Memory => Ok((DynStore::new(Arc::new(MemoryStore::default())), None)),
        StoreKind::Sqlite(path) => {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
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
            Ok((DynStore::new(Arc::new(store)), None))
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
            Ok((DynStore::new(Arc::new(tower_sessions_redis_store::RedisStore::new(pool))), Some(lock)))
        }
    }
}

/// Seals and opens the token cache (XChaCha20-Poly1305, random 192-bit nonces).
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Sealer { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// `base64(nonce || ciphertext)`.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(self.cipher.encrypt(&nonce, plaintext).map_err(|_| "encryption failed".to_string())?);
        Ok(STANDARD.encode(out))
    }

    /// `None` when the value was sealed with another key or altered: the caller treats the
    /// session as signed out.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        self.cipher.decrypt(XNonce::from_slice(nonce), ciphertext).ok()
    }
}

/// Where the token-cache key comes from: `SESSION_KEY` (base64 of 32 bytes), `SESSION_KEY_FILE`,
/// or, with neither, a key generated on first run and kept in a file beside the session database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Value(Secret),
    File(PathBuf),
    Generated(PathBuf),
}

pub fn load_key(source: &KeySource) -> Result<[u8; 32], String> {
    let decode = |text: &str, what: &str| -> Result<[u8; 32], String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("{what} is not base64 (make one with: openssl rand -base64 32)"))?;
        <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| format!("{what} must decode to 32 bytes"))
    };
    match source {
        KeySource::Value(v) => decode(v.expose(), "SESSION_KEY"),
        KeySource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("SESSION_KEY_FILE {}: {e}", path.display()))?;
            decode(&text, "SESSION_KEY_FILE")
        }
        KeySource::Generated(path) => match std::fs::read_to_string(path) {
            Ok(text) => decode(&text, &format!("the key file {}", path.display())),
            Err(_) => {
                let mut key = [0u8; 32];
                chacha20poly1305::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut key);
                write_private(path, &STANDARD.encode(key))?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a token-cache key and kept it in a file; set SESSION_KEY (or SESSION_KEY_FILE) in production"
                );
                Ok(key)
            }
        },
    }
}

fn write_private(path: &Path, content: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))?;
        f.write_all(content.as_bytes())
            .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))
    }
    #[cfg(not(unix))]
    std::fs::write(path, content).map_err(|e| format!("cannot write the key file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let a = Sealer::new(&[7; 32]);
        let b = Sealer::new(&[8; 32]);
        let sealed = a.seal(b"refresh-token-123").unwrap();
        assert!(!sealed.contains("refresh-token"));
        assert_eq!(a.open(&sealed).unwrap(), b"refresh-token-123");
        assert!(b.open(&sealed).is_none(), "another key cannot open it");
        let mut tampered = STANDARD.decode(&sealed).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(a.open(&STANDARD.encode(tampered)).is_none(), "an altered value is refused");
        assert!(a.open("not base64 !").is_none());
        assert_ne!(a.seal(b"x").unwrap(), a.seal(b"x").unwrap(), "fresh nonce each time");
    }

    #[test]
    fn store_kinds_parse() {
        assert!(matches!(StoreKind::parse(None).unwrap(), StoreKind::Sqlite(_)));
        assert_eq!(
            StoreKind::parse(Some("sqlite:/tmp/s.db")).unwrap(),
            StoreKind::Sqlite("/tmp/s.db".into())
        );
        assert!(matches!(StoreKind::parse(Some("redis://127.0.0.1:6379")).unwrap(), StoreKind::Redis(_)));
        assert_eq!(StoreKind::parse(Some("memory")).unwrap(), StoreKind::Memory);
        assert!(StoreKind::parse(Some("postgres://x")).is_err());
    }

    #[test]
    fn keys_load_from_value_and_are_generated_once() {
        let k = load_key(&KeySource::Value(Secret::new(STANDARD.encode([1u8; 32])))).unwrap();
        assert_eq!(k, [1u8; 32]);
        assert!(load_key(&KeySource::Value(Secret::new("short"))).is_err());
        let dir = std::env::temp_dir().join(format!("pat-portal-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("k");
        let first = load_key(&KeySource::Generated(path.clone())).unwrap();
        let second = load_key(&KeySource::Generated(path.clone())).unwrap();
        assert_eq!(first, second, "kept across restarts");
        let _ = std::fs::remove_dir_all(dir);
    }
}
