//! Benchmark (not a test): how long the server takes to render a signed-in page when every
//! Azure DevOps call takes 150 ms (the stand-in made slow), median of a few renders, after the
//! first visit has looked up the user's organizations, and the inventory across organizations. One round trip means ~150 ms plus
//! rendering; two sequential calls would be over 300 ms.
//!
//! `cargo run --release -p server --example page_time [-- <latency ms> <renders>]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use reqwest::header::ACCEPT;
use server::demo::devops::Failure;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let latency = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(150));
    let renders: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let app = common::spawn_demo().await;
    let c = common::browser();
    app.sign_in(&c, "megan", "/").await;
    let api = common::Api::new(&c, &app);
    let id = api.pats("filter=all").await.unwrap().tokens[0].authorization_id.clone();
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    println!(
        "server time per page, Azure DevOps answering in {} ms (median of {renders})",
        latency.as_millis()
    );
    // The last is the inventory across the demo user's three organizations (read in parallel):
    // one round trip plus the slowest organization.
    let paths = [
        "/".to_string(),
        "/tokens".into(),
        format!("/tokens/{id}"),
        "/orgs".into(),
        "/about".into(),
        "/api/pats/all?filter=all".into(),
    ];
    for path in paths {
        let accept = if path.starts_with("/api/") { "application/json" } else { "text/html" };
        let mut times = Vec::new();
        for _ in 0..renders {
            devops.clear_failures();
            devops.fail_next(Failure::Slow(latency), None, 1000);
            let t = Instant::now();
            let res = c.get(app.url(&path)).header(ACCEPT, accept).send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            let _ = res.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        println!("{path:<52} {:>6.0} ms", times[renders / 2].as_secs_f64() * 1000.0);
    }
    devops.clear_failures();
    app.shutdown().await;
}
