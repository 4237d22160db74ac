//! The stand-in's projects API: a seeded set of projects per organization, paged by an opaque continuation token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::{vss_error, DevopsStandIn};

/// One seeded project: name, description, public or not, and when it last changed.
struct SeedProject {
    name: &'static str,
    description: &'static str,
    public: bool,
    last_update: &'static str,
    revision: u32,
}

const fn project(
    name: &'static str,
    description: &'static str,
    public: bool,
    last_update: &'static str,
    revision: u32,
) -> SeedProject {
    SeedProject { name, description, public, last_update, revision }
}

const FABRIKAM: &[SeedProject] = &[
    project(
        "Fabrikam Fiber",
        "The fibre network's field-service apps.",
        false,
        "2025-11-03T14:22:05.143Z",
        412,
    ),
    project("Web Portal", "Customer self-service portal.", false, "2026-01-12T09:41:37.5Z", 388),
    project("Mobile App", "iOS and Android apps for subscribers.", false, "2025-12-18T16:03:11.02Z", 301),
    project("Billing Service", "Invoices, payments and dunning.", false, "2025-10-27T08:15:44.9Z", 276),
    project(
        "Data Platform",
        "Lakehouse, pipelines and the reporting models.",
        false,
        "2026-01-08T11:30:00Z",
        254,
    ),
    project(
        "Infrastructure",
        "Terraform, Kubernetes clusters and networking.",
        false,
        "2026-01-15T07:55:29.31Z",
        233,
    ),
    project("Design System", "Shared UI components and tokens.", true, "2025-09-30T13:12:48.7Z", 198),
    project(
        "Customer Support",
        "Ticketing integrations and the support bot.",
        false,
        "2025-12-02T10:05:16.6Z",
        164,
    ),
    project("Identity", "Sign-in, roles and the directory sync.", false, "2025-11-21T15:47:02.8Z", 142),
    project("Open Source", "Libraries Fabrikam publishes on the web.", true, "2025-08-14T12:00:55.4Z", 97),
    project("QA Automation", "End-to-end suites and the test lab.", false, "2025-12-29T17:20:33.25Z", 88),
    project("Marketing Site", "fabrikam.example and its campaigns.", true, "2025-07-09T09:09:09.9Z", 45),
];

const CONTOSO: &[SeedProject] = &[
    project("Contoso Retail", "Point of sale and store operations.", false, "2025-12-11T10:11:12.13Z", 120),
    project("Warehouse", "Inventory and shipping.", false, "2025-11-05T08:30:45.6Z", 77),
    project("Intranet", "The company's internal site.", true, "2026-01-02T15:00:00Z", 31),
];

fn seeded(org: &str) -> &'static [SeedProject] {
    match org {
        "fabrikam-demo" => FABRIKAM,
        "contoso-demo" => CONTOSO,
        _ => &[],
    }
}

/// States the API knows; every seeded project is `wellFormed`.
const STATES: [&str; 7] = ["all", "wellFormed", "createPending", "deleting", "new", "unchanged", "deleted"];

fn continuation(skip: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("projects:{skip}"))
}

fn skip_of(token: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("projects:")?.parse().ok()
}

fn bad_request(message: &str) -> Response {
    vss_error(StatusCode::BAD_REQUEST, "ArgumentException", message)
}

pub(super) async fn list(
    State(s): State<Arc<DevopsStandIn>>,
    Path(org): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = s.enter_org(&headers, &q, &org, false, super::scopes::Need::Projects).await {
        return r;
    }
    let state = q.get("stateFilter").map(String::as_str).unwrap_or("wellFormed");
    let Some(state) = STATES.iter().find(|s| s.eq_ignore_ascii_case(state)) else {
        return bad_request("The value of stateFilter is not valid.");
    };
    let top = match super::top_of(&q) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut all: Vec<&SeedProject> =
        if matches!(*state, "all" | "wellFormed") { seeded(&org).iter().collect() } else { Vec::new() };
    all.sort_by_key(|p| p.name.to_lowercase());
    let skip = match (q.get("continuationToken").filter(|c| !c.is_empty()), q.get("$skip")) {
        (Some(c), _) => match skip_of(c) {
            Some(n) if n <= all.len() => n,
            _ => return bad_request("The continuation token is not valid."),
        },
        (None, Some(n)) => match n.parse::<usize>() {
            Ok(n) => n.min(all.len()),
            Err(_) => return bad_request("$skip must be a non-negative number."),
        },
        (None, None) => 0,
    };
    let page: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(top)
        .map(|p| {
            let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{org}/{}", p.name).as_bytes())
                .to_string();
            json!({
                "id": id,
                "name": p.name,
                "description": p.description,
                "url": format!("{}/{org}/_apis/projects/{id}", s.dev_base),
                "state": "wellFormed",
                "revision": p.revision,
                "visibility": if p.public { "public" } else { "private" },
                "lastUpdateTime": p.last_update,
            })
        })
        .collect();
    let mut res = Json(json!({ "count": page.len(), "value": page })).into_response();
    if skip + top < all.len() {
        if let Ok(v) = HeaderValue::from_str(&continuation(skip + top)) {
            res.headers_mut().insert("x-ms-continuationtoken", v);
        }
    }
    res
}
