//! The Microsoft Entra tenant an organization is connected to, read as Git Credential Manager reads it: an anonymous `HEAD https://dev.azure.com/{org}`.

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

use super::{join, segment, DevopsClient};

impl DevopsClient {
    /// The organization's tenant, from an anonymous `HEAD` of its URL
    /// (git-ecosystem/git-credential-manager, `AzureDevOpsRestApi.GetAuthorityAsync`): no bearer,
    /// so that the answer is about the organization and not about the caller. `None` when the
    /// organization does not say (unknown organization, network failure): the message then names
    /// no tenant rather than a wrong one.
    pub async fn org_tenant(&self, org: &str) -> Option<String> {
        let url = join(&self.urls.dev, &format!("/{}", segment(org))).ok()?;
        let (service, started) = (crate::metrics::Upstream::DevopsTenant, std::time::Instant::now());
        match self.http.head(url).send().await {
            Ok(res) => {
                let outcome = crate::metrics::outcome_of_status(res.status().as_u16());
                crate::metrics::upstream(service, outcome, started.elapsed());
                tenant_of(res.headers())
            }
            Err(e) => {
                crate::metrics::upstream(
                    service,
                    crate::metrics::outcome_of_transport(&e),
                    started.elapsed(),
                );
                tracing::info!(error = %crate::oidc::error_chain(&e), "the organization's tenant could not be read");
                None
            }
        }
    }
}

/// The tenant an anonymous answer names, in Git Credential Manager's order: the tenant segment
/// of a `Bearer authorization_uri` challenge first, then `X-VSS-ResourceTenant` (which may list
/// several: the first that is not all zeros). Exactly one all-zeros value means an organization
/// backed by Microsoft accounts, kept as is: the message says what it means.
pub fn tenant_of(headers: &HeaderMap) -> Option<String> {
    let guid = |s: &str| uuid::Uuid::parse_str(s.trim()).ok();
    let from_challenge =
        headers.get_all(WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            let (_, rest) = v.split_once("authorization_uri=")?;
            let uri = rest.trim_start_matches('"').split(['"', ',', ' ']).next()?;
            let url = url::Url::parse(uri).ok()?;
            url.path_segments()?.next().and_then(guid).filter(|g| !g.is_nil())
        });
    if let Some(t) = from_challenge {
        return Some(t.to_string());
    }
    let listed: Vec<uuid::Uuid> = headers
        .get_all("x-vss-resourcetenant")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(guid)
        .collect();
    match listed.iter().find(|g| !g.is_nil()) {
        Some(t) => Some(t.to_string()),
        None if listed.len() == 1 => Some(uuid::Uuid::nil().to_string()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_tenant_comes_from_the_header_or_the_challenge() {
        let t = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let mut h = HeaderMap::new();
        h.insert(
            "x-vss-resourcetenant",
            HeaderValue::from_str(&format!("{t}, 00000000-0000-0000-0000-000000000000")).unwrap(),
        );
        assert_eq!(tenant_of(&h).as_deref(), Some(t));
        let mut h = HeaderMap::new();
        let challenge =
            format!("Bearer authorization_uri=https://login.microsoftonline.com/{t}, Basic realm=\"x\"");
        h.insert(WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).unwrap());
        assert_eq!(tenant_of(&h).as_deref(), Some(t));
        let mut h = HeaderMap::new();
        h.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer authorization_uri=https://login.microsoftonline.com/common"),
        );
        h.insert("x-vss-resourcetenant", HeaderValue::from_static("not-a-guid"));
        assert_eq!(tenant_of(&h), None);
        assert_eq!(tenant_of(&HeaderMap::new()), None);
    }
}
