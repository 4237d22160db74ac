//! Pacing each user's calls as Azure DevOps asks (`integrate/concepts/rate-limits`): `Retry-After` on any answer, a 200 included, and one call at a time once `X-RateLimit-Remaining` falls below a tenth of `X-RateLimit-Limit`.
//!
//! The rule, stated once:
//! - an answer with `Retry-After: n` (whatever its status) holds every call of that user for n
//!   seconds; a call that would wait longer than [`WAIT_BUDGET`] is not sent: it fails as
//!   throttled, with the seconds left, and the person is told;
//! - an answer with `X-RateLimit-Remaining` below [`LOW_SHARE_PERCENT`] % of
//!   `X-RateLimit-Limit` makes that user's calls go one at a time, until an answer says more
//!   remains (or none says anything for [`LOW_FORGOTTEN`]);
//! - `X-RateLimit-Resource` is named to the person ("Azure DevOps asked the portal to wait
//!   (ATCPU)"), never computed with: Microsoft says its values change without notice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Below this share of the limit remaining, a user's calls go one at a time.
pub const LOW_SHARE_PERCENT: u64 = 10;
/// The longest wait for `Retry-After` taken inside a request; beyond it the call fails as throttled.
pub const WAIT_BUDGET: Duration = Duration::from_secs(5);
/// "Low" is forgotten when no answer has said anything about the limit for this long (the
/// service's window is five minutes).
pub const LOW_FORGOTTEN: Duration = Duration::from_secs(300);
/// How long after Azure DevOps asked to wait a list still says that it was slowed.
const NOTICE_FOR: Duration = Duration::from_secs(60);
/// Users whose pace is kept before idle ones are dropped.
const MAX_USERS: usize = 10_000;

/// What the person is told about a slowdown Azure DevOps asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slowdown {
    /// `X-RateLimit-Resource`, to show, when Azure DevOps named it.
    pub resource: Option<String>,
    /// Whether calls are going one at a time (remaining below the share).
    pub one_at_a_time: bool,
    /// Whether a `Retry-After` was honoured lately.
    pub waited: bool,
}

impl Slowdown {
    /// One sentence for a person.
    pub fn sentence(&self) -> String {
        let what = self.resource.as_deref().map(|r| format!(" (resource {r})")).unwrap_or_default();
        let asked = if self.waited { "to wait" } else { "to slow down" };
        let so = if self.one_at_a_time {
            "it reads one thing at a time for now, so lists may be slow"
        } else {
            "this list was slowed to honour it"
        };
        format!("Azure DevOps asked the portal {asked}{what}: {so}.")
    }
}

#[derive(Default)]
struct State {
    resume_at: Option<Instant>,
    low_since: Option<Instant>,
    resource: Option<String>,
    asked_at: Option<Instant>,
    waited_at: Option<Instant>,
}

struct UserPace {
    state: Mutex<State>,
    single: Arc<Semaphore>,
}

/// Every user's pace, by a key from their token.
#[derive(Default)]
pub struct Pacer {
    users: Mutex<HashMap<String, Arc<UserPace>>>,
}

