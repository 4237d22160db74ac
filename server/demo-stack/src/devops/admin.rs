//! What Azure DevOps gives an organization's administrators, as its specs publish it: the Graph
//! users of an organization (`specification/graph/7.2/graph.json`, `Users_List`: paged, the next
//! page named by the `X-MS-ContinuationToken` header) and Token Administration
//! (`specification/tokenAdmin/7.2/tokenAdmin.json`: `Personal Access Tokens_List`, a user's PATs by
//! subject descriptor, paged by `pageSize` and the body's `continuationToken`; `Revocations_Revoke
//! Authorizations`, 204). Token Administration answers 401 to a caller who may not administer
//! tokens, 404 for an unknown descriptor and 400 for a bad page size or continuation token.
//!
//! `fabrikam-demo` is an organization of [`DIRECTORY_SIZE`] more users beside the demo users,
//! one in [`DELETED_EVERY`] deleted in their directory (`isDeletedInOrigin`), each with the seeded
//! tokens (full access, global and long-lived ones among them); Nestor Wilke administers
//! Contoso's organizations. The spec declares only Azure DevOps' own OAuth for Token
//! Administration: whether the service accepts an Entra token for it is not verified here.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::scopes::Need;
use super::{iso, vss_error, DevopsStandIn, DEMO_ORGS};

/// The organization with a large directory.
pub const DIRECTORY_ORG: &str = "fabrikam-demo";
/// Its users beside the demo users.
pub const DIRECTORY_SIZE: usize = 2000;
/// One user in this many is deleted in their directory.
pub const DELETED_EVERY: usize = 23;
/// Graph users per page (the spec names no size; the portal follows the continuation header).
pub const GRAPH_PAGE: usize = 500;
/// Token Administration's page when `pageSize` is not given, and the largest accepted.
const DEFAULT_TOKEN_PAGE: usize = 20;
const MAX_TOKEN_PAGE: usize = 1000;

/// The demo administrator (a Project Collection Administrator of Contoso's organizations).
pub const ADMIN_OID: &str = "9e3b5d7f-2a4c-4e6a-8b0d-6f7a8b9c0d25";

const FIRST: [&str; 16] = [
    "Aiko", "Bruno", "Chiara", "Dmitri", "Esther", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemal",
    "Lena", "Mateo", "Nadia", "Oskar", "Priya",
];
const LAST: [&str; 16] = [
    "Alvarez",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
];

/// A user of an organization's directory, as Graph lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub oid: String,
    pub display_name: String,
    pub principal_name: String,
    pub deleted: bool,
}

impl Member {
    /// The subject descriptor: `aad.` and the URL-safe base64 of the user's id.
    pub fn descriptor(&self) -> String {
        format!("aad.{}", URL_SAFE_NO_PAD.encode(self.oid.as_bytes()))
    }

    fn to_json(&self, org: &str) -> Value {
        let d = self.descriptor();
        let url = format!("https://vssps.dev.azure.com/{org}/_apis/Graph/Users/{d}");
        json!({
            "subjectKind": "user", "metaType": "member", "directoryAlias": self.principal_name.split('@').next(),
            "domain": crate::entra::DEMO_TENANT, "principalName": self.principal_name,
            "mailAddress": self.principal_name, "origin": "aad", "originId": self.oid,
            "displayName": self.display_name, "isDeletedInOrigin": self.deleted,
            "_links": { "self": { "href": url } }, "url": url, "descriptor": d,
        })
    }
}

/// The `i`-th user of the large directory (the same at every start).
pub fn directory_member(i: usize) -> Member {
    let oid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("directory:{i}").as_bytes()).to_string();
    let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
    Member {
        oid,
        display_name: format!("{first} {last} {}", i + 1),
        principal_name: format!("{}.{}{}@contoso.demo", first.to_lowercase(), last.to_lowercase(), i + 1),
        deleted: i % DELETED_EVERY == DELETED_EVERY - 1,
    }
}

/// The index of a user of the large directory, by id.
pub(super) fn directory_index(oid: &str) -> Option<usize> {
    static INDEX: std::sync::OnceLock<HashMap<String, usize>> = std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| (0..DIRECTORY_SIZE).map(|i| (directory_member(i).oid, i)).collect())
        .get(oid)
        .copied()
}

impl DevopsStandIn {
    /// The users of `org`: the demo users of its tenant, and the large directory in
    /// [`DIRECTORY_ORG`].
    fn members(&self, org: &str) -> Vec<Member> {
        let tenant = super::tenant::tenant_of(org).unwrap_or_default();
        let mut out: Vec<Member> = self
            .demo_users
            .iter()
            .filter(|u| u.tenant == tenant)
            .map(|u| Member {
                oid: u.oid.clone(),
                display_name: u.name.clone(),
                principal_name: u.username.clone(),
                deleted: false,
            })
            .collect();
        if org == DIRECTORY_ORG {
            out.extend((0..DIRECTORY_SIZE).map(directory_member));
        }
        out
    }

    /// Whether `oid` administers tokens in `org`.
    fn administers(&self, oid: &str, org: &str) -> bool {
        oid == ADMIN_OID && DEMO_ORGS.contains(&org)
    }
}

fn bad_request(message: &str) -> Response {
    vss_error(StatusCode::BAD_REQUEST, "ArgumentException", message)
}

/// The spec's 401 for a caller who may not administer tokens.
fn not_an_administrator(oid: &str) -> Response {
    vss_error(
        StatusCode::UNAUTHORIZED,
        "UnauthorizedRequestException",
        &format!("TF400813: The user '{oid}' is not authorized to access this resource."),
    )
}

