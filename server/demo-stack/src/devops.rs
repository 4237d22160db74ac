//! The Azure DevOps stand-in: PAT lifecycle, projects, profile and accounts, with the real shapes, bearer checks, organization policies and test-only failure switches.

mod admin;
mod failures;
mod locations;
mod pat_checks;
mod pats;
mod policies;
mod profile;
mod projects;
mod quirks;
mod scopes;
mod seed;
mod tenant;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;
use time::OffsetDateTime;

pub use self::admin::{
    directory_member, Member, ADMIN_OID, DELETED_EVERY, DIRECTORY_ORG, DIRECTORY_SIZE, GRAPH_PAGE,
};
pub use self::failures::Failure;
use self::pats::StoredPat;
pub use self::policies::{
    creation_policy, policy_of_org, tenant_policy, CreationPolicy, TenantPolicy, LITWARE_OPEN_ORG,
    LITWARE_ORGS, RESTRICTED_ORG,
};
pub use self::quirks::{extra_org, Throttle, MAX_EXTRA_ORGS, MAX_EXTRA_TOKENS};
use self::scopes::Need;
use super::entra::EntraStandIn;
use crate::reference::DEVOPS_RESOURCE;

/// The organizations whose PAT and project APIs answer; the first is the default organization.
pub const DEMO_ORGS: [&str; 2] = ["fabrikam-demo", "contoso-demo"];

/// An organization every demo user belongs to whose tenant's Conditional Access policy refuses
/// every call (VS403463, 403), as a policy requiring a compliant device or a trusted network does.
pub const CONDITIONAL_ACCESS_ORG: &str = "northwind-demo";
/// An organization that exists, in the demo tenant, but that no demo user belongs to: 401 with
/// TF400813 naming the user.
pub const NOT_MEMBER_ORG: &str = "tailspin-demo";
/// An organization connected to another Microsoft Entra tenant: 401 with TF400813 naming the
/// user, and `X-VSS-ResourceTenant` naming that tenant.
pub const OTHER_TENANT_ORG: &str = "woodgrove-demo";
/// The tenant [`OTHER_TENANT_ORG`] is connected to.
pub const OTHER_TENANT_ID: &str = "9c4f1d2e-5b6a-4c3d-8e7f-0a1b2c3d4e5f";

pub struct DevopsStandIn {
    keys: Keys,
    /// Tokens by owner (`oid`). Never holds a token's secret.
    pats: Mutex<HashMap<String, Vec<StoredPat>>>,
    /// The user whose tokens are seeded by the dozen (so that paging shows).
    big_user: Option<String>,
    /// The demo users: Graph lists them among an organization's users, and the second demo
    /// tenant's get their tokens seeded in its organizations.
    demo_users: Vec<crate::DemoUser>,
    /// Where the projects API lives, for the projects' `url`.
    dev_base: String,
    /// Test-only failures still to answer, in the order they were set.
    failures: Mutex<Vec<failures::Switch>>,
    /// Every request received, by method, failed ones included.
    requests: Mutex<HashMap<Method, usize>>,
    /// What "now" is (the portal's clock, so that both sides agree).
    clock: app::clock::Clock,
    /// How this Azure DevOps differs from the stand-in's defaults (test and demo switches).
    quirks: quirks::Quirks,
}

/// Where the keys that sign bearer tokens come from.
enum Keys {
    /// The embedded demo identity provider, in the same process.
    Demo(Arc<EntraStandIn>),
    /// Any identity provider's JWKS, fetched over HTTP (refetched once for an unknown kid).
    Remote { url: String, http: reqwest::Client, cache: tokio::sync::RwLock<JwkSet> },
}

/// Who the bearer token says is calling.
struct Caller {
    oid: String,
    name: String,
    username: String,
    /// The Entra tenant the token was issued in.
    tenant: String,
    /// The scope names the token carries.
    scopes: Vec<String>,
}

impl DevopsStandIn {
    pub fn new(entra: Arc<EntraStandIn>) -> Self {
        let big_user = entra.users.first().map(|u| u.oid.clone());
        // The identity provider lives at `{public url}/demo/entra`, this stand-in beside it.
        let dev_base = entra
            .base
            .strip_suffix("/entra")
            .map(|b| format!("{b}/devops/dev"))
            .unwrap_or_else(|| "https://dev.azure.com".into());
        let demo_users = entra.users.clone();
        Self { demo_users, ..Self::with_keys(Keys::Demo(entra), big_user, dev_base) }
    }

    /// A stand-in on its own, trusting the identity provider that publishes `jwks_url`.
    pub fn trusting_jwks(jwks_url: impl Into<String>) -> Self {
        let keys = Keys::Remote {
            url: jwks_url.into(),
            // Like the portal's own client: bounded in time, never following redirects.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(5))
                .connect_timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            cache: tokio::sync::RwLock::new(JwkSet { keys: Vec::new() }),
        };
        Self::with_keys(keys, None, "https://dev.azure.com".into())
    }

