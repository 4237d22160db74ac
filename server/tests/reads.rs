//! Reads are bounded (issue 12, gap 6): the revoked-id list is read only when a view needs it and
//! reused briefly within the session, the calls a view needs run side by side, and a session has
//! a few reads at a time, a few more waiting, and 429 beyond.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use server::demo::devops::Failure;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revoked_list_is_read_when_needed_and_reused_until_a_revoke() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "lee", "/").await;
    let api = Api::new(&c, &app);
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    let gets = || devops.request_count(&Method::GET);
    let active = api.pats("filter=active").await.unwrap();
    let id = active.tokens[0].authorization_id.clone();

    // A list of active tokens needs no revoked list: one call.
    let before = gets();
    api.pats("filter=active").await.unwrap();
    assert_eq!(gets() - before, 1);
    // A token's page needs it: the token and the revoked list.
    let before = gets();
    api.pat(None, &id).await.unwrap();
    assert_eq!(gets() - before, 2);
    // Again within the session: the list is reused.
    let before = gets();
    api.pat(None, &id).await.unwrap();
    assert_eq!(gets() - before, 1);
    // A revoke here forgets it at once: the token shows as revoked.
    api.revoke_pat(None, &id).await.unwrap();
    let t = api.pat(None, &id).await.unwrap();
    assert_eq!(t.status, app::model::PatStatus::Revoked);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_has_a_few_reads_at_a_time_and_the_rest_wait_or_are_refused() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "lee", "/").await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::Slow(Duration::from_millis(400)), Some(Method::GET), 20);
    let started = Instant::now();
    let calls = (0..16).map(|_| {
        let (c, url) = (c.clone(), app.url("/api/pats?filter=active"));
        tokio::spawn(async move { c.get(url).send().await.unwrap().status() })
    });
    // Spawned now, all of them, before any is awaited.
    let calls: Vec<_> = calls.collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(ok + refused, 16, "{statuses:?}");
    // Four at a time and eight waiting: at least twelve served, the ones beyond refused.
    assert!(ok >= 12 && refused >= 1, "{statuses:?} after {:?}", started.elapsed());
    // Twelve reads of 400 ms, four at a time: three rounds.
    assert!(started.elapsed() >= Duration::from_millis(1150), "{:?}", started.elapsed());
    app.shutdown().await;
}
