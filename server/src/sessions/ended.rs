//! Sessions that ended here (sign-out, front-channel sign-out, a sign-in's id change): a save that arrives afterwards, from a refresh still in flight, must not bring one back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tower_sessions::session::Id;

/// How long an ended id is remembered: longer than any request in flight can take.
pub const REMEMBER: Duration = Duration::from_secs(10 * 60);
/// At most this many ended ids are remembered (the oldest are forgotten first).
const MAX_ENDED: usize = 100_000;

#[derive(Debug, Default)]
pub struct EndedSessions {
    ended: Mutex<HashMap<Id, Instant>>,
}

impl EndedSessions {
    pub fn end(&self, id: Id) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        if ended.len() >= MAX_ENDED {
            ended.retain(|_, at| at.elapsed() < REMEMBER);
            if ended.len() >= MAX_ENDED {
                // Still full of fresh entries: forget the oldest tenth.
                let mut ages: Vec<Instant> = ended.values().copied().collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 10];
                ended.retain(|_, at| *at > cut);
            }
        }
        ended.insert(id, Instant::now());
    }

    pub fn has_ended(&self, id: &Id) -> bool {
        let ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        ended.get(id).is_some_and(|at| at.elapsed() < REMEMBER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_id_is_remembered_and_the_memory_stays_bounded() {
        let e = EndedSessions::default();
        let id = Id::default();
        assert!(!e.has_ended(&id));
        e.end(id);
        assert!(e.has_ended(&id));
        for n in 0..(MAX_ENDED as i128 + 10) {
            e.end(Id(n + 1));
        }
        assert!(e.ended.lock().unwrap().len() <= MAX_ENDED);
    }
}
