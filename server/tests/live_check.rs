//! `scripts/live-check` against the demo stack: the script runs, records every check the issue
//! names with the stand-in's answers, and writes no token.

mod common;

use common::*;
use serde_json::Value;
use server::demo::devops::Throttle;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_check_records_each_answer_from_the_demo_stack_and_no_token() {
    let app = spawn_demo().await;
    let demo = app.running.demo.as_ref().unwrap();
    demo.devops.throttle("fabrikam-demo", Some(Throttle::Near { remaining: 12, limit: 200 }));
    demo.devops.refuse_classic_for_pats(true);
    let full = demo.entra.access_token_with("megan", "vso.pats vso.profile vso.project");
    let no_pats = demo.entra.access_token_with("megan", "vso.profile");
    let classic = demo.entra.access_token_with("megan", "user_impersonation");
    let admin = demo.entra.access_token_with("nestor", "vso.graph vso.tokenadministration");
    let out = std::env::temp_dir().join(format!("live-check-{}.json", uuid::Uuid::new_v4()));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/live-check");
    let base = app.url("/demo/devops");
    let run = tokio::process::Command::new("python3")
        .arg(&script)
        .env("LIVE_ORG", "fabrikam-demo")
        .env("LIVE_NOT_MEMBER_ORG", "woodgrove-demo")
        .env("LIVE_TOKEN", &full)
        .env("LIVE_NO_PATS_TOKEN", &no_pats)
        .env("LIVE_CLASSIC_TOKEN", &classic)
        .env("LIVE_ADMIN_TOKEN", &admin)
        .env("LIVE_APP_VSSPS", format!("{base}/app"))
        .env("LIVE_VSSPS", format!("{base}/vssps"))
        .env("LIVE_DEV", format!("{base}/dev"))
        .env("LIVE_OUT", &out)
        .output()
        .await
        .expect("python3 runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    for token in [&full, &no_pats, &classic, &admin] {
        assert!(!text.contains(token.as_str()), "a token was written");
    }
    let report: Value = serde_json::from_str(&text).unwrap();
    let row = |check: &str| -> Value {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == check)
            .cloned()
            .unwrap_or_else(|| panic!("{check}: {text}"))
    };
    assert_eq!(row("profile api-version=7.1")["status"], 200);
    assert_eq!(row("accounts api-version=7.1")["status"], 200);
    assert_eq!(row("PAT list (vso.pats)")["status"], 200);
    let projects = row("projects (throttling headers)");
    assert_eq!(projects["headers"]["x-ratelimit-remaining"], "12");
    assert_eq!(projects["headers"]["x-ratelimit-resource"], "ATCPU");
    let no_scope = row("PAT list with a token without vso.pats");
    assert_eq!(
        (no_scope["status"].clone(), no_scope["scp"].clone()),
        (Value::from(401), Value::from("vso.profile"))
    );
    assert!(no_scope["message"].as_str().unwrap().starts_with("TF400813"));
    assert_eq!(row("PAT list with a classic token (user_impersonation)")["status"], 401);
    assert_eq!(row("PAT list in an organization you do not belong to")["status"], 401);
    let head = row("anonymous HEAD of that organization");
    assert_eq!(head["headers"]["x-vss-resourcetenant"], server::demo::devops::OTHER_TENANT_ID);
    // Issue 31: Graph's users (more than a page) and a user's PATs to the administrator; the
    // same call with the main token (Megan, no vso.tokenadministration) refused.
    let users = row("Graph users (vso.graph)");
    assert_eq!(users["status"], 200);
    assert!(users["headers"]["x-ms-continuationtoken"].is_string(), "{users}");
    assert_eq!(row("Token Administration: a user's PATs (vso.tokenadministration)")["status"], 200);
    assert_eq!(row("Token Administration with LIVE_TOKEN (not an administrator?)")["status"], 401);
    assert!(String::from_utf8_lossy(&run.stdout).contains("answers recorded"));
    app.shutdown().await;
}
