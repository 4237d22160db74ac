//! How many requests are being answered right now: what a drain at shutdown reports it cut short.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Requests in flight, counted by the middleware below.
#[derive(Clone, Default, Debug)]
pub struct InFlight(Arc<AtomicUsize>);

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl InFlight {
    pub fn now(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Counts a request from its start until its response is made (or it is dropped).
    pub async fn count(self, req: Request, next: Next) -> Response {
        self.0.fetch_add(1, Ordering::SeqCst);
        let _counted = Counted(self.0.clone());
        next.run(req).await
    }
}