    fn with_keys(keys: Keys, big_user: Option<String>, dev_base: String) -> Self {
        DevopsStandIn {
            keys,
            pats: Mutex::new(HashMap::new()),
            big_user,
            demo_users: Vec::new(),
            dev_base,
            failures: Mutex::new(Vec::new()),
            requests: Mutex::new(HashMap::new()),
            clock: app::clock::Clock::system(),
            quirks: quirks::Quirks::default(),
        }
    }

    /// The same stand-in, reading the time from `clock`.
    pub fn with_clock(mut self, clock: app::clock::Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn router(self: Arc<Self>) -> Router {
        use tower::Layer;
        let inner = self.routes();
        // Paths and api-versions are normalized before routing (`locations::normalize`).
        Router::new().fallback_service(axum::middleware::from_fn(locations::normalize).layer(inner))
    }

    fn routes(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/vssps/{org}/_apis/tokens/pats",
                get(pats::list_or_get).post(pats::create).put(pats::update).delete(pats::revoke),
            )
            .route("/dev/{org}/_apis/projects", get(projects::list))
            .route("/vssps/{org}/_apis/graph/users", get(admin::graph_users))
            .route("/vssps/{org}/_apis/tokenadmin/personalaccesstokens/{descriptor}", get(admin::user_tokens))
            .route("/vssps/{org}/_apis/tokenadmin/revocations", axum::routing::post(admin::revoke))
            .route("/app/_apis/profile/profiles/me", get(profile::profile))
            .route("/app/_apis/accounts", get(profile::accounts))
            .route("/dev/{org}", axum::routing::head(tenant::head))
            .route("/app/_apis/resourceareas", get(locations::resource_areas))
            .route("/dev/{org}/_apis/resourceareas", get(locations::resource_areas))
            .route("/app/_apis/{area}", axum::routing::options(locations::options))
            .route("/dev/{org}/_apis/{area}", axum::routing::options(locations::options))
            .with_state(self.clone())
            .layer(axum::middleware::from_fn_with_state(self.clone(), quirks::layer))
            .layer(axum::middleware::from_fn_with_state(self, failures::layer))
    }

    async fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        match &self.keys {
            Keys::Demo(entra) => entra.key(kid).map(|k| k.decoding.clone()),
            Keys::Remote { url, http, cache } => {
                if let Some(k) = cache.read().await.find(kid) {
                    return DecodingKey::from_jwk(k).ok();
                }
                let fresh: JwkSet = http.get(url).send().await.ok()?.json().await.ok()?;
                let key = fresh.find(kid).and_then(|k| DecodingKey::from_jwk(k).ok());
                *cache.write().await = fresh;
                key
            }
        }
    }

    /// Validates the bearer token: signature by a key of the trusted identity provider, audience
    /// Azure DevOps, not expired. Anything else is refused the way Azure DevOps refuses it.
    async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Response> {
        let suppress = headers
            .get("X-TFS-FedAuthRedirect")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("suppress"));
        let refuse = || if suppress { unauthorized_json() } else { sign_in_page() };
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(refuse)?;
        let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid).ok_or_else(refuse)?;
        let key = self.decoding_key(&kid).await.ok_or_else(refuse)?;
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&[DEVOPS_RESOURCE]);
        v.leeway = 60;
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).map_err(|_| refuse())?;
        let claim = |name: &str| data.claims.get(name).and_then(|o| o.as_str()).map(str::to_string);
        // Entra's immutable user id; another provider's subject otherwise.
        let oid = claim("oid").or_else(|| claim("sub")).ok_or_else(refuse)?;
        Ok(Caller {
            name: claim("name").unwrap_or_else(|| "Demo user".into()),
            username: claim("upn")
                .or_else(|| claim("preferred_username"))
                .unwrap_or_else(|| format!("{oid}@demo")),
            oid,
            // Another identity provider (the tests' own) may leave `tid` out: the demo tenant's.
            tenant: claim("tid").unwrap_or_else(|| crate::entra::DEMO_TENANT.to_string()),
            scopes: scopes::scope_names(&claim("scp").or_else(|| claim("scope")).unwrap_or_default()),
        })
    }

    /// What every organization-scoped call checks first, in Azure DevOps' order: the bearer, the
    /// api-version, then the organization (unknown: 404; Conditional Access: 403 VS403463; not
    /// a member, or another tenant's: 401 TF400813 naming the user).
    async fn enter_org(
        &self,
        headers: &HeaderMap,
        q: &HashMap<String, String>,
        org: &str,
        preview: bool,
        need: Need,
    ) -> Result<Caller, Response> {
        let caller = self.authenticate(headers).await?;
        scopes::require(&caller, need, self.classic_refused_for_pats())?;
        require_api_version(q, preview)?;
        match org {
            CONDITIONAL_ACCESS_ORG => return Err(conditional_access()),
            NOT_MEMBER_ORG | OTHER_TENANT_ORG => return Err(not_a_member(&caller)),
            _ => {}
        }
        if !DEMO_ORGS.contains(&org) && !LITWARE_ORGS.contains(&org) && !self.is_extra_org(org) {
            return Err(vss_error(
                StatusCode::NOT_FOUND,
                "AccountNotFoundException",
                "VS800001: The organization was not found.",
            ));
        }
        // An organization connected to another tenant than the token's knows no such user.
        if tenant::tenant_of(org) != Some(caller.tenant.as_str()) {
            return Err(not_a_member(&caller));
        }
        Ok(caller)
    }

    /// Runs `f` on this user's tokens, seeded on first use.
    fn with_tokens<R>(&self, oid: &str, f: impl FnOnce(&mut Vec<StoredPat>) -> R) -> R {
        let mut all = self.pats.lock().unwrap_or_else(|e| e.into_inner());
        let big = self.big_user.as_deref() == Some(oid);
        let litware =
            self.demo_users.iter().any(|u| u.oid == oid && u.tenant == crate::entra::LITWARE_TENANT);
        let orgs = match litware {
            true => LITWARE_ORGS,
            false => DEMO_ORGS,
        };
        let now = self.now();
        f(all.entry(oid.to_string()).or_insert_with(|| self.seeded(oid, big, now, orgs)))
    }
}

