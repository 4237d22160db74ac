//! The anonymous `HEAD https://dev.azure.com/{org}` that tells which Microsoft Entra tenant an organization is connected to, as Git Credential Manager asks it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{
    DevopsStandIn, CONDITIONAL_ACCESS_ORG, DEMO_ORGS, NOT_MEMBER_ORG, OTHER_TENANT_ID, OTHER_TENANT_ORG,
};

/// The tenant an organization of the stand-in is connected to; `None` for an unknown one.
pub(super) fn tenant_of(org: &str) -> Option<&'static str> {
    match org {
        OTHER_TENANT_ORG => Some(OTHER_TENANT_ID),
        CONDITIONAL_ACCESS_ORG | NOT_MEMBER_ORG => Some(crate::entra::DEMO_TENANT),
        o if super::LITWARE_ORGS.contains(&o) => Some(crate::entra::LITWARE_TENANT),
        o if DEMO_ORGS.contains(&o) || super::quirks::named_extra(o).is_some() => {
            Some(crate::entra::DEMO_TENANT)
        }
        _ => None,
    }
}

/// 401 without a body, naming the tenant twice: in the `Bearer authorization_uri` challenge
/// (what Git Credential Manager's `AzureDevOpsRestApi.GetAuthorityAsync` reads first) and in
/// `X-VSS-ResourceTenant`. An unknown organization is 404 and names nothing.
pub(super) async fn head(State(_): State<Arc<DevopsStandIn>>, Path(org): Path<String>) -> Response {
    let Some(tenant) = tenant_of(&org) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let challenge = format!("Bearer authorization_uri=https://login.microsoftonline.com/{tenant}");
    let mut res = StatusCode::UNAUTHORIZED.into_response();
    let h = res.headers_mut();
    // One challenge per header, as the service sends them.
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        h.append(header::WWW_AUTHENTICATE, v);
    }
    h.append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"https://tfsprodweu5.visualstudio.com/\""),
    );
    h.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("TFS-Federated"));
    h.insert("X-VSS-ResourceTenant", HeaderValue::from_static(tenant));
    res
}
