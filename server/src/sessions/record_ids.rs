//! The ids session records are stored under: HMAC-SHA256 of the cookie's id with a key derived
//! from `SESSION_KEY`. A copy of the store (SQLite file, Redis dump) then names no cookie that
//! would open a session; the server, holding the key, finds each record from the cookie.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tower_sessions::session::Id;

type HmacSha256 = Hmac<Sha256>;

/// What the record-id key is derived for: never the same key as the sealing of values.
const PURPOSE: &[u8] = b"pat-portal session record id v1";

#[derive(Clone)]
pub struct RecordIds {
    key: [u8; 32],
}

impl std::fmt::Debug for RecordIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordIds([redacted])")
    }
}

impl RecordIds {
    /// Derives the key from the session key (HMAC of a fixed purpose label).
    pub fn new(session_key: &[u8; 32]) -> Self {
        let mut mac = HmacSha256::new_from_slice(session_key).expect("HMAC takes any key length");
        mac.update(PURPOSE);
        RecordIds { key: mac.finalize().into_bytes().into() }
    }

    /// The key that seals whole records in the store (derived apart from the record ids').
    pub fn record_key(&self) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"record seal");
        mac.finalize().into_bytes().into()
    }

    /// The id the record of the session `id` is stored under.
    pub fn stored(&self, id: &Id) -> Id {
        self.derive(b"record", id)
    }

    /// The id of the marker that says the session stored under `stored` ended: every instance
    /// sharing the store sees it.
    pub fn tombstone(&self, stored: &Id) -> Id {
        self.derive(b"ended", stored)
    }

    /// The id of an index record named `name` (such as an identity provider's `sid`): keyed
    /// apart from session records, so no cookie reaches it.
    pub fn index(&self, name: &str) -> Id {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"index");
        mac.update(name.as_bytes());
        first_16(&mac.finalize().into_bytes())
    }

    /// The name of the session `id`'s refresh lock (visible in Redis): keyed like the records,
    /// so it names no cookie and cannot be computed from one without the key.
    pub fn refresh_lock(&self, id: &Id) -> String {
        self.derive(b"refresh lock", id).to_string()
    }

    fn derive(&self, label: &[u8], id: &Id) -> Id {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(label);
        mac.update(&id.0.to_le_bytes());
        first_16(&mac.finalize().into_bytes())
    }
}

fn first_16(digest: &[u8]) -> Id {
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_ids_are_keyed_stable_and_unlike_the_cookie_id() {
        let id = Id::default();
        let a = RecordIds::new(&[1; 32]);
        assert_eq!(a.stored(&id), a.stored(&id), "the same record every time");
        assert_ne!(a.stored(&id), id, "never the cookie's id");
        assert_ne!(RecordIds::new(&[2; 32]).stored(&id), a.stored(&id), "another key, another id");
        assert_ne!(a.stored(&Id::default()), a.stored(&id));
        assert_ne!(a.tombstone(&a.stored(&id)), a.stored(&id));
        assert!(!format!("{a:?}").contains('1'), "the key is not printed");
    }
}
