//! Sessions in Redis under a key prefix (`pat-portal:session:`), so the app can share a Redis
//! with others: a record is JSON under `{prefix}{stored id}`, expiring with the session (EXAT).
//! Created only where the key is free (NX), saved only over an existing one (XX), as the
//! `tower-sessions-redis-store` crate does.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::{session_store, SessionStore};
use tower_sessions_redis_store::fred::prelude::{KeysInterface, Pool};
use tower_sessions_redis_store::fred::types::{Expiration, SetOptions};

/// Every key the app writes starts with this (the refresh locks with `pat-portal:refresh-lock:`).
pub const KEY_PREFIX: &str = "pat-portal:session:";

#[derive(Debug, Clone)]
pub struct PrefixedRedisStore {
    pool: Pool,
}

fn key(id: &Id) -> String {
    format!("{KEY_PREFIX}{id}")
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl PrefixedRedisStore {
    pub fn new(pool: Pool) -> Self {
        PrefixedRedisStore { pool }
    }

    /// Writes `record` if `options` allows; answers whether it was written.
    async fn write(&self, record: &Record, options: SetOptions) -> session_store::Result<bool> {
        let value = serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let expire = Expiration::EXAT(record.expiry_date.unix_timestamp());
        let set: Option<String> = self
            .pool
            .set(key(&record.id), value.as_slice(), Some(expire), Some(options), false)
            .await
            .map_err(backend)?;
        Ok(set.is_some())
    }
}

#[async_trait]
impl SessionStore for PrefixedRedisStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.write(record, SetOptions::NX).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, SetOptions::XX).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let value: Option<Vec<u8>> = self.pool.get(key(id)).await.map_err(backend)?;
        value
            .map(|v| serde_json::from_slice(&v).map_err(|e| session_store::Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let _: i64 = self.pool.del(key(id)).await.map_err(backend)?;
        Ok(())
    }
}
