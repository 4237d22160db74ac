//! Load and soak (not a test): runs the release server as its own process on 127.0.0.1 and
//! drives it with bounded loops, printing the figures.
//!
//! 1. 20,000 authenticated calls at concurrency 256: throughput, latency, and every 5xx counted.
//! 2. A storm of 1,000 full sign-ins (concurrency 64).
//! 3. A soak of `<minutes>` (default 10) of mixed authenticated traffic at concurrency 32, with
//!    the server's resident memory sampled every 10 s: growth from the first sample after the
//!    warm-up to the last.
//!
//! `cargo run --release -p server --example load -- <server binary> [minutes]`

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use reqwest::Client;

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(bin)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("SESSION_STORE", "memory")
        .env("SESSION_KEY", "bG9hZC10ZXN0LWtleS1sb2FkLXRlc3Qta2V5LTMyYnk=")
        .env("DEMO_MODE", "true")
        // The storm signs in 1,000 times from one address: the limits are for people, not this.
        .env("RATE_LIMIT_SIGN_INS", "1000000")
        .env("RATE_LIMIT_TOKEN_CREATES", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    Server { child, base: format!("http://127.0.0.1:{port}") }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn sign_in(c: &Client, base: &str, user: &str) -> Option<()> {
    let res =
        c.get(format!("{base}/auth/sign-in?return_to=/")).header("Accept", "text/html").send().await.ok()?;
    let authorize = url::Url::parse(res.headers().get("location")?.to_str().ok()?).ok()?;
    let _ = c.get(authorize.as_str()).send().await.ok()?.bytes().await;
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("user".into(), user.into()));
    let res = c.post(authorize.as_str()).form(&form).send().await.ok()?;
    let callback = res.headers().get("location")?.to_str().ok()?.to_string();
    let res = c.get(&callback).header("Accept", "text/html").send().await.ok()?;
    (res.headers().get("location")?.to_str().ok()? == "/").then_some(())
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, usize>,
    errors: usize,
    latencies_us: Vec<u64>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
    }
    fn server_errors(&self) -> usize {
        self.statuses.iter().filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum()
    }
}

/// `total` calls of `paths` (round robin) by `concurrency` signed-in clients.
async fn calls(
    clients: &[Client],
    base: &str,
    paths: &[&str],
    total: usize,
    concurrency: usize,
) -> (Tally, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let c = clients[w % clients.len()].clone();
        let next = next.clone();
        let base = base.to_string();
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let started = Instant::now();
                match c.get(format!("{base}{}", paths[n % paths.len()])).send().await {
                    Ok(r) => {
                        *t.statuses.entry(r.status().as_u16()).or_default() += 1;
                        let _ = r.bytes().await;
                        t.latencies_us.push(started.elapsed().as_micros() as u64);
                    }
                    Err(_) => t.errors += 1,
                }
            }
            t
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        all.add(t.await.unwrap());
    }
    all.latencies_us.sort_unstable();
    (all, start.elapsed())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).expect("usage: load <server binary> [soak minutes]");
    let minutes: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let server = start(bin);
    let base = server.base.clone();
    let pid = server.child.id();
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("server pid {pid} at {base}; client and server share this machine's cores");

    // Signed-in clients (one session each), shared by the workers.
    let mut clients = Vec::new();
    for (i, user) in ["adele", "megan", "lee"].iter().cycle().take(32).enumerate() {
        let c = browser();
        sign_in(&c, &base, user).await.unwrap_or_else(|| panic!("sign-in {i} failed"));
        clients.push(c);
    }

    // 1. 20,000 authenticated calls at concurrency 256.
    let (t, took) = calls(&clients, &base, &["/api/pats?filter=active"], 20_000, 256).await;
    println!(
        "20,000 calls, concurrency 256: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, statuses {:?}, transport errors {}, 5xx {}",
        20_000.0 / took.as_secs_f64(),
        pct(&t.latencies_us, 0.5),
        pct(&t.latencies_us, 0.99),
        t.statuses,
        t.errors,
        t.server_errors()
    );

    // 2. A storm of 1,000 sign-ins.
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (done, failed, base) = (done.clone(), failed.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            while done.fetch_add(1, Ordering::Relaxed) < 1000 {
                if sign_in(&browser(), &base, "lee").await.is_none() {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "1,000 sign-ins, concurrency 64: {:.1} s, {:.0} sign-ins/s, {} failed; server RSS {} KiB",
        start.elapsed().as_secs_f64(),
        1000.0 / start.elapsed().as_secs_f64(),
        failed.load(Ordering::Relaxed),
        rss_kib(pid)
    );

    // 3. The soak: mixed reads in rounds, RSS sampled every 10 s.
    let paths =
        ["/api/pats?filter=active", "/api/pats?filter=all", "/api/overview", "/api/me", "/tokens", "/"];
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let warm_up = Instant::now() + Duration::from_secs((minutes * 6).clamp(10, 60));
    let (mut first, mut last, mut peak) = (None::<u64>, 0u64, 0u64);
    let mut soak = Tally::default();
    let mut rounds = 0;
    while Instant::now() < deadline {
        let (t, _) = calls(&clients, &base, &paths, 2_000, 32).await;
        soak.add(t);
        rounds += 1;
        let rss = rss_kib(pid);
        peak = peak.max(rss);
        if Instant::now() >= warm_up && first.is_none() {
            first = Some(rss);
        }
        last = rss;
        if rounds % 5 == 0 {
            println!(
                "  soak {:>4} s: RSS {rss} KiB",
                (minutes * 60).saturating_sub(deadline.saturating_duration_since(Instant::now()).as_secs())
            );
        }
    }
    let first = first.unwrap_or(last);
    println!(
        "soak {minutes} min: {} calls, 5xx {}, transport errors {}; RSS after warm-up {first} KiB, at the end {last} KiB, peak {peak} KiB: growth {:+.1} %",
        soak.statuses.values().sum::<usize>(),
        soak.server_errors(),
        soak.errors,
        (last as f64 - first as f64) * 100.0 / first as f64
    );
    drop(server);
}
