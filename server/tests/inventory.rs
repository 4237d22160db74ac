//! The inventory across organizations (`/api/pats/all`), its exports and bulk changes, against the
//! demo stack: every organization in one answer, global tokens once, each failing organization with
//! its own reason, a partial bulk failure reported per token, and no secret in any export.

mod common;

use std::time::Duration;

use app::inventory::{BulkOutcome, BulkPlan, Inventory};
use app::model::{Expiry, PatForm, PatStatus};
use app::routes::{api, INVENTORY_CSV, INVENTORY_JSON};
use common::*;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::json;
use server::demo::devops::Failure;

async fn inventory(api: &Api<'_>, query: &str) -> (StatusCode, serde_json::Value) {
    let (status, _, body) = api.get(&format!("{}?{query}", api::INVENTORY)).await;
    (status, body)
}

fn parsed<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> T {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn every_organization_in_one_table_global_tokens_once_and_failures_on_their_own() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let (status, body) = inventory(&api, "filter=all&sort=name").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let inv: Inventory = parsed(body);
    assert_eq!(inv.organizations, ["fabrikam-demo", "contoso-demo", "northwind-demo"]);
    // northwind-demo's Conditional Access refuses every call: its failure, named, hides nothing else.
    assert_eq!(inv.failures.len(), 1);
    assert_eq!(inv.failures[0].organization, "northwind-demo");
    assert!(
        matches!(&inv.failures[0].error, app::error::ApiError::NoAccess { organization, .. } if organization == "northwind-demo")
    );
    let orgs: std::collections::HashSet<_> =
        inv.tokens.iter().filter_map(|r| r.organization.clone()).collect();
    assert!(orgs.contains("fabrikam-demo") && orgs.contains("contoso-demo"), "{orgs:?}");
    // The same tokens as the two organizations' own lists, each global one once.
    let fabrikam = api.pats("filter=all&org=fabrikam-demo").await.unwrap();
    let contoso = api.pats("filter=all&org=contoso-demo").await.unwrap();
    let mut ids: Vec<String> =
        fabrikam.tokens.iter().chain(&contoso.tokens).map(|t| t.authorization_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(inv.total as usize, ids.len());
    let globals: Vec<_> = inv.tokens.iter().filter(|r| r.organization.is_none()).collect();
    assert!(!globals.is_empty());
    for g in &globals {
        assert_eq!(
            inv.tokens.iter().filter(|r| r.token.authorization_id == g.token.authorization_id).count(),
            1
        );
    }
    let names: Vec<String> = inv.tokens.iter().map(|r| r.token.display_name.to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by name across organizations");

    // Search and filter apply across organizations.
    let (_, body) = inventory(&api, "filter=revoked&search=ci").await;
    let found: Inventory = parsed(body);
    assert!(found
        .tokens
        .iter()
        .all(|r| r.token.status == PatStatus::Revoked && r.token.display_name.to_lowercase().contains("ci")));
    let (status, _) = inventory(&api, "filter=all&after=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.shutdown().await;
}

#[tokio::test]
async fn an_organization_that_does_not_answer_is_one_failure_among_answers() {
    let hooks = TestHooks { http_timeout: Some(Duration::from_secs(1)), ..TestHooks::default() };
    let app = spawn_demo_with(hooks).await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    // Organizations remembered, and no list read yet (a read would be reused for 30 seconds).
    assert_eq!(api.get(app::routes::api::ORGS).await.0, StatusCode::OK, "organizations remembered");
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    // The next list request (whichever organization it is for) does not answer in time.
    devops.fail_next(Failure::Slow(Duration::from_secs(3)), Some(Method::GET), 1);
    let (status, body) = inventory(&api, "filter=active").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let inv: Inventory = parsed(body);
    let unavailable: Vec<_> =
        inv.failures.iter().filter(|f| f.error == app::error::ApiError::UpstreamUnavailable).collect();
    assert_eq!(unavailable.len(), 1, "{:?}", inv.failures);
    assert!(!inv.tokens.is_empty(), "the organizations that answered are shown");
    assert!(inv.tokens.iter().all(|r| r.via != unavailable[0].organization));
    app.shutdown().await;
}

#[tokio::test]
async fn exports_list_every_token_and_no_secret() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let created = api
        .create_pat(
            Some("fabrikam-demo"),
            &PatForm {
                name: "Export check".into(),
                scopes: vec!["vso.code".into()],
                expiry: Expiry::Days(30),
                all_orgs: false,
            },
        )
        .await
        .unwrap();
    let res = c.get(app.url(&format!("{INVENTORY_CSV}?filter=all"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(res.headers()[CONTENT_DISPOSITION].to_str().unwrap().contains("pat-inventory-"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("organization,name,status,"));
    assert!(csv.contains("Export check"));
    assert!(csv.contains("northwind-demo,,not read,"), "the organization not read is named");
    assert!(!csv.contains(&created.secret));
    let res = c.get(app.url(&format!("{INVENTORY_JSON}?filter=all&q=export%20check"))).send().await.unwrap();
    assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["tokens"].as_array().unwrap().len(), 1);
    assert!(!json.to_string().contains(&created.secret));
    let bad = c.get(app.url(&format!("{INVENTORY_CSV}?filter=nope"))).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let signed_out = browser().get(app.url(INVENTORY_JSON)).send().await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}

#[tokio::test]
async fn a_bulk_revoke_previews_then_reports_each_token_and_keeps_the_failure() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let (_, body) = inventory(&api, "filter=active&sort=valid_to").await;
    let inv: Inventory = parsed(body);
    let picked: Vec<_> =
        inv.tokens.iter().filter(|r| r.organization.is_some()).take(3).map(|r| r.target()).collect();
    assert_eq!(picked.len(), 3);
    let request = json!({"action": {"kind": "revoke"}, "tokens": picked});
    let (status, _, body) = api.post(api::BULK_PREVIEW, request.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let plan: BulkPlan = parsed(body);
    assert_eq!(plan.changing(), 3);
    assert!(
        api.pat(Some(&picked[0].org), &picked[0].id).await.unwrap().status != PatStatus::Revoked,
        "a preview changes nothing"
    );

    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::ServerError500, Some(Method::DELETE), 1);
    let apply = json!({"change": {"kind": "revoke"}, "tokens": picked});
    let outcomes = api.bulk_change(apply).await.unwrap().outcomes;
    assert_eq!(outcomes.len(), 3);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    assert_eq!(failed.len(), 1, "{outcomes:?}");
    for o in &outcomes {
        let now = api.pat(Some(&o.target.org), &o.target.id).await.unwrap();
        assert_eq!(now.status == PatStatus::Revoked, o.done.is_some(), "{o:?}");
    }

    // Extending: expired tokens are left as they are, and said so; bad input is refused first.
    let (_, body) = inventory(&api, "filter=expired").await;
    let expired: Inventory = parsed(body);
    let target = expired.tokens[0].target();
    let (_, _, body) = api
        .post(api::BULK_PREVIEW, json!({"action": {"kind": "extend", "days": 30}, "tokens": [target]}))
        .await;
    let plan: BulkPlan = parsed(body);
    let until = plan.until.clone().expect("an extension names its expiry");
    let change = json!({"change": {"kind": "extend_to", "until": until}, "tokens": [target]});
    let outcomes: Vec<BulkOutcome> = api.bulk_change(change).await.unwrap().outcomes;
    assert!(outcomes[0].error.as_ref().unwrap().to_string().contains("re-issue"));
    let (status, _, _) = api.post(api::BULK_APPLY, json!({"change": {"kind": "revoke"}, "tokens": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = api
        .post(api::BULK_PREVIEW, json!({"action": {"kind": "extend", "days": 999}, "tokens": [target]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.shutdown().await;
}
