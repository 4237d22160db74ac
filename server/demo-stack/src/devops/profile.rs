//! The stand-in's profile and accounts APIs: who the bearer is, and the organizations they belong to.

use super::*;

pub(super) async fn profile(
    State(s): State<Arc<DevopsStandIn>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let caller = match s.authenticate(&headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = super::scopes::require(&caller, super::scopes::Need::Profile) {
        return r;
    }
    if let Err(r) = require_api_version(&q, false) {
        return r;
    }
    Json(json!({
        "displayName": caller.name, "publicAlias": caller.oid, "emailAddress": caller.username, "coreRevision": 1,
        "timeStamp": "2026-01-05T09:00:00.0000000+00:00", "id": caller.oid, "revision": 1,
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct AccountsQuery {
    #[serde(rename = "memberId")]
    member_id: Option<String>,
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

pub(super) async fn accounts(
    State(s): State<Arc<DevopsStandIn>>,
    Query(q): Query<AccountsQuery>,
    headers: HeaderMap,
) -> Response {
    let caller = match s.authenticate(&headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = super::scopes::require(&caller, super::scopes::Need::Profile) {
        return r;
    }
    if q.api_version.is_none() {
        return vss_error(
            StatusCode::BAD_REQUEST,
            "VssServiceException",
            "VS800075: An api-version is required.",
        );
    }
    match q.member_id {
        Some(m) if m == caller.oid => {}
        Some(_) => {
            return vss_error(
                StatusCode::FORBIDDEN,
                "UnauthorizedRequestException",
                "TF400813: You can list only your own organizations.",
            )
        }
        None => {
            return vss_error(
                StatusCode::BAD_REQUEST,
                "ArgumentNullException",
                "memberId or ownerId is required.",
            )
        }
    }
    let value: Vec<_> = DEMO_ORGS
        .iter()
        .chain([&CONDITIONAL_ACCESS_ORG])
        .map(|o| {
            // The Account definition's other fields too (specification/account/7.1/accounts.json):
            // the portal reads only the ones it needs.
            json!({
                "accountId": org_id(o), "accountUri": format!("https://vssps.dev.azure.com/{o}/"),
                "accountName": o, "properties": {}, "accountStatus": "enabled", "accountType": "organization",
                "organizationName": null, "accountOwner": "00000000-0000-0000-0000-000000000000",
                "createdDate": "2024-03-01T09:00:00.0000000Z", "lastUpdatedDate": "2026-06-01T09:00:00.0000000Z",
            })
        })
        .collect();
    Json(json!({ "count": value.len(), "value": value })).into_response()
}
