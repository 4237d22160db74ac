//! Settings that are URLs or organization names: base URLs, the Entra authority, the sample's `ENDPOINT`.

use url::Url;

use super::{err, ConfigError};

pub(super) fn parse_base_url(var: &'static str, v: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(v).map_err(|_| err(var, format!("`{v}` is not an absolute URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err(var, format!("`{v}` must be an http or https URL")));
    }
    // Stored without a trailing slash so paths can be appended.
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    Url::parse(&trimmed).map_err(|_| err(var, format!("`{v}` is not an absolute URL")))
}

/// `https://login.microsoftonline.com/{tenant}`: one path segment, the tenant.
pub fn parse_authority(v: &str) -> Result<Url, ConfigError> {
    let url = parse_base_url("AUTHORITY", v)?;
    let segments: Vec<&str> =
        url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    if segments.is_empty() {
        return Err(err(
            "AUTHORITY",
            format!("`{v}` has no tenant: use https://login.microsoftonline.com/{{tenant id or domain}}"),
        ));
    }
    if segments.last() == Some(&"consumers") {
        return Err(err(
            "AUTHORITY",
            "`consumers` cannot be used: Azure DevOps does not accept personal Microsoft accounts through \
             an Entra app; use your tenant id, `organizations` or `common`",
        ));
    }
    if segments.last() == Some(&"v2.0") {
        return Err(err("AUTHORITY", format!("`{v}` ends in /v2.0: give the authority without it")));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(err("AUTHORITY", format!("`{v}` must use https")));
    }
    Ok(url)
}

pub(super) fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost") | Some("127.0.0.1") | Some("[::1]"))
}

pub(super) fn validate_org(var: &'static str, org: &str) -> Result<String, ConfigError> {
    app::routes::OrgName::parse(org).map(app::routes::OrgName::into_string).ok_or_else(|| {
        err(var, format!("`{org}` is not an organization name (letters, digits and '-', at most 50)"))
    })
}

/// The sample's `ENDPOINT` (`https://vssps.dev.azure.com/{org}/_apis/tokens/pats?...`) names the organization.
pub(super) fn org_from_endpoint(endpoint: &str) -> Result<String, ConfigError> {
    let url = Url::parse(endpoint).map_err(|_| err("ENDPOINT", format!("`{endpoint}` is not a URL")))?;
    let first = url.path_segments().and_then(|mut s| s.next()).unwrap_or("");
    if first.is_empty() || first == "_apis" {
        return Err(err("ENDPOINT", "does not name an organization; set DEVOPS_ORGANIZATION instead"));
    }
    validate_org("ENDPOINT", first)
}