/// What Azure DevOps answers a bad token on GET and POST: 203 and its HTML sign-in page.
fn sign_in_page() -> Response {
    (
        StatusCode::NON_AUTHORITATIVE_INFORMATION,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Html("<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in to continue (demo stand-in)</body></html>"),
    )
        .into_response()
}

fn unauthorized_json() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "$id": "1", "innerException": null,
            "message": "TF400813: The user '' is not authorized to access this resource.",
            "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server",
            "typeKey": "UnauthorizedRequestException", "errorCode": 0, "eventId": 3000,
        })),
    )
        .into_response()
}

/// A Conditional Access policy of the organization's tenant failed (the body Azure DevOps sends,
/// as quoted in microsoft/coe-starter-kit#6694).
fn conditional_access() -> Response {
    vss_error(
        StatusCode::FORBIDDEN,
        "VssServiceException",
        "VS403463: The conditional access policy defined by your Azure Active Directory administrator has failed.",
    )
}

/// A valid token of a user the organization does not know: 401 and TF400813 naming the user.
/// The organization's tenant is told to an anonymous request (`tenant::head`), not here.
fn not_a_member(caller: &Caller) -> Response {
    vss_error(
        StatusCode::UNAUTHORIZED,
        "UnauthorizedRequestException",
        &format!("TF400813: The user '{}' is not authorized to access this resource.", caller.oid),
    )
}

/// Azure DevOps' JSON error body.
fn vss_error(status: StatusCode, type_key: &str, message: &str) -> Response {
    (status, Json(json!({ "$id": "1", "innerException": null, "message": message, "typeKey": type_key, "errorCode": 0, "eventId": 3000 })))
        .into_response()
}

/// Every call names an api-version; preview areas (the PAT API) want the `-preview` flag too.
fn require_api_version(q: &HashMap<String, String>, preview: bool) -> Result<(), Response> {
    match q.get("api-version") {
        // Any version from the area's first (1.0; 6.0 for the PAT API) to the newest (7.2):
        // Microsoft's clients ask for old ones (azure-devops-node-api reads profiles with
        // `3.2-preview.3`), and the service answers them.
        Some(v) if !supported(v, preview) => Err(vss_error(
            StatusCode::BAD_REQUEST,
            "VssInvalidApiVersionException",
            "VS800012: The requested api-version is not supported.",
        )),
        Some(v) if preview && !v.contains("-preview") => Err(vss_error(
            StatusCode::BAD_REQUEST,
            "VssInvalidPreviewVersionException",
            &format!(
                "VS800010: The requested version \"{v}\" of the resource is under preview. The -preview flag \
                 must be supplied in the api-version for such requests."
            ),
        )),
        Some(_) => Ok(()),
        None => Err(vss_error(
            StatusCode::BAD_REQUEST,
            "VssServiceException",
            "VS800075: The project collection requires an api-version, but none was supplied.",
        )),
    }
}

fn supported(version: &str, preview_area: bool) -> bool {
    let lowest = if preview_area { 6.0 } else { 1.0 };
    version.split('-').next().and_then(|n| n.parse::<f64>().ok()).is_some_and(|n| (lowest..=7.2).contains(&n))
}

/// `$top`: 1 to 100 items per page (100 when absent).
fn top_of(q: &HashMap<String, String>) -> Result<usize, Response> {
    match q.get("$top").map(|t| t.parse::<usize>()) {
        None => Ok(100),
        Some(Ok(t)) if (1..=100).contains(&t) => Ok(t),
        Some(_) => Err(vss_error(
            StatusCode::BAD_REQUEST,
            "ArgumentOutOfRangeException",
            "$top must be between 1 and 100.",
        )),
    }
}

/// An instant as Azure DevOps writes it: UTC with seven fractional digits (.NET ticks), e.g.
/// `2020-11-02T22:56:52.1033333Z` (`specification/tokens/7.1/httpExamples/Pats/ListPats.json`).
fn iso(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z"
    );
    t.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

/// An organization's id, stable across runs.
fn org_id(org: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("https://dev.azure.com/{org}").as_bytes())
        .to_string()
}