/// Held for the length of a call: the single slot when the user is low.
pub struct Ticket(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl Pacer {
    fn user(&self, key: &str) -> Arc<UserPace> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if users.len() >= MAX_USERS {
            users.retain(|_, u| Arc::strong_count(u) > 1);
        }
        users
            .entry(key.to_string())
            .or_insert_with(|| {
                Arc::new(UserPace { state: Mutex::default(), single: Arc::new(Semaphore::new(1)) })
            })
            .clone()
    }

    /// Before a call of `key`'s: waits out a `Retry-After` that fits the budget (`Err(seconds
    /// left)` when it does not), then takes the single slot when the user is low.
    pub async fn before(&self, key: &str) -> Result<Ticket, u64> {
        let user = self.user(key);
        let (resume_at, low) = {
            let mut s = user.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.low_since.is_some_and(|t| t.elapsed() > LOW_FORGOTTEN) {
                s.low_since = None;
            }
            (s.resume_at, s.low_since.is_some())
        };
        if let Some(at) = resume_at {
            let left = at.saturating_duration_since(Instant::now());
            if left > WAIT_BUDGET {
                return Err(left.as_secs_f64().ceil() as u64);
            }
            tokio::time::sleep_until(at).await;
        }
        if !low {
            return Ok(Ticket(None));
        }
        let permit = user.single.clone().acquire_owned().await.ok();
        Ok(Ticket(permit))
    }

    /// After an answer (any status): what it says about the pace.
    pub fn after(&self, key: &str, headers: &HeaderMap) {
        let number = |name: &str| {
            headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok())
        };
        let retry_after = number(RETRY_AFTER.as_str());
        let (remaining, limit) = (number("x-ratelimit-remaining"), number("x-ratelimit-limit"));
        if retry_after.is_none() && remaining.is_none() {
            return;
        }
        let user = self.user(key);
        let mut s = user.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(r) = headers.get("x-ratelimit-resource").and_then(|v| v.to_str().ok()) {
            s.resource = Some(r.chars().filter(|c| c.is_ascii_graphic()).take(64).collect());
        }
        if let Some(secs) = retry_after {
            let until = now + Duration::from_secs(secs.min(3600));
            s.resume_at = Some(s.resume_at.map_or(until, |r| r.max(until)));
            s.asked_at = Some(now);
            s.waited_at = Some(now);
        }
        match (remaining, limit) {
            (Some(r), Some(l)) if l > 0 && r.saturating_mul(100) < l.saturating_mul(LOW_SHARE_PERCENT) => {
                s.low_since = Some(now);
                s.asked_at = Some(now);
            }
            (Some(_), Some(_)) => s.low_since = None,
            _ => {}
        }
    }

    /// What to tell `key`'s person about the pace, when Azure DevOps asked for one lately.
    pub fn notice(&self, key: &str) -> Option<Slowdown> {
        let users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let s = users.get(key)?.state.lock().unwrap_or_else(|p| p.into_inner());
        let recent = s.asked_at.is_some_and(|t| t.elapsed() < NOTICE_FOR);
        let waited = s.waited_at.is_some_and(|t| t.elapsed() < NOTICE_FOR);
        recent.then(|| Slowdown {
            resource: s.resource.clone(),
            one_at_a_time: s.low_since.is_some(),
            waited,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_on_any_answer_holds_the_next_call() {
        let p = Pacer::default();
        assert!(p.before("u").await.is_ok());
        assert_eq!(p.notice("u"), None);
        p.after("u", &headers(&[("retry-after", "2"), ("x-ratelimit-resource", "ATCPU")]));
        let started = tokio::time::Instant::now();
        assert!(p.before("u").await.is_ok());
        assert!(started.elapsed() >= Duration::from_secs(2), "waited for Retry-After");
        assert!(p.before("someone else").await.is_ok());
        assert_eq!(p.notice("u").unwrap().resource.as_deref(), Some("ATCPU"));
        assert!(p.notice("u").unwrap().sentence().contains("asked the portal to wait (resource ATCPU)"));
        p.after("u", &headers(&[("retry-after", "30")]));
        assert_eq!(p.before("u").await.err(), Some(30), "too long to wait inside a request");
    }

    #[tokio::test]
    async fn below_a_tenth_remaining_a_user_goes_one_call_at_a_time() {
        let p = Pacer::default();
        p.after("u", &headers(&[("x-ratelimit-remaining", "19"), ("x-ratelimit-limit", "200")]));
        let first = p.before("u").await.unwrap();
        assert!(first.0.is_some());
        let second = tokio::time::timeout(Duration::from_millis(50), p.before("u")).await;
        assert!(second.is_err(), "the second call waits for the first");
        drop(first);
        assert!(p.before("u").await.unwrap().0.is_some());
        assert!(p.notice("u").unwrap().one_at_a_time);
        p.after("u", &headers(&[("x-ratelimit-remaining", "20"), ("x-ratelimit-limit", "200")]));
        let a = p.before("u").await.unwrap();
        let b = p.before("u").await.unwrap();
        assert!(a.0.is_none() && b.0.is_none(), "10 % remaining is not below a tenth");
    }
}
