//! How Microsoft's own clients find the stand-in's APIs: resource areas, resource locations (`OPTIONS /_apis/{area}`), the api-version in the `Accept` header, and paths matched without regard to case, as the service does.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::DevopsStandIn;

/// One API resource location: what `OPTIONS /_apis/{area}` lists (azure-devops-node-api's
/// `ApiResourceLocation`; the ids are those its generated clients ask for).
struct Location {
    id: &'static str,
    area: &'static str,
    resource: &'static str,
    route: &'static str,
    /// The newest version and the newest resource version of its preview, and the released one.
    max: &'static str,
    resource_version: u32,
    released: &'static str,
}

const LOCATIONS: [Location; 3] = [
    Location {
        id: "e81700f7-3be2-46de-8624-2eb35882fcaa",
        area: "Location",
        resource: "ResourceAreas",
        route: "_apis/{resource}/{areaId}",
        max: "7.2",
        resource_version: 1,
        released: "7.1",
    },
    // Profiles: released 7.1 (specification/profile/7.1/profile.json since 2024-09).
    Location {
        id: "f83735dc-483f-4238-a291-d45f6080a9af",
        area: "Profile",
        resource: "Profiles",
        route: "_apis/{area}/{resource}/{id}",
        max: "7.2",
        resource_version: 3,
        released: "7.1",
    },
    Location {
        id: "603fe2ac-9723-48b9-88ad-09305aa6c6e1",
        area: "core",
        resource: "projects",
        route: "_apis/projects/{*projectId}",
        max: "7.2",
        resource_version: 4,
        released: "7.1",
    },
];

/// Resource areas by id (`Profile` and `core`), served from the host that holds them.
const AREAS: [(&str, &str, Host); 2] = [
    ("8ccfef3d-2b87-4e99-8ccb-66e343d2daa8", "Profile", Host::App),
    ("79134c72-4a58-4b42-976c-04e7115f32bf", "core", Host::Dev),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Host {
    App,
    Dev,
}

/// Before routing: the path in lower case (the service matches paths without regard to case:
/// clients write `/_apis/Profile/Profiles/me`), but for a subject descriptor (`aad.` and
/// base64, whose case is meaningful), and an `api-version` given in the `Accept` header
/// (`application/json;api-version=7.1`, as Microsoft's clients send it) copied into the query
/// when the query has none.
pub(super) async fn normalize(mut req: Request, next: Next) -> Response {
    let path = lower_but_descriptors(req.uri().path());
    let mut query = req.uri().query().unwrap_or_default().to_string();
    if !query.split('&').any(|p| p.starts_with("api-version=")) {
        if let Some(v) = accept_version(req.headers()) {
            let sep = if query.is_empty() { "" } else { "&" };
            query = format!("{query}{sep}api-version={v}");
        }
    }
    let target = if query.is_empty() { path } else { format!("{path}?{query}") };
    if let Ok(uri) = target.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
    next.run(req).await
}

/// The path in lower case, but for the segment after `personalaccesstokens` or `users` when it
/// has the shape of a descriptor (`{kind}.{base64}`).
fn lower_but_descriptors(path: &str) -> String {
    let mut previous = String::new();
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            let lower = segment.to_ascii_lowercase();
            let descriptor =
                matches!(previous.as_str(), "personalaccesstokens" | "users") && segment.contains('.');
            previous = lower.clone();
            if descriptor {
                segment.to_string()
            } else {
                lower
            }
        })
        .collect();
    segments.join("/")
}

fn accept_version(headers: &HeaderMap) -> Option<String> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    let (_, rest) = accept.split_once("api-version=")?;
    let v: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
    (!v.is_empty()).then_some(v)
}

fn list(value: Vec<Value>) -> Response {
    Json(json!({ "count": value.len(), "value": value })).into_response()
}

/// `OPTIONS /_apis/{area}`: the area's resource locations (none for an area the stand-in lacks).
pub(super) async fn options(Path(params): Path<Vec<(String, String)>>) -> Response {
    let area = params.iter().find(|(k, _)| k == "area").map(|(_, v)| v.as_str()).unwrap_or_default();
    let value = LOCATIONS
        .iter()
        .filter(|l| l.area.eq_ignore_ascii_case(area))
        .map(|l| {
            json!({
                "id": l.id, "area": l.area, "resourceName": l.resource, "routeTemplate": l.route,
                "resourceVersion": l.resource_version, "minVersion": "1.0", "maxVersion": l.max,
                "releasedVersion": l.released,
            })
        })
        .collect();
    list(value)
}

/// `GET /_apis/resourceAreas`: where each area lives (profile on the app host, core on the
/// organization's).
pub(super) async fn resource_areas(
    State(s): State<Arc<DevopsStandIn>>,
    Path(params): Path<Vec<(String, String)>>,
) -> Response {
    let org = params.iter().find(|(k, _)| k == "org").map(|(_, v)| v.clone());
    let app = s
        .dev_base
        .strip_suffix("/dev")
        .map(|b| format!("{b}/app"))
        .unwrap_or_else(|| "https://app.vssps.visualstudio.com".into());
    let value = AREAS
        .iter()
        .map(|(id, name, host)| {
            let url = match (host, &org) {
                (Host::Dev, Some(o)) => format!("{}/{o}/", s.dev_base),
                (Host::Dev, None) => format!("{}/", s.dev_base),
                (Host::App, _) => format!("{app}/"),
            };
            json!({ "id": id, "name": name, "locationUrl": url })
        })
        .collect();
    list(value)
}
