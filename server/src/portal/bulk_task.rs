//! A bulk change runs as a task of its own, not inside the request that started it: one at a time per session, each target taken from the user's change budget, none started after the task's deadline, its progress kept for the page to ask for (issue 29, medium 2).
//!
//! The rule, stated once:
//! - a session has at most one bulk change running; starting another while it runs is refused;
//! - at most [`MAX_RUNNING`] run at once in a process (beyond, "try again in a moment");
//! - each target is read again, then changed, with an access token fetched (and refreshed when
//!   it is about to expire) just before; a change sent to Azure DevOps is always waited for;
//! - a target is not attempted once the task has run for its deadline (four times
//!   `REQUEST_DEADLINE_SECS`, 120 s by default), or when the user's
//!   change budget is spent: it is reported as "not attempted", with why, and stays selected;
//! - what happened to each target is kept for [`KEEP_FINISHED`] after the task ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::error::ApiError;
use app::inventory::{BulkOutcome, BulkProgress, BulkTarget};
use tokio::sync::Notify;
use tower_sessions::session::Id;

/// How long a finished change's outcomes can still be asked for.
pub const KEEP_FINISHED: Duration = Duration::from_secs(15 * 60);
/// Bulk changes running at once in this process.
pub const MAX_RUNNING: usize = 64;

#[derive(Default)]
struct Task {
    total: u32,
    outcomes: Vec<BulkOutcome>,
    finished_at: Option<Instant>,
}

impl Task {
    fn progress(&self) -> BulkProgress {
        BulkProgress {
            total: self.total,
            outcomes: self.outcomes.clone(),
            finished: self.finished_at.is_some(),
        }
    }
}

/// Every session's bulk change, running or lately finished.
#[derive(Default)]
pub struct BulkTasks {
    tasks: Mutex<HashMap<Id, Arc<Mutex<Task>>>>,
    running: AtomicUsize,
    ended: Notify,
}

/// A running task: outcomes go in through it, and dropping it (the task ended, or its future was
/// dropped) marks the task finished.
pub struct Running {
    task: Arc<Mutex<Task>>,
    tasks: Arc<BulkTasks>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BulkTasks {
    /// Starts `session`'s bulk change of `total` targets, unless one of its own still runs or
    /// the process runs as many as it may.
    pub fn start(self: &Arc<Self>, session: Id, total: usize) -> Result<Running, ApiError> {
        let mut tasks = lock(&self.tasks);
        tasks.retain(|_, t| lock(t).finished_at.is_none_or(|at| at.elapsed() < KEEP_FINISHED));
        if tasks.get(&session).is_some_and(|t| lock(t).finished_at.is_none()) {
            return Err(ApiError::invalid(
                "tokens",
                "A bulk change of yours is still running: wait until it has finished, then try again.",
            ));
        }
        if self.running.load(Ordering::SeqCst) >= MAX_RUNNING {
            crate::metrics::refused("bulk_changes_running");
            return Err(ApiError::TooManyRequests { retry_after_secs: 10 });
        }
        let task =
            Arc::new(Mutex::new(Task { total: u32::try_from(total).unwrap_or(u32::MAX), ..Task::default() }));
        tasks.insert(session, task.clone());
        self.running.fetch_add(1, Ordering::SeqCst);
        Ok(Running { task, tasks: self.clone() })
    }

    /// `session`'s bulk change, running or finished within [`KEEP_FINISHED`].
    pub fn progress(&self, session: Id) -> Option<BulkProgress> {
        let tasks = lock(&self.tasks);
        let task = lock(tasks.get(&session)?);
        task.finished_at.is_none_or(|at| at.elapsed() < KEEP_FINISHED).then(|| task.progress())
    }

    /// How many bulk changes are running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Waits until no bulk change runs, at most `within`; answers how many still run.
    pub async fn drained(&self, within: Duration) -> usize {
        let until = tokio::time::Instant::now() + within;
        loop {
            let ended = self.ended.notified();
            if self.running() == 0 {
                return 0;
            }
            if tokio::time::timeout_at(until, ended).await.is_err() {
                return self.running();
            }
        }
    }
}

impl Running {
    pub fn progress(&self) -> BulkProgress {
        lock(&self.task).progress()
    }

