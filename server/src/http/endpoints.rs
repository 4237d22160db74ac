//! The plain endpoints beside the app's pages: liveness, readiness, and the front-channel logout URL Entra ID loads in a hidden frame.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use app::error::ApiError;
use app::model::{PatFilter, PatSort};
use app::ports::PatListQuery;

use crate::portal::{ExportFormat, PortalService};

pub async fn healthz() -> &'static str {
    "ok"
}

/// What `/readyz` says on the demo stack: a load balancer's health page shows it.
pub const READY_DEMO: &str =
    "ready (DEMO MODE: embedded stand-ins for Entra ID and Azure DevOps, password-less sign-in)";

/// Ready when the session store and the identity provider's discovery document both answer; in
/// demo mode the answer says so.
pub async fn readyz(State(portal): State<Arc<PortalService>>) -> Response {
    let ready = portal.check_ready().await;
    // The store is checked first: any other failure means it answered.
    crate::metrics::session_store_up(ready != Err(crate::portal::STORE_NOT_READY));
    match ready {
        Ok(()) if portal.is_demo() => ([("x-demo-mode", "true")], READY_DEMO).into_response(),
        Ok(()) => "ready".into_response(),
        Err(what) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {what}")).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct FrontChannelLogout {
    sid: Option<String>,
}

/// The front-channel logout URL to register with Entra ID: it loads this in a hidden frame when
/// the user signs out elsewhere, and the matching session here ends. Always 200, as Entra expects.
pub async fn front_channel_logout(
    State(portal): State<Arc<PortalService>>,
    Query(q): Query<FrontChannelLogout>,
) -> impl IntoResponse {
    if let Some(sid) = q.sid.filter(|s| !s.is_empty() && s.len() <= 200) {
        portal.end_session_by_sid(&sid).await;
    }
    ([(header::CACHE_CONTROL, "no-store")], "Signed out.")
}

#[derive(serde::Deserialize)]
pub struct ReminderQuery {
    org: Option<String>,
    lead: Option<u32>,
}

/// The reminder calendar as a file to download (`text/calendar`), or the wire error with its
/// status when it cannot be made (not signed in, a bad lead time, Azure DevOps refusing).
pub async fn reminders_ics(
    State(portal): State<Arc<PortalService>>,
    Query(q): Query<ReminderQuery>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    match portal.reminders(&parts, q.org, q.lead).await {
        Ok((ics, org)) => {
            let file = format!("attachment; filename=\"pat-reminders-{}.ics\"", file_name_part(&org));
            let disposition = header::HeaderValue::from_str(&file)
                .unwrap_or(header::HeaderValue::from_static("attachment"));
            (
                [
                    (header::CONTENT_TYPE, header::HeaderValue::from_static("text/calendar; charset=utf-8")),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                ics,
            )
                .into_response()
        }
        Err(e) => error_response(&parts, e),
    }
}

/// An organization's name as part of a file name: letters, digits, `.`, `-` and `_` only.
fn file_name_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect()
}

/// The wire error, an internal one with the request id as its reference (as the server
/// functions give it): the id is in every log line of the request.
fn error_response(parts: &axum::http::request::Parts, e: ApiError) -> Response {
    let id = parts.headers.get(app::routes::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok());
    super::api_error_response(&e.referenced(id))
}

#[derive(serde::Deserialize)]
pub struct InventoryQuery {
    filter: Option<String>,
    sort: Option<String>,
    desc: Option<String>,
    q: Option<String>,
}

impl InventoryQuery {
    /// The list query, or the field that is not one of the table's choices.
    fn parse(self) -> Result<PatListQuery, ApiError> {
        let filter = match self.filter.as_deref().filter(|f| !f.is_empty()) {
            None => PatFilter::default(),
            Some(f) => PatFilter::parse(f)
                .ok_or_else(|| ApiError::invalid("filter", "Choose active, expired, revoked or all."))?,
        };
        let sort = match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => PatSort::default(),
            Some(s) => PatSort::parse(s)
                .ok_or_else(|| ApiError::invalid("sort", "Sort by name, valid_to or status."))?,
        };
        Ok(PatListQuery {
            org: None,
            filter,
            sort,
            descending: self.desc.as_deref() == Some("true"),
            search: self.q.filter(|s| !s.trim().is_empty()),
            after: None,
        })
    }
}

/// The inventory across organizations as a file to download, CSV or JSON (never a secret), or
/// the wire error with its status.
async fn export(
    portal: &PortalService,
    q: InventoryQuery,
    req: axum::extract::Request,
    format: ExportFormat,
) -> Response {
    let (parts, _) = req.into_parts();
    let made = match q.parse() {
        Ok(query) => portal.export(&parts, &query, format).await,
        Err(e) => Err(e),
    };
    match made {
        Ok((text, file)) => {
            let disposition = header::HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
                .unwrap_or(header::HeaderValue::from_static("attachment"));
            (
                [
                    (header::CONTENT_TYPE, header::HeaderValue::from_static(format.content_type())),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                text,
            )
                .into_response()
        }
        Err(e) => error_response(&parts, e),
    }
}

pub async fn inventory_csv(
    State(portal): State<Arc<PortalService>>,
    Query(q): Query<InventoryQuery>,
    req: axum::extract::Request,
) -> Response {
    export(&portal, q, req, ExportFormat::Csv).await
}

pub async fn inventory_json(
    State(portal): State<Arc<PortalService>>,
    Query(q): Query<InventoryQuery>,
    req: axum::extract::Request,
) -> Response {
    export(&portal, q, req, ExportFormat::Json).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_organization_name_is_safe_in_a_file_name() {
        assert_eq!(super::file_name_part("fabrikam-demo"), "fabrikam-demo");
        assert_eq!(super::file_name_part("a\"; filename=\"x.exe"), "a___filename__x.exe");
        assert_eq!(super::file_name_part("é\r\n"), "___");
    }
}
