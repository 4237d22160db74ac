//! Bounds on reads: at most a few at a time per session (a few more wait their turn; beyond
//! that, 429), and an overall deadline on the Azure DevOps part of each read, however many calls
//! it makes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::error::ApiError;
use tokio::sync::Semaphore;
use tower_sessions::session::Id;

/// Reads one session may have in flight at once (a page makes two or three).
pub const READS_PER_SESSION: usize = 4;
/// Reads of one session that may wait for a slot; one more is refused (429).
pub const QUEUED_PER_SESSION: usize = 8;

/// One session's slots and how many reads wait for one.
struct Slot {
    permits: Arc<Semaphore>,
    queued: AtomicUsize,
}
/// Sessions with a slot kept before idle slots are dropped.
const MAX_SLOTS: usize = 10_000;

pub struct ReadGate {
    deadline: Duration,
    slots: Mutex<HashMap<Id, Arc<Slot>>>,
}

impl ReadGate {
    /// `deadline` bounds the Azure DevOps part of a read (the token refresh before it is never
    /// cut short: dropping it could lose a rotated refresh token).
    pub fn new(deadline: Duration) -> Self {
        ReadGate { deadline, slots: Mutex::new(HashMap::new()) }
    }

    /// Runs `read` when the session has a free slot (waiting for one, unless too many already
    /// wait: 429, try again in a second), and gives up with "not answering" when the read takes
    /// longer than the deadline.
    pub async fn run<T>(
        &self,
        session: Id,
        read: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let slot = self.slot(session);
        let busy = ApiError::TooManyRequests { retry_after_secs: 1 };
        let _permit = match slot.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if slot.queued.fetch_add(1, Ordering::SeqCst) >= QUEUED_PER_SESSION {
                    slot.queued.fetch_sub(1, Ordering::SeqCst);
                    crate::metrics::refused("session_reads");
                    return Err(busy);
                }
                let waited = tokio::time::timeout(self.deadline, slot.permits.clone().acquire_owned()).await;
                slot.queued.fetch_sub(1, Ordering::SeqCst);
                match waited {
                    Ok(Ok(p)) => p,
                    _ => {
                        crate::metrics::refused("session_reads");
                        return Err(busy);
                    }
                }
            }
        };
        match tokio::time::timeout(self.deadline, read).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(deadline_secs = self.deadline.as_secs(), "a read passed its deadline");
                crate::metrics::refused("read_deadline");
                Err(ApiError::UpstreamUnavailable)
            }
        }
    }

    fn slot(&self, session: Id) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= MAX_SLOTS {
            // Only slots nobody holds or waits for go.
            slots.retain(|_, s| Arc::strong_count(s) > 1);
        }
        slots
            .entry(session)
            .or_insert_with(|| {
                Arc::new(Slot {
                    permits: Arc::new(Semaphore::new(READS_PER_SESSION)),
                    queued: AtomicUsize::new(0),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_session_gets_a_few_reads_at_a_time_a_few_waiting_and_each_a_deadline() {
        let gate = Arc::new(ReadGate::new(Duration::from_millis(200)));
        let id = Id::default();
        let (release, wait) = tokio::sync::watch::channel(false);
        let mut held = Vec::new();
        for _ in 0..READS_PER_SESSION + QUEUED_PER_SESSION {
            let (gate, mut wait) = (gate.clone(), wait.clone());
            held.push(tokio::spawn(async move {
                gate.run(id, async move {
                    let _ = wait.wait_for(|r| *r).await;
                    Ok::<_, ApiError>(())
                })
                .await
            }));
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let extra = gate.run(id, async { Ok::<_, ApiError>(()) }).await;
        assert_eq!(extra, Err(ApiError::TooManyRequests { retry_after_secs: 1 }));
        assert!(gate.run(Id::default(), async { Ok::<_, ApiError>(()) }).await.is_ok(), "another session");
        release.send(true).unwrap();
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
        let slow = gate.run(id, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, ApiError>(())
        });
        assert_eq!(slow.await, Err(ApiError::UpstreamUnavailable));
    }
}