    pub fn record(&self, outcome: BulkOutcome) {
        lock(&self.task).outcomes.push(outcome);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        lock(&self.task).finished_at = Some(Instant::now());
        self.tasks.running.fetch_sub(1, Ordering::SeqCst);
        self.tasks.ended.notify_waiters();
    }
}

/// A bulk change as it runs: what it needs once the request that started it has ended.
pub struct BulkJob {
    pub pats: Arc<super::pats::Pats>,
    pub tokens: Arc<super::token_source::TokenSource>,
    pub changes: Arc<super::change_gate::ChangeBudget>,
    pub session: tower_sessions::Session,
    pub id: Id,
    /// Whose change budget each target takes from.
    pub user: String,
    pub change: super::bulk::Applied,
    pub targets: Vec<BulkTarget>,
    /// No target starts after the change has run this long (`REQUEST_DEADLINE_SECS` × 4).
    pub deadline: Duration,
}

/// Targets read and changed at the same time within one bulk change.
const PARALLEL_TARGETS: usize = 4;

impl BulkJob {
    /// Runs the change to its end (every target done, failed or not attempted), then forgets the
    /// inventory read before it.
    pub async fn run(self, running: Running) {
        use futures::stream::{self, StreamExt};
        let deadline = Instant::now() + self.deadline;
        let this = &self;
        let running = &running;
        stream::iter(self.targets.clone())
            .for_each_concurrent(PARALLEL_TARGETS, |target| async move {
                running.record(this.one(target, deadline).await);
            })
            .await;
        self.pats.forget_inventory(self.id);
        let outcomes = running.progress().outcomes;
        super::bulk::count_bulk(self.change, &outcomes);
        let changed = outcomes.iter().filter(|o| o.done.is_some()).count();
        tracing::info!(change = ?self.change, changed, other = outcomes.len() - changed, "bulk change finished");
    }

    async fn one(&self, target: BulkTarget, deadline: Instant) -> BulkOutcome {
        if Instant::now() >= deadline {
            let secs = self.deadline.as_secs();
            return not_attempted(
                target,
                &format!("the change stopped after {secs} seconds. Select it again to finish."),
            );
        }
        if let Err(wait) = self.changes.take(&self.user) {
            crate::metrics::refused("token_change_rate");
            return not_attempted(target, &self.changes.spent(wait));
        }
        // Fetched for each target: a long change outlives an access token, which is refreshed.
        match self.tokens.access_token(&self.session).await {
            Ok(token) => self.pats.apply_one(&token, self.id, self.change, target).await,
            Err(e) => BulkOutcome { target, name: String::new(), done: None, error: Some(e) },
        }
    }
}

/// The outcome of a target left alone, and why (it stays selected for another try).
pub fn not_attempted(target: BulkTarget, why: &str) -> BulkOutcome {
    BulkOutcome {
        target,
        name: String::new(),
        done: None,
        error: Some(ApiError::invalid("token", format!("Not attempted: {why}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> BulkTarget {
        BulkTarget { org: "fabrikam-demo".into(), id: "5a0e5bb3-5cc8-4fd4-9f4f-8d6bb3bfcd7e".into() }
    }

    #[tokio::test]
    async fn one_bulk_change_at_a_time_per_session_and_its_progress_outlives_it() {
        let tasks = Arc::new(BulkTasks::default());
        let (a, b) = (Id(1), Id(2));
        let running = tasks.start(a, 2).unwrap();
        assert!(matches!(tasks.start(a, 1), Err(ApiError::InvalidInput { .. })), "a second one is refused");
        let other = tasks.start(b, 1).unwrap();
        running.record(not_attempted(target(), "test"));
        assert_eq!(tasks.progress(a).map(|p| (p.total, p.outcomes.len(), p.finished)), Some((2, 1, false)));
        assert_eq!(tasks.running(), 2);
        drop(running);
        assert_eq!(tasks.progress(a).map(|p| p.finished), Some(true));
        assert!(tasks.start(a, 1).is_ok(), "after it finished, another may start");
        drop(other);
        assert_eq!(tasks.drained(Duration::from_millis(50)).await, 0);
    }

    #[tokio::test]
    async fn draining_waits_for_running_changes_within_its_time() {
        let tasks = Arc::new(BulkTasks::default());
        let running = tasks.start(Id(3), 1).unwrap();
        assert_eq!(tasks.drained(Duration::from_millis(20)).await, 1, "still running after the time");
        let waiter = {
            let tasks = tasks.clone();
            tokio::spawn(async move { tasks.drained(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(running);
        assert_eq!(waiter.await.unwrap(), 0);
    }

    #[test]
    fn the_process_runs_a_bounded_number() {
        let tasks = Arc::new(BulkTasks::default());
        let all: Vec<_> = (0..MAX_RUNNING as i128).map(|i| tasks.start(Id(i), 1).unwrap()).collect();
        assert!(matches!(tasks.start(Id(-1), 1), Err(ApiError::TooManyRequests { .. })));
        drop(all);
        assert!(tasks.start(Id(-1), 1).is_ok());
    }
}
