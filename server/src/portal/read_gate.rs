//! Bounds on reads: at most a few at a time per session and per user (a few more wait their
//! turn; beyond that, 429), and an overall deadline on the Azure DevOps part of each read,
//! however many calls it makes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::error::ApiError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_sessions::session::Id;

use crate::secret::Secret;

/// Reads one session may have in flight at once (a page makes two or three).
pub const READS_PER_SESSION: usize = 4;
/// Reads of one session that may wait for a slot; one more is refused (429).
pub const QUEUED_PER_SESSION: usize = 8;
/// Reads one user may have in flight across all their sessions (signing in again and again
/// gives a user more sessions, never more reads).
pub const READS_PER_USER: usize = 8;
/// Reads of one user that may wait for a slot.
pub const QUEUED_PER_USER: usize = 16;

/// Whose reads a slot bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Session(Id),
    /// `grants::caller_key` of the access token: the user's object id.
    User(String),
}

/// One session's or user's slots and how many reads wait for one.
struct Slot {
    permits: Arc<Semaphore>,
    queued: AtomicUsize,
    max_queued: usize,
}

/// Counts a read waiting for a slot, and stops counting it however the wait ends (a slot, a
/// timeout, or the request cancelled while it waited).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A slot held for one read: the slot is kept (not dropped as idle) while its permit is held.
struct Entered(#[allow(dead_code)] Arc<Slot>, #[allow(dead_code)] OwnedSemaphorePermit);

/// Slots kept before idle ones are dropped.
const MAX_SLOTS: usize = 10_000;

pub struct ReadGate {
    deadline: Duration,
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
}

impl ReadGate {
    /// `deadline` bounds the Azure DevOps part of a read (the token refresh before it is never
    /// cut short: dropping it could lose a rotated refresh token).
    pub fn new(deadline: Duration) -> Self {
        ReadGate { deadline, slots: Mutex::new(HashMap::new()) }
    }

    /// Runs `read` when both the session and the user (the access token's) have a free slot
    /// (waiting for one, unless too many already wait: 429, try again in a second), and gives up
    /// with "not answering" when the read takes longer than the deadline.
    pub async fn run<T>(
        &self,
        session: Id,
        token: &Secret,
        read: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let _session = self.enter(Key::Session(session)).await?;
        let _user = self.enter(Key::User(crate::devops::grants::caller_key(token))).await?;
        match tokio::time::timeout(self.deadline, read).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(deadline_secs = self.deadline.as_secs(), "a read passed its deadline");
                crate::metrics::refused("read_deadline");
                Err(ApiError::UpstreamUnavailable)
            }
        }
    }

    /// A slot of `key`'s, at once or after waiting in line.
    async fn enter(&self, key: Key) -> Result<Entered, ApiError> {
        let limit = match key {
            Key::Session(_) => "session_reads",
            Key::User(_) => "user_reads",
        };
        let slot = self.slot(key);
        if let Ok(p) = slot.permits.clone().try_acquire_owned() {
            return Ok(Entered(slot, p));
        }
        let busy = || {
            crate::metrics::refused(limit);
            ApiError::TooManyRequests { retry_after_secs: 1 }
        };
        let before = slot.queued.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&slot.queued);
        if before >= slot.max_queued {
            return Err(busy());
        }
        match tokio::time::timeout(self.deadline, slot.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(Entered(slot.clone(), p)),
            _ => Err(busy()),
        }
    }

    fn slot(&self, key: Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= MAX_SLOTS {
            // Only slots nobody holds or waits for go.
            slots.retain(|_, s| Arc::strong_count(s) > 1);
        }
        let (permits, max_queued) = match key {
            Key::Session(_) => (READS_PER_SESSION, QUEUED_PER_SESSION),
            Key::User(_) => (READS_PER_USER, QUEUED_PER_USER),
        };
        slots
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Slot {
                    permits: Arc::new(Semaphore::new(permits)),
                    queued: AtomicUsize::new(0),
                    max_queued,
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(user: &str) -> Secret {
        Secret::new(format!("not-a-jwt-{user}"))
    }

    /// `n` reads of `session` that hold their slot until `release` says true.
    fn hold(
        gate: &Arc<ReadGate>,
        session: Id,
        user: &str,
        n: usize,
        release: &tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<Result<(), ApiError>>> {
        (0..n)
            .map(|_| {
                let (gate, mut wait, token) = (gate.clone(), release.clone(), token(user));
                tokio::spawn(async move {
                    gate.run(session, &token, async move {
                        let _ = wait.wait_for(|r| *r).await;
                        Ok::<_, ApiError>(())
                    })
                    .await
                })
            })
            .collect()
    }

    async fn settle() {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    const BUSY: Result<(), ApiError> = Err(ApiError::TooManyRequests { retry_after_secs: 1 });

    #[tokio::test]
    async fn a_session_gets_a_few_reads_at_a_time_a_few_waiting_and_each_a_deadline() {
        let gate = Arc::new(ReadGate::new(Duration::from_millis(200)));
        let id = Id::default();
        let (release, wait) = tokio::sync::watch::channel(false);
        let held = hold(&gate, id, "a", READS_PER_SESSION + QUEUED_PER_SESSION, &wait);
        settle().await;
        assert_eq!(gate.run(id, &token("a"), async { Ok(()) }).await, BUSY);
        assert!(gate.run(Id::default(), &token("a"), async { Ok(()) }).await.is_ok(), "another session");
        release.send(true).unwrap();
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
        let a = token("a");
        let slow = gate.run(id, &a, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, ApiError>(())
        });
        assert_eq!(slow.await, Err(ApiError::UpstreamUnavailable));
    }

    /// Issue 29, item 4: a read cancelled while it waited gave back nothing, and after eight
    /// such cancellations the session got only 429s.
    #[tokio::test]
    async fn a_read_cancelled_while_waiting_leaves_its_place_in_line() {
        let gate = Arc::new(ReadGate::new(Duration::from_secs(5)));
        let id = Id::default();
        let (release, wait) = tokio::sync::watch::channel(false);
        let holding = hold(&gate, id, "a", READS_PER_SESSION, &wait);
        settle().await;
        let waiting = hold(&gate, id, "a", QUEUED_PER_SESSION, &wait);
        settle().await;
        for w in &waiting {
            w.abort();
        }
        settle().await;
        let again = hold(&gate, id, "a", QUEUED_PER_SESSION, &wait);
        settle().await;
        release.send(true).unwrap();
        for h in holding.into_iter().chain(again) {
            assert!(h.await.unwrap().is_ok(), "the line is as long as before the cancellations");
        }
    }

    /// Issue 29, item 4: more sessions of one user do not give that user more reads.
    #[tokio::test]
    async fn a_user_with_many_sessions_gets_the_reads_of_one_user() {
        let gate = Arc::new(ReadGate::new(Duration::from_secs(5)));
        let (release, wait) = tokio::sync::watch::channel(false);
        let mut held = Vec::new();
        for _ in 0..(READS_PER_USER + QUEUED_PER_USER) {
            held.extend(hold(&gate, Id::default(), "a", 1, &wait));
        }
        settle().await;
        assert_eq!(
            gate.run(Id::default(), &token("a"), async { Ok(()) }).await,
            BUSY,
            "a new session, same user"
        );
        assert!(gate.run(Id::default(), &token("b"), async { Ok(()) }).await.is_ok(), "another user");
        release.send(true).unwrap();
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
    }
}
