//! Benchmark (not a test): authenticated `/api/pats` through the app versus the same call made
//! directly to the Azure DevOps stand-in, at a fixed concurrency on 127.0.0.1, bounded in time.
//!
//! `cargo run --release -p server --example bench [-- <concurrency> <seconds>]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::json;

struct Figures {
    ok: usize,
    failed: usize,
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

async fn load(
    client: Client,
    url: String,
    bearer: Option<String>,
    concurrency: usize,
    seconds: u64,
) -> Figures {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, bearer) = (client.clone(), url.clone(), bearer.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut lat) = (0usize, 0usize, Vec::new());
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut req = client.get(&url).header("X-TFS-FedAuthRedirect", "Suppress");
                if let Some(b) = &bearer {
                    req = req.bearer_auth(b);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok += 1;
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed, lat)
        }));
    }
    gather(tasks, start).await
}

type Worker = tokio::task::JoinHandle<(usize, usize, Vec<u64>)>;

/// Adds up what the workers counted and measured.
async fn gather(tasks: Vec<Worker>, start: Instant) -> Figures {
    let mut f = Figures { ok: 0, failed: 0, latencies_us: Vec::new(), elapsed: Duration::ZERO };
    for t in tasks {
        let (ok, failed, lat) = t.await.unwrap();
        f.ok += ok;
        f.failed += failed;
        f.latencies_us.extend(lat);
    }
    f.elapsed = start.elapsed();
    f.latencies_us.sort_unstable();
    f
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(label: &str, unit: &str, f: &Figures) {
    println!(
        "{label:<38} {:>8.0} {unit}/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} ok, {} failed)",
        f.ok as f64 / f.elapsed.as_secs_f64(),
        pct(&f.latencies_us, 0.50),
        pct(&f.latencies_us, 0.99),
        f.ok,
        f.failed
    );
}

/// Full sign-ins (start, the provider's page, picking a user, the callback with the code
/// exchange and ID-token validation), each with a fresh cookie jar, for `seconds`.
async fn sign_ins(app: &common::TestApp, concurrency: usize, seconds: u64) -> Figures {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let app_url = app.base.clone();
        let stack = app.running.demo.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut lat) = (0usize, 0usize, Vec::new());
            while Instant::now() < deadline {
                let t = Instant::now();
                let c = common::browser();
                match one_sign_in(&c, &app_url).await {
                    Some(()) => {
                        ok += 1;
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                    None => failed += 1,
                }
            }
            drop(stack);
            (ok, failed, lat)
        }));
    }
    gather(tasks, start).await
}

async fn one_sign_in(c: &Client, base: &str) -> Option<()> {
    let res =
        c.get(format!("{base}/auth/sign-in?return_to=/")).header("Accept", "text/html").send().await.ok()?;
    let authorize = url::Url::parse(res.headers().get("location")?.to_str().ok()?).ok()?;
    let page = c.get(authorize.as_str()).send().await.ok()?;
    if !page.status().is_success() {
        return None;
    }
    let _ = page.bytes().await;
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("user".into(), "lee".into()));
    let res = c.post(authorize.as_str()).form(&form).send().await.ok()?;
    let callback = res.headers().get("location")?.to_str().ok()?.to_string();
    let res = c.get(&callback).header("Accept", "text/html").send().await.ok()?;
    (res.headers().get("location")?.to_str().ok()? == "/").then_some(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);

    let app = common::spawn_demo().await;
    let browser = common::browser();
    app.sign_in(&browser, "adele", "/").await;

    let stack = app.running.demo.clone().expect("demo stack");
    let user = &stack.entra.users[0];
    let now = server::oidc::now_secs();
    let access = stack.entra.current_key().sign(&json!({
        "aud": server::config::DEVOPS_RESOURCE, "iss": stack.entra.issuer_for("bench"), "iat": now, "nbf": now,
        "exp": now + 3600, "oid": user.oid, "tid": "bench", "sub": user.oid,
        // The stand-in enforces the PAT API's scopes: listing needs vso.pats.
        "scp": "vso.pats",
    }));

    let through_app = app.url("/api/pats?filter=active");
    let direct = app.url(
        "/demo/devops/vssps/fabrikam-demo/_apis/tokens/pats?api-version=7.1-preview.1&displayFilterOption=active&%24top=20",
    );
    println!(
        "concurrency {concurrency}, {seconds} s per run, 127.0.0.1 (client and server share this machine)"
    );
    // Warm-up, then the two measured runs.
    let _ = load(browser.clone(), through_app.clone(), None, concurrency, 1).await;
    let a = load(browser.clone(), through_app, None, concurrency, seconds).await;
    report("GET /api/pats through the app", "req", &a);
    let b = load(Client::new(), direct, Some(access), concurrency, seconds).await;
    report("same call direct to the stand-in", "req", &b);
    let sign_in_concurrency = concurrency.min(8);
    let s = sign_ins(&app, sign_in_concurrency, seconds).await;
    report(&format!("full sign-ins (concurrency {sign_in_concurrency})"), "sign-in", &s);
    drop(app);

    // The same with each session store: sessions created per second (a full sign-in creates
    // one), the authenticated call's throughput, and the bytes one session takes.
    println!();
    let dir = std::env::temp_dir().join(format!("pat-portal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("sessions.sqlite");
    let mut stores = vec![
        ("memory".to_string(), "memory".to_string()),
        ("sqlite".into(), format!("sqlite:{}", db.display())),
    ];
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => stores.push(("redis".into(), url)),
        _ => println!("(REDIS_URL not set: no Redis figures)"),
    }
    let short = (seconds / 2).max(2);
    for (name, store) in stores {
        let env = [("SESSION_STORE", store.as_str()), ("SESSION_KEY", common::TEST_SESSION_KEY)];
        let app = common::spawn_demo_env(common::TestHooks::default(), &env).await;
        let s = sign_ins(&app, sign_in_concurrency, short).await;
        report(&format!("{name}: sessions created"), "session", &s);
        let browser = common::browser();
        app.sign_in(&browser, "adele", "/").await;
        let a = load(browser, app.url("/api/pats?filter=active"), None, concurrency, short).await;
        report(&format!("{name}: GET /api/pats"), "req", &a);
        if name == "sqlite" {
            use sqlx::Row;
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display())).await.unwrap();
            let row = sqlx::query("select avg(length(data)) as avg, count(*) as n from tower_sessions")
                .fetch_one(&pool)
                .await
                .unwrap();
            let avg: f64 = row.try_get("avg").unwrap_or(0.0);
            let n: i64 = row.try_get("n").unwrap_or(0);
            println!("{:<38} {avg:>8.0} bytes per stored session ({n} sessions)", "sqlite: session size");
        }
        app.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
