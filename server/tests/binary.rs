//! The server binary as operators run it: JSON logs (`LOG_FORMAT=json`) whose request lines
//! carry the request id, and SIGTERM ending it cleanly.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

const KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=";

/// The next log line, which must be a JSON object.
async fn next_json(lines: &mut Lines<BufReader<ChildStdout>>) -> Option<Value> {
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the server keeps logging")
        .expect("stdout readable")?;
    Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
}

/// Starts the server binary in `dir` with nothing but `env` (and JSON logs, an in-memory store,
/// a session key): the child, its log lines, and the base URL it says it listens on.
async fn start(
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (tokio::process::Child, Lines<BufReader<ChildStdout>>, String) {
    std::fs::create_dir_all(dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("SESSION_STORE", "memory")
        .env("SESSION_KEY", KEY)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = next_json(&mut lines).await.expect("a line saying where it listens");
        assert!(line["level"].is_string() && line["timestamp"].is_string(), "{line}");
        if line["fields"]["message"].as_str().is_some_and(|m| m.starts_with("listening on")) {
            break line["fields"]["url"].as_str().unwrap().trim_end_matches('/').to_string();
        }
    };
    (child, lines, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_json_with_request_ids_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("pat-portal-binary-{}", std::process::id()));
    let (mut child, mut lines, base) = start(&dir, &[("DEMO_MODE", "true")]).await;
    let res = reqwest::get(format!("{base}/api/me")).await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let logged = loop {
        let line = next_json(&mut lines).await.expect("the request's log line");
        if line["span"]["path"] == app::routes::api::ME {
            break line;
        }
    };
    assert_eq!(logged["span"]["request_id"], id.as_str(), "{logged}");
    assert_eq!(logged["span"]["method"], "GET");

    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("SIGTERM stops the server")
        .unwrap();
    assert!(status.success(), "a clean exit: {status}");
    let mut rest = Vec::new();
    while let Some(line) = next_json(&mut lines).await {
        rest.push(line);
    }
    assert!(
        rest.iter().any(|l| l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("shutting down"))),
        "the shutdown is logged: {rest:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 29: SIGTERM during a slow request. The identity provider here accepts connections and
/// never answers, so a sign-in start waits on it (up to `HTTP_TIMEOUT_SECS`, 60 s); after
/// SIGTERM the server drains for `DRAIN_SECS` (1 s), then exits 0, saying what it cut short.
/// Before, the graceful shutdown waited for the request however long it took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_slow_request_drains_for_its_time_then_exits_cleanly() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority = format!("http://{}/00000000-0000-0000-0000-0000000000aa", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            kept.push(socket);
        }
    });
    let dir = std::env::temp_dir().join(format!("pat-portal-drain-{}", std::process::id()));
    let env = [
        ("CLIENT_ID", "11111111-2222-3333-4444-555555555555"),
        ("CLIENT_SECRET", "not-a-real-secret"),
        ("AUTHORITY", authority.as_str()),
        ("DEVOPS_ORGANIZATION", "fabrikam"),
        ("HTTP_TIMEOUT_SECS", "60"),
        ("DRAIN_SECS", "1"),
    ];
    let (mut child, mut lines, base) = start(&dir, &env).await;
    let slow = tokio::spawn(reqwest::get(format!("{base}/auth/sign-in?return_to=/")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!slow.is_finished(), "the sign-in start waits on the silent identity provider");
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = std::time::Instant::now();
    let status =
        tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("it stops").unwrap();
    let took = started.elapsed();
    assert!(status.success(), "a clean exit: {status}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "drained for its time: {took:?}"
    );
    let mut rest = Vec::new();
    while let Some(line) = next_json(&mut lines).await {
        rest.push(line);
    }
    let cut = rest.iter().find(|l| {
        l["fields"]["message"].as_str().is_some_and(|m| m.contains("cut short what was still running"))
    });
    assert_eq!(cut.map(|l| l["fields"]["requests"].clone()), Some(serde_json::json!(1)), "{rest:?}");
    held.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
