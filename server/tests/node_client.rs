//! Microsoft's own Node client (npm `azure-devops-node-api`) reads the DevOps stand-in's profile
//! and projects: resource areas, resource locations by `OPTIONS`, api-version negotiation and the
//! version in the `Accept` header, as the service serves them (`end2end/devops-client/check.mjs`).

mod common;

use std::path::PathBuf;

use common::*;
use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_node_client_reads_the_profile_and_projects_of_the_stand_in() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    assert!(
        root.join("node_modules/azure-devops-node-api").exists(),
        "azure-devops-node-api is not installed: run `npm ci` in end2end/ (scripts/tools.sh --test)"
    );
    let app = spawn_demo().await;
    let demo = app.running.demo.as_ref().unwrap();
    let token = demo.entra.access_token_with("megan", "vso.profile vso.project");
    let options_before = demo.devops.request_count(&Method::OPTIONS);
    let run = tokio::process::Command::new("node")
        .arg(root.join("devops-client/check.mjs"))
        .env("DEVOPS_APP_URL", app.url("/demo/devops/app"))
        .env("DEVOPS_DEV_URL", app.url("/demo/devops/dev"))
        .env("DEVOPS_ORG", "fabrikam-demo")
        .env("DEVOPS_TOKEN", &token)
        .output()
        .await
        .expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{stderr}");
    assert!(!stdout.contains(&token) && !stderr.contains(&token), "the token was printed");
    let read: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(read["profile"]["id"], "5a7c9e1f-3b2d-4c6e-8f0a-2b3c4d5e6f72");
    assert_eq!(read["profile"]["displayName"], "Megan Bowen");
    let projects = read["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 5, "{read}");
    assert!(demo.devops.request_count(&Method::OPTIONS) >= options_before + 2, "locations were discovered");
    app.shutdown().await;
}
