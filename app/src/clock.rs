//! The server's clock: the real one, or one that starts at a chosen instant (demo stack and
//! tests), so that date rules such as the retirement of global PATs can be shown on both sides.

use time::OffsetDateTime;

/// What "now" is for the portal and the demo stand-ins. Cheap to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// Added to the real time; zero for the real clock.
    offset: time::Duration,
}

impl Clock {
    /// The real time.
    pub fn system() -> Self {
        Clock::default()
    }

    /// A clock that reads `start` now and runs on from there at the real pace.
    pub fn starting_at(start: OffsetDateTime) -> Self {
        Clock { offset: start - OffsetDateTime::now_utc() }
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }

    /// Whether this clock was set (not the real time).
    pub fn is_set(&self) -> bool {
        !self.offset.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_starts_where_it_was_set_and_runs_on() {
        let start = time::macros::datetime!(2026-12-01 09:00 UTC);
        let clock = Clock::starting_at(start);
        let now = clock.now();
        assert!(now >= start && now - start < time::Duration::seconds(5), "{now}");
        assert!(clock.is_set());
        assert!(!Clock::system().is_set());
        assert!((Clock::system().now() - OffsetDateTime::now_utc()).abs() < time::Duration::seconds(5));
    }
}