/// An opaque continuation token for position `at` of a list.
fn continuation(kind: &str, at: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{at}"))
}

/// Where a continuation token of `kind` resumes a list of `len` items (0 without one).
fn position(kind: &str, token: Option<&String>, len: usize) -> Result<usize, Response> {
    let Some(t) = token.filter(|t| !t.is_empty()) else { return Ok(0) };
    URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(&format!("{kind}:")).and_then(|n| n.parse().ok()))
        .filter(|n| *n <= len)
        .ok_or_else(|| bad_request("The continuation token is not valid."))
}

/// What a Token Administration call checks first: the bearer and the organization, then that
/// the caller administers tokens there.
async fn enter_as_administrator(
    s: &DevopsStandIn,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    org: &str,
) -> Result<(), Response> {
    let caller = s.enter_org(headers, q, org, true, Need::TokenAdmin).await?;
    match s.administers(&caller.oid, org) {
        true => Ok(()),
        false => Err(not_an_administrator(&caller.oid)),
    }
}

/// `GET {org}/_apis/graph/users`: a page of users; `X-MS-ContinuationToken` names the next.
pub(super) async fn graph_users(
    State(s): State<Arc<DevopsStandIn>>,
    Path(org): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = s.enter_org(&headers, &q, &org, true, Need::Graph).await {
        return r;
    }
    let members = s.members(&org);
    let at = match position("users", q.get("continuationToken"), members.len()) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let page: Vec<Value> = members.iter().skip(at).take(GRAPH_PAGE).map(|m| m.to_json(&org)).collect();
    let next = at + page.len();
    let mut res = Json(json!({ "count": page.len(), "value": page })).into_response();
    if next < members.len() {
        if let Ok(v) = HeaderValue::from_str(&continuation("users", next)) {
            res.headers_mut().insert("X-MS-ContinuationToken", v);
        }
    }
    res
}

/// `GET {org}/_apis/tokenadmin/personalaccesstokens/{descriptor}`: a user's PATs that work in
/// `org` (its own and global ones), revoked ones excluded, in pages.
pub(super) async fn user_tokens(
    State(s): State<Arc<DevopsStandIn>>,
    Path((org, descriptor)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = enter_as_administrator(&s, &headers, &q, &org).await {
        return r;
    }
    let size = match q.get("pageSize").map(|v| v.parse::<usize>()) {
        None => DEFAULT_TOKEN_PAGE,
        Some(Ok(n)) if (1..=MAX_TOKEN_PAGE).contains(&n) => n,
        Some(_) => return bad_request("The page size is not valid."),
    };
    let Some(member) = s.members(&org).into_iter().find(|m| m.descriptor() == descriptor) else {
        return vss_error(StatusCode::NOT_FOUND, "IdentityNotFoundException", "The user could not be found.");
    };
    let tokens: Vec<Value> = s.with_tokens(&member.oid, |all| {
        all.iter()
            .filter(|p| !p.revoked && p.visible_in(&org))
            .map(|p| session_token(p, &member.oid))
            .collect()
    });
    let at = match position("pats", q.get("continuationToken"), tokens.len()) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let page: Vec<Value> = tokens.iter().skip(at).take(size).cloned().collect();
    let next = at + page.len();
    let more = (next < tokens.len()).then(|| continuation("pats", next));
    Json(json!({ "value": page, "continuationToken": more })).into_response()
}

/// The spec's `SessionToken` of a PAT: no secret (`token` is "not returned in Get queries").
fn session_token(p: &super::pats::StoredPat, oid: &str) -> Value {
    json!({
        "clientId": "00000000-0000-0000-0000-000000000000", "accessId": "00000000-0000-0000-0000-000000000000",
        "authorizationId": p.id, "hostAuthorizationId": "00000000-0000-0000-0000-000000000000", "userId": oid,
        "validFrom": iso(p.valid_from), "validTo": iso(p.valid_to), "displayName": p.name, "scope": p.scope,
        "targetAccounts": p.org.as_deref().map(|o| vec![super::org_id(o)]), "token": null,
        "alternateToken": null, "isValid": true, "isPublic": false, "publicData": null, "source": null,
    })
}

/// `POST {org}/_apis/tokenadmin/revocations`: `[{"authorizationId"}]`, 204 when done.
pub(super) async fn revoke(
    State(s): State<Arc<DevopsStandIn>>,
    Path(org): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = enter_as_administrator(&s, &headers, &q, &org).await {
        return r;
    }
    let ids: Vec<String> = match serde_json::from_slice::<Vec<Value>>(&body) {
        Ok(list) => list.iter().filter_map(|r| r["authorizationId"].as_str().map(str::to_string)).collect(),
        Err(_) => return bad_request("The request body must be a list of revocations."),
    };
    if ids.is_empty() || ids.iter().any(|i| uuid::Uuid::parse_str(i).is_err()) {
        return bad_request("Each revocation needs an authorization ID.");
    }
    let owners: Vec<String> = s.members(&org).into_iter().map(|m| m.oid).collect();
    for oid in owners {
        s.with_tokens(&oid, |all| {
            for p in all
                .iter_mut()
                .filter(|p| p.visible_in(&org) && ids.iter().any(|i| i.eq_ignore_ascii_case(&p.id)))
            {
                p.revoked = true;
            }
        });
    }
    StatusCode::NO_CONTENT.into_response()
}
