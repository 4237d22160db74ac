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
    if let Err(r) = enter(&caller, &s, &q) {
        return r;
    }
    // The spec's `Profile` schema (specification/profile/7.1/profile.json) has no displayName,
    // publicAlias or emailAddress; its example and real answers do. Both shapes are served.
    let mut body = json!({
        "coreRevision": 1, "timeStamp": "2026-01-05T09:00:00.0000000+00:00", "id": caller.oid, "revision": 1,
        "coreAttributes": {},
    });
    if !s.quirks.bare_profile.load(std::sync::atomic::Ordering::SeqCst) {
        body["displayName"] = json!(caller.name);
        body["publicAlias"] = json!(caller.oid);
        body["emailAddress"] = json!(caller.username);
    }
    Json(body).into_response()
}

/// What profile and accounts check after the bearer: the scope (`vso.profile` in both specs'
/// security sections), an api-version (released `7.1` or a preview, unless previews are retired).
fn enter(caller: &Caller, s: &DevopsStandIn, q: &HashMap<String, String>) -> Result<(), Response> {
    super::scopes::require(caller, super::scopes::Need::Profile, false)?;
    require_api_version(q, false)?;
    super::quirks::check_preview(s, q)
}

pub(super) async fn accounts(
    State(s): State<Arc<DevopsStandIn>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let caller = match s.authenticate(&headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = enter(&caller, &s, &q) {
        return r;
    }
    match q.get("memberId") {
        Some(m) if *m == caller.oid => {}
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
    let extra = s.extra_org_names();
    // The organizations of the caller's tenant (Litware's user belongs to Litware's only).
    let orgs: Vec<&str> = if caller.tenant == crate::entra::LITWARE_TENANT {
        super::LITWARE_ORGS.to_vec()
    } else {
        DEMO_ORGS
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .chain([CONDITIONAL_ACCESS_ORG])
            .collect()
    };
    let value: Vec<_> = orgs
        .into_iter()
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
