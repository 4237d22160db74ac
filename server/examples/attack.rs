//! Load check for issue 29 (not a test): the two attacks of the third security review, run against
//! a release build of the server in this process on 127.0.0.1, bounded in count and time, with
//! what a fresh browser gets meanwhile, against stated figures. Exits 1 when a figure is missed.
//!
//! 1. **Sign-in starts from everywhere**: 20,000 cookie-less sign-in starts from 20,000 addresses
//!    (IPv4 addresses and IPv6 /48 networks, through `X-Forwarded-For`), 64 at a time. Figures: a
//!    fresh browser's sign-in start answers within 1 s all along, and its whole sign-in works
//!    after; the process's memory grows by at most 64 MB.
//! 2. **A bulk flood**: 50 sessions of one user each revoke 100 tokens of their own (5,000 in
//!    all, 15,000 with the retries), three times, all at once. Figures: the changes sent to Azure
//!    DevOps stay within the user's change budget (120 a minute, so at most 120 plus 2 a second),
//!    no token is changed twice, and a fresh browser's reads answer within 1 s all along.
//!
//! `cargo run --release -p server --example attack`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::routes::api;
use futures::StreamExt;
use reqwest::header::ACCEPT;
use reqwest::Method;
use serde_json::json;

const STARTS: usize = 20_000;
const AT_ONCE: usize = 64;
const SESSIONS: usize = 50;
const MEGAN_OID: &str = "5a7c9e1f-3b2d-4c6e-8f0a-2b3c4d5e6f72";

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// The address of the `i`th attacker: IPv4 for even `i`, an IPv6 /48 of its own for odd.
fn attacker(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("10.{}.{}.{}", i / 65_536 % 256, i / 256 % 256, i % 256)
    } else {
        format!("2001:db8:{:x}::1", i)
    }
}

/// Runs `probe` every 100 ms until `stop`, keeping the slowest answer in milliseconds.
fn watch<F, Fut>(probe: F, stop: Arc<std::sync::atomic::AtomicBool>) -> tokio::task::JoinHandle<(u64, usize)>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    tokio::spawn(async move {
        let (mut slowest, mut failed) = (0, 0);
        while !stop.load(Ordering::SeqCst) {
            let t = Instant::now();
            if !probe().await {
                failed += 1;
            }
            slowest = slowest.max(t.elapsed().as_millis() as u64);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (slowest, failed)
    })
}

#[tokio::main]
async fn main() {
    let env = [("TRUST_FORWARDED_HEADERS", "true"), ("DEVOPS_SCOPES", "classic")];
    let app = common::spawn_demo_env(common::TestHooks::default(), &env).await;
    let mut ok = true;
    let mut check = |what: &str, passed: bool| {
        println!("  {} {what}", if passed { "ok  " } else { "MISS" });
        ok &= passed;
    };

    println!("1. {STARTS} cookie-less sign-in starts from {STARTS} addresses, {AT_ONCE} at a time");
    let before = resident_mb();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fresh_start = {
        let url = app.url("/auth/sign-in?return_to=/");
        watch(
            move || {
                let url = url.clone();
                async move {
                    let res = common::browser().get(url).header(ACCEPT, "text/html").send().await;
                    res.is_ok_and(|r| common::location(&r).contains("/oauth2/v2.0/authorize"))
                }
            },
            stop.clone(),
        )
    };
    let started = Instant::now();
    let attacker_client = common::browser();
    let refused = futures::stream::iter(0..STARTS)
        .map(|i| {
            let c = attacker_client.clone();
            let url = app.url("/auth/sign-in?return_to=/");
            async move {
                let res = c
                    .get(url)
                    .header(ACCEPT, "text/html")
                    .header("x-forwarded-for", attacker(i))
                    .send()
                    .await;
                res.map(|r| !common::location(&r).contains("/oauth2/v2.0/authorize")).unwrap_or(true)
            }
        })
        .buffer_unordered(AT_ONCE)
        .filter(|refused| futures::future::ready(*refused))
        .count()
        .await;
    stop.store(true, Ordering::SeqCst);
    let (slowest, failed) = fresh_start.await.unwrap();
    let grown = resident_mb() - before;
    println!(
        "  {STARTS} starts in {:.1} s; {refused} were not sent to sign in",
        started.elapsed().as_secs_f64()
    );
    check(
        &format!("a fresh browser's start: slowest {slowest} ms (≤ 1000), {failed} failed (0)"),
        slowest <= 1000 && failed == 0,
    );
    let fresh = common::browser();
    app.sign_in(&fresh, "adele", "/").await;
    let me: serde_json::Value = fresh.get(app.url(api::ME)).send().await.unwrap().json().await.unwrap();
    check("then a fresh browser signs in", me["user"]["name"] == "Adele Vance");
    check(&format!("memory grew by {grown:.1} MB (≤ 64)"), grown <= 64.0);

    println!("2. {SESSIONS} sessions of one user each revoke 100 tokens of their own, 3 times, all at once");
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.add_tokens(MEGAN_OID, "contoso-demo", SESSIONS * 100);
    let ids = devops.token_ids(MEGAN_OID, "contoso-demo");
    let mut sessions = Vec::new();
    for _ in 0..SESSIONS {
        let c = common::browser();
        app.sign_in(&c, "megan", "/").await;
        sessions.push(c);
    }
    let deletes_before = devops.request_count(&Method::DELETE);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fresh_read = {
        let (c, url) = (fresh.clone(), app.url("/api/pats?filter=active"));
        let probe = move || {
            let (c, url) = (c.clone(), url.clone());
            async move { c.get(url).send().await.is_ok_and(|r| r.status().is_success()) }
        };
        watch(probe, stop.clone())
    };
    let started = Instant::now();
    let runs = futures::future::join_all(sessions.iter().zip(ids.chunks(100)).map(|(c, chunk)| {
        let targets: Vec<_> = chunk.iter().map(|id| json!({"org": "contoso-demo", "id": id})).collect();
        let change = json!({"change": {"kind": "revoke"}, "tokens": targets});
        let app = &app;
        async move {
            let api = common::Api::new(c, app);
            let (mut done, mut not_attempted) = (0, 0);
            for _ in 0..3 {
                if let Ok(p) = api.bulk_change(change.clone()).await {
                    done += p.outcomes.iter().filter(|o| o.done.is_some()).count();
                    not_attempted += p
                        .outcomes
                        .iter()
                        .filter(|o| o.error.as_ref().is_some_and(|e| e.to_string().contains("Not attempted")))
                        .count();
                }
            }
            (done, not_attempted)
        }
    }))
    .await;
    stop.store(true, Ordering::SeqCst);
    let (slowest, failed) = fresh_read.await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let deletes = devops.request_count(&Method::DELETE) - deletes_before;
    let done: usize = runs.iter().map(|r| r.0).sum();
    let not_attempted: usize = runs.iter().map(|r| r.1).sum();
    let allowed = 120.0 + 2.0 * secs;
    println!(
        "  {} applies naming {} tokens in {secs:.1} s: {done} revoked, {not_attempted} not attempted, {deletes} revokes sent",
        SESSIONS * 3,
        SESSIONS * 300
    );
    check(&format!("revokes sent: {deletes} (≤ {allowed:.0}, the budget)"), (deletes as f64) <= allowed);
    check(&format!("no token changed twice: {done} revoked, {deletes} sent"), done == deletes);
    check(
        &format!("a fresh browser's read: slowest {slowest} ms (≤ 1000), {failed} failed (0)"),
        slowest <= 1000 && failed == 0,
    );
    app.shutdown().await;
    std::process::exit(if ok { 0 } else { 1 });
}
