//! Metrics for the people who run the portal (issue 32): `METRICS_ADDR` serves the Prometheus
//! text format; a journey moves the counters an operator alerts on; no label names anyone; a
//! real Prometheus (Debian's package, installed by `scripts/tools.sh --test`) scrapes it and
//! evaluates the README's alert rules, and `promtool` checks both.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use reqwest::{Client, StatusCode};
use server::demo::devops::Failure;

/// One sample of the text format: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            Sample { name: name.to_string(), labels, value: value.parse().expect("a number") }
        })
        .collect()
}

/// The sum of a metric's samples whose labels include all of `want`.
fn total(all: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    all.iter()
        .filter(|s| {
            s.name == name && want.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

async fn scrape(at: std::net::SocketAddr) -> String {
    let res = reqwest::get(format!("http://{at}/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

fn form(name: &str) -> app::model::PatForm {
    app::model::PatForm {
        name: name.into(),
        scopes: vec!["vso.code".into()],
        expiry: app::model::Expiry::Days(30),
        all_orgs: false,
    }
}

/// Sign-in with consent, a list, a create, a list Azure DevOps refuses, a throttled read, a
/// sign-in the rate limit refuses, a readiness check. Returns what must never be in the output.
async fn journey(app: &TestApp, c: &Client) -> Vec<String> {
    assert_eq!(app.sign_in_to_manage(c, "adele", "/").await, "/");
    let api = Api::new(c, app);
    api.pats("filter=active").await.unwrap();
    let made = api.create_pat(Some("fabrikam-demo"), &form("metrics journey token")).await.unwrap();
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::Forbidden403, None, 1);
    assert_eq!(api.pats("filter=active").await.unwrap_err().0, StatusCode::FORBIDDEN);
    devops.fail_next(Failure::Throttled { retry_after_secs: 1 }, Some(reqwest::Method::GET), 1);
    api.pats("filter=active").await.unwrap();
    // The sign-in limit is 3 a minute per session here (a signed-in session: a start without a
    // session counts against its address only).
    let start = app.url("/auth/sign-in?return_to=/");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get_html(c, &start).await.status());
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(c.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    vec![
        made.secret,
        made.token.authorization_id,
        made.token.display_name,
        "adele".into(),
        "Adele".into(),
        "fabrikam".into(),
        "contoso".into(),
        "northwind".into(),
        "demo-tenant".into(),
    ]
}

fn rate_limited_env() -> Vec<(&'static str, &'static str)> {
    vec![("METRICS_ADDR", "127.0.0.1:0"), ("RATE_LIMIT_SIGN_INS", "3")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journey_moves_the_counters_and_no_label_names_anyone() {
    let app = spawn_demo_env(TestHooks::default(), &rate_limited_env()).await;
    let at = app.running.metrics_addr.expect("METRICS_ADDR serves the metrics");
    let c = browser();
    let never = journey(&app, &c).await;
    let text = scrape(at).await;
    let all = samples(&text);

    let count = |name: &str, want: &[(&str, &str)]| total(&all, name, want);
    assert!(count("portal_sign_ins_started_total", &[]) >= 1.0, "{text}");
    assert!(count("portal_sign_ins_completed_total", &[]) >= 1.0);
    assert!(count("portal_consents_total", &[("outcome", "started")]) >= 1.0);
    assert!(count("portal_consents_total", &[("outcome", "granted")]) >= 1.0);
    let upstream = "portal_upstream_requests_total";
    assert!(count(upstream, &[("service", "entra_token"), ("outcome", "ok")]) >= 2.0, "exchange and consent");
    assert!(count(upstream, &[("service", "devops_pats"), ("outcome", "ok")]) >= 3.0);
    assert!(count(upstream, &[("service", "devops_pats"), ("outcome", "forbidden")]) >= 1.0);
    assert!(count(upstream, &[("service", "devops_pats"), ("outcome", "throttled")]) >= 1.0);
    assert!(count("portal_upstream_retry_after_total", &[("service", "devops_pats")]) >= 1.0);
    assert!(count("portal_upstream_request_duration_seconds_count", &[("service", "devops_pats")]) >= 4.0);
    assert!(count("portal_limit_refusals_total", &[("limit", "sign_in_rate")]) >= 1.0);
    let http = "portal_http_requests_total";
    assert!(count(http, &[("route", "/api/pats"), ("method", "GET"), ("status", "2xx")]) >= 2.0, "{text}");
    assert!(count(http, &[("route", "/api/pats"), ("status", "4xx")]) >= 1.0);
    assert!(count(http, &[("route", "/auth/sign-in"), ("status", "4xx")]) >= 1.0);
    assert!(
        count("portal_http_request_duration_seconds_bucket", &[("route", "/api/pats"), ("le", "+Inf")])
            >= 3.0
    );
    assert_eq!(count("portal_session_store_up", &[]), 1.0);

    // Nothing in the output names a user, an organization, a token or its secret; every label
    // value is short and carries no id.
    for word in &never {
        assert!(!text.contains(word.as_str()), "the metrics name {word:?}");
    }
    for sample in &all {
        for (k, v) in &sample.labels {
            assert!(v.len() <= 80, "{k}={v} is too long for a fixed label");
            let hex_run = v.split(|ch: char| !ch.is_ascii_hexdigit()).map(str::len).max().unwrap_or(0);
            assert!(hex_run < 8, "{k}={v} looks like it carries an id");
            if k == "route" {
                assert!(v.starts_with('/') || v == "(other)", "route {v} is a template");
            }
        }
    }
    promtool(&["check", "metrics"], Some(&text), None);
    // Every metric the journey produced is explained in the README's table.
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    for sample in &all {
        let name =
            ["_bucket", "_sum", "_count"].iter().fold(sample.name.as_str(), |n, s| n.trim_end_matches(s));
        assert!(readme.contains(&format!("`{name}`")), "the README does not explain {name}");
    }
    app.shutdown().await;
}

/// `promtool` with `args`, `stdin` fed in; fails the test with its output unless it passes.
fn promtool(args: &[&str], stdin: Option<&str>, dir: Option<&Path>) {
    use std::io::Write;
    let mut cmd = std::process::Command::new("promtool");
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child =
        cmd.spawn().expect("promtool is installed (scripts/tools.sh --test installs Debian's prometheus)");
    child.stdin.take().unwrap().write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} failed: {said}");
}

/// The alert rules from the README's "Operating it" section (the fenced block after the
/// `alert-rules` marker), as an operator would copy them.
fn readme_rules() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let (_, after) = readme.split_once("<!-- alert-rules -->").expect("the README marks its alert rules");
    let block = after.split_once("```yaml\n").expect("a yaml block").1;
    block.split_once("```").expect("the block ends").0.to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pat-portal-prometheus-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asks Prometheus's HTTP API for `query`'s value, until it is at least `min` (30 s at most).
async fn prometheus_value(api: &str, query: &str, min: f64) -> f64 {
    let mut last = serde_json::Value::Null;
    for _ in 0..60 {
        let res =
            reqwest::Client::new().get(format!("{api}/api/v1/query")).query(&[("query", query)]).send().await;
        if let Ok(res) = res {
            last = res.json().await.unwrap_or_default();
            let value = last["data"]["result"][0]["value"][1].as_str().and_then(|v| v.parse::<f64>().ok());
            if let Some(v) = value.filter(|v| *v >= min) {
                return v;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("Prometheus never saw {query} reach {min}: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_the_portal_and_evaluates_the_readme_rules() {
    let app = spawn_demo_env(TestHooks::default(), &rate_limited_env()).await;
    let at = app.running.metrics_addr.unwrap();
    let dir = scratch_dir();
    std::fs::write(dir.join("alerts.yml"), readme_rules()).unwrap();
    promtool(&["check", "rules", "alerts.yml"], None, Some(&dir));
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [alerts.yml]\n\
         scrape_configs:\n  - job_name: pat-portal\n    static_configs:\n      - targets: ['{at}']\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    promtool(&["check", "config", "prometheus.yml"], None, Some(&dir));
    let web = format!("127.0.0.1:{}", free_port());
    let mut prometheus = tokio::process::Command::new("prometheus")
        .current_dir(&dir)
        .arg("--config.file=prometheus.yml")
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("prometheus is installed (scripts/tools.sh --test installs Debian's prometheus)");
    let api = format!("http://{web}");

    assert_eq!(prometheus_value(&api, "up{job=\"pat-portal\"}", 1.0).await, 1.0, "the portal is scraped");
    let c = browser();
    journey(&app, &c).await;
    prometheus_value(&api, "sum(portal_sign_ins_completed_total)", 1.0).await;
    prometheus_value(
        &api,
        "sum(portal_upstream_requests_total{service=\"devops_pats\",outcome=\"ok\"})",
        3.0,
    )
    .await;
    prometheus_value(&api, "sum(portal_upstream_requests_total{outcome=\"forbidden\"})", 1.0).await;
    prometheus_value(&api, "sum(portal_limit_refusals_total{limit=\"sign_in_rate\"})", 1.0).await;
    prometheus_value(&api, "sum(portal_http_requests_total{route=\"/api/pats\"})", 4.0).await;

    // Every rule of the README loads and evaluates without error.
    let mut rules = serde_json::Value::Null;
    for _ in 0..60 {
        rules = reqwest::get(format!("{api}/api/v1/rules")).await.unwrap().json().await.unwrap();
        let evaluated = rules["data"]["groups"][0]["rules"].as_array().is_some_and(|rs| {
            !rs.is_empty() && rs.iter().all(|x| x["lastEvaluation"] != "0001-01-01T00:00:00Z")
        });
        if evaluated {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let all: Vec<&serde_json::Value> =
        rules["data"]["groups"][0]["rules"].as_array().unwrap().iter().collect();
    assert!(all.len() >= 3, "three alert rules at least: {rules}");
    for rule in all {
        assert_eq!(rule["health"], "ok", "{rule}");
    }
    let _ = prometheus.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    app.shutdown().await;
}
