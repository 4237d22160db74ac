//! Configuration from the environment: the demo stack when nothing is set, real Entra ID and Azure DevOps when all of it is.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// Azure DevOps' application id: the resource every access token here is for.
pub const DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";
/// The delegated scope the app asks for.
pub const DEVOPS_SCOPE: &str = "499b84ac-1321-427f-aa17-267ca6975798/user_impersonation";
/// The callback path, as in the original sample; the redirect URI to register ends with it.
pub const CALLBACK_PATH: &str = "/getAToken";
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the server listens (`BIND_ADDR`, or `LEPTOS_SITE_ADDR` as set by cargo-leptos).
    pub bind: SocketAddr,
    /// The URL users reach the app at (`PUBLIC_URL`); by default `http://{bind}`.
    pub public_url: Option<Url>,
    pub identity: Identity,
    pub devops: DevopsSettings,
    pub session_idle: Duration,
    pub log_json: bool,
    /// Tenant ids allowed to sign in (`ALLOWED_TENANTS`, comma-separated); empty allows any.
    pub allowed_tenants: Vec<String>,
    /// Build the public URL from `X-Forwarded-Proto`/`X-Forwarded-Host` (`TRUST_FORWARDED_HEADERS`).
    /// Only behind a proxy that sets them: otherwise any client could choose the redirect URI.
    pub trust_forwarded_headers: bool,
    /// `CLIENT_AUTH=basic`: the client secret goes in HTTP Basic instead of the body.
    pub client_auth_basic: bool,
    /// `CLIENT_CERTIFICATE_PATH`: a PEM file with the certificate and its private key; the app
    /// then authenticates with a signed client assertion (private_key_jwt) instead of a secret.
    pub client_certificate: Option<std::path::PathBuf>,
    /// `SESSION_STORE`: SQLite file (default), Redis URL, or `memory`.
    pub session_store: crate::sessions::StoreKind,
    /// `SESSION_KEY` / `SESSION_KEY_FILE`, or a generated key kept beside the database.
    pub session_key: crate::sessions::KeySource,
    /// `SESSION_MAX_HOURS`: the absolute lifetime of a sign-in.
    pub session_max_age: Duration,
    /// `RATE_LIMIT_SIGN_INS` and `RATE_LIMIT_TOKEN_CREATES`: per session per minute (six times as
    /// many per client address).
    pub rate_limits: crate::limits::LimitSettings,
}

#[derive(Debug, Clone)]
pub enum Identity {
    /// The embedded stand-ins for Entra ID and Azure DevOps.
    Demo,
    Entra(EntraSettings),
}

#[derive(Debug, Clone)]
pub struct EntraSettings {
    pub client_id: String,
    /// `None` when a certificate (`CLIENT_CERTIFICATE_PATH`) is the credential.
    pub client_secret: Option<Secret>,
    /// `https://login.microsoftonline.com/{tenant}`, without a trailing slash.
    pub authority: Url,
}

#[derive(Debug, Clone)]
pub struct DevopsSettings {
    /// `None` in demo mode (the demo organization is used).
    pub organization: Option<String>,
    /// PAT lifecycle API host (`https://vssps.dev.azure.com`).
    pub vssps_url: Option<Url>,
    /// Profile and accounts host (`https://app.vssps.visualstudio.com`).
    pub app_vssps_url: Option<Url>,
    /// Projects host (`https://dev.azure.com`).
    pub dev_url: Option<Url>,
}

/// Why the configuration was refused: names the variable and says how to fix it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error in {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn err(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

impl Config {
    pub fn from_environment() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Parses the configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        for var in ["CLIENT_ID", "CLIENT_SECRET", "AUTHORITY", "DEVOPS_ORGANIZATION", "ENDPOINT"] {
            if let Some(v) = get(var) {
                if v.contains("Enter_the_") {
                    return Err(err(
                        var,
                        format!(
                            "still holds the original sample's placeholder ({v}); replace it with the value \
                             from your app registration, or unset it to run on the demo stack"
                        ),
                    ));
                }
            }
        }

        let bind_raw = get("BIND_ADDR").or_else(|| get("LEPTOS_SITE_ADDR")).unwrap_or(DEFAULT_BIND.into());
        let bind: SocketAddr = bind_raw
            .parse()
            .map_err(|_| err("BIND_ADDR", format!("`{bind_raw}` is not an address like 127.0.0.1:3000")))?;

        let public_url = match get("PUBLIC_URL") {
            None => None,
            Some(v) => Some(parse_base_url("PUBLIC_URL", &v)?),
        };

        let (client_id, secret, authority) = (get("CLIENT_ID"), get("CLIENT_SECRET"), get("AUTHORITY"));
        let client_certificate = get("CLIENT_CERTIFICATE_PATH").map(std::path::PathBuf::from);
        let identity = match (&client_id, &secret, &authority) {
            (None, None, None) => Identity::Demo,
            (Some(id), _, Some(authority)) if secret.is_some() || client_certificate.is_some() => {
                Identity::Entra(EntraSettings {
                    client_id: id.clone(),
                    client_secret: secret.clone().map(Secret::new),
                    authority: parse_authority(authority)?,
                })
            }
            _ => {
                let missing =
                    [("CLIENT_ID", &client_id), ("CLIENT_SECRET", &secret), ("AUTHORITY", &authority)]
                        .into_iter()
                        .find(|(_, v)| v.is_none())
                        .map(|(k, _)| k)
                        .unwrap_or("CLIENT_ID");
                return Err(err(
                    missing,
                    "is not set, but other Entra settings are: set CLIENT_ID, AUTHORITY and CLIENT_SECRET (or \
                     CLIENT_CERTIFICATE_PATH) together to use your tenant, or unset them to run on the demo stack",
                ));
            }
        };

        let organization = match (get("DEVOPS_ORGANIZATION"), get("ENDPOINT")) {
            (Some(org), _) => Some(validate_org("DEVOPS_ORGANIZATION", &org)?),
            (None, Some(endpoint)) => Some(org_from_endpoint(&endpoint)?),
            (None, None) => None,
        };
        if matches!(identity, Identity::Entra(_)) && organization.is_none() {
            return Err(err(
                "DEVOPS_ORGANIZATION",
                "is not set: name your Azure DevOps organization (the `{org}` in https://dev.azure.com/{org})",
            ));
        }

        let url_opt = |var: &'static str| get(var).map(|v| parse_base_url(var, &v)).transpose();
        let devops = DevopsSettings {
            organization,
            vssps_url: url_opt("DEVOPS_VSSPS_URL")?,
            app_vssps_url: url_opt("DEVOPS_APP_VSSPS_URL")?,
            dev_url: url_opt("DEVOPS_URL")?,
        };

        let session_idle = match get("SESSION_IDLE_MINUTES") {
            None => Duration::from_secs(8 * 3600),
            Some(v) => {
                v.parse::<u64>().ok().filter(|m| *m > 0).map(|m| Duration::from_secs(m * 60)).ok_or_else(
                    || err("SESSION_IDLE_MINUTES", format!("`{v}` is not a positive number of minutes")),
                )?
            }
        };

        let log_json = match get("LOG_FORMAT").as_deref() {
            None | Some("text") | Some("pretty") => false,
            Some("json") => true,
            Some(other) => return Err(err("LOG_FORMAT", format!("`{other}` is not `text` or `json`"))),
        };

        let allowed_tenants: Vec<String> = get("ALLOWED_TENANTS")
            .map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default();
        if let Some(bad) =
            allowed_tenants.iter().find(|t| t.len() != 36 || t.chars().filter(|c| *c == '-').count() != 4)
        {
            return Err(err("ALLOWED_TENANTS", format!("`{bad}` is not a tenant id (a GUID)")));
        }

        let trust_forwarded_headers = match get("TRUST_FORWARDED_HEADERS").as_deref() {
            None | Some("false") | Some("0") | Some("no") => false,
            Some("true") | Some("1") | Some("yes") => true,
            Some(other) => {
                return Err(err("TRUST_FORWARDED_HEADERS", format!("`{other}` is not `true` or `false`")));
            }
        };

        let client_auth_basic = match get("CLIENT_AUTH").as_deref() {
            None | Some("post") => false,
            Some("basic") => true,
            Some(other) => return Err(err("CLIENT_AUTH", format!("`{other}` is not `post` or `basic`"))),
        };

        let session_store = crate::sessions::StoreKind::parse(get("SESSION_STORE").as_deref())
            .map_err(|problem| ConfigError { variable: "SESSION_STORE", problem })?;
        let session_key = match (get("SESSION_KEY"), get("SESSION_KEY_FILE")) {
            (Some(v), _) => crate::sessions::KeySource::Value(Secret::new(v)),
            (None, Some(path)) => crate::sessions::KeySource::File(path.into()),
            (None, None) => crate::sessions::KeySource::Generated(match &session_store {
                crate::sessions::StoreKind::Sqlite(db) => {
                    let mut p = db.clone().into_os_string();
                    p.push(".key");
                    p.into()
                }
                _ => "devops-pat-portal-session.key".into(),
            }),
        };
        let session_max_age = match get("SESSION_MAX_HOURS") {
            None => Duration::from_secs(7 * 24 * 3600),
            Some(v) => {
                v.parse::<u64>().ok().filter(|h| *h > 0).map(|h| Duration::from_secs(h * 3600)).ok_or_else(
                    || err("SESSION_MAX_HOURS", format!("`{v}` is not a positive number of hours")),
                )?
            }
        };

        let per_minute = |var: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| err(var, format!("`{v}` is not a positive number per minute"))),
            }
        };
        let rate_limits = crate::limits::LimitSettings {
            sign_ins_per_minute: per_minute("RATE_LIMIT_SIGN_INS", 10)?,
            creates_per_minute: per_minute("RATE_LIMIT_TOKEN_CREATES", 10)?,
        };
        Ok(Config {
            rate_limits,
            client_certificate,
            session_store,
            session_key,
            session_max_age,
            client_auth_basic,
            bind,
            public_url,
            identity,
            devops,
            session_idle,
            log_json,
            allowed_tenants,
            trust_forwarded_headers,
        })
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.identity, Identity::Demo)
    }
}

fn parse_base_url(var: &'static str, v: &str) -> Result<Url, ConfigError> {
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

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost") | Some("127.0.0.1") | Some("[::1]"))
}

fn validate_org(var: &'static str, org: &str) -> Result<String, ConfigError> {
    let ok = !org.is_empty()
        && org.len() <= 50
        && org.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(org.to_string())
    } else {
        Err(err(var, format!("`{org}` is not an organization name (letters, digits and '-')")))
    }
}

/// The sample's `ENDPOINT` (`https://vssps.dev.azure.com/{org}/_apis/tokens/pats?...`) names the organization.
fn org_from_endpoint(endpoint: &str) -> Result<String, ConfigError> {
    let url = Url::parse(endpoint).map_err(|_| err("ENDPOINT", format!("`{endpoint}` is not a URL")))?;
    let first = url.path_segments().and_then(|mut s| s.next()).unwrap_or("");
    if first.is_empty() || first == "_apis" {
        return Err(err("ENDPOINT", "does not name an organization; set DEVOPS_ORGANIZATION instead"));
    }
    validate_org("ENDPOINT", first)
}

#[cfg(test)]
pub(crate) fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &[(&str, &str)] = &[
        ("CLIENT_ID", "11111111-2222-3333-4444-555555555555"),
        ("CLIENT_SECRET", "s3cr3t"),
        ("AUTHORITY", "https://login.microsoftonline.com/contoso.onmicrosoft.com/"),
        ("DEVOPS_ORGANIZATION", "fabrikam"),
    ];

    #[test]
    fn nothing_set_means_demo_on_the_default_address() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert!(c.is_demo());
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert!(c.public_url.is_none());
    }

    #[test]
    fn all_set_means_entra() {
        let c = Config::from_lookup(lookup(REAL)).unwrap();
        let Identity::Entra(e) = &c.identity else { panic!("expected Entra") };
        assert_eq!(e.authority.as_str(), "https://login.microsoftonline.com/contoso.onmicrosoft.com");
        assert_eq!(c.devops.organization.as_deref(), Some("fabrikam"));
        assert!(!format!("{c:?}").contains("s3cr3t"), "Debug must redact the secret");
    }

    #[test]
    fn partial_entra_settings_name_the_missing_variable() {
        let e = Config::from_lookup(lookup(&[
            ("CLIENT_ID", "x"),
            ("AUTHORITY", "https://login.microsoftonline.com/common"),
        ]))
        .unwrap_err();
        assert_eq!(e.variable, "CLIENT_SECRET");
        assert!(e.problem.contains("demo stack"));
        let c = Config::from_lookup(lookup(&[
            ("CLIENT_ID", "x"),
            ("AUTHORITY", "https://login.microsoftonline.com/common"),
            ("CLIENT_CERTIFICATE_PATH", "/etc/pat-portal/cert.pem"),
            ("DEVOPS_ORGANIZATION", "fabrikam"),
        ]))
        .unwrap();
        let Identity::Entra(e) = &c.identity else { panic!("a certificate replaces the secret") };
        assert!(e.client_secret.is_none());
        assert!(c.client_certificate.is_some());
    }

    #[test]
    fn sample_placeholders_are_refused_by_name() {
        let e = Config::from_lookup(lookup(&[("CLIENT_ID", "Enter_the_Application_Id_here")])).unwrap_err();
        assert_eq!(e.variable, "CLIENT_ID");
        assert!(e.problem.contains("placeholder"));
        let e = Config::from_lookup(lookup(&[(
            "ENDPOINT",
            "https://vssps.dev.azure.com/Enter_the_Collection_Name_Here/_apis/tokens/pats",
        )]))
        .unwrap_err();
        assert_eq!(e.variable, "ENDPOINT");
    }

    #[test]
    fn the_samples_endpoint_names_the_organization() {
        let mut pairs = REAL[..3].to_vec();
        pairs.push((
            "ENDPOINT",
            "https://vssps.dev.azure.com/contoso/_apis/tokens/pats?api-version=6.1-preview",
        ));
        let c = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(c.devops.organization.as_deref(), Some("contoso"));
    }

    #[test]
    fn entra_without_an_organization_is_refused() {
        let e = Config::from_lookup(lookup(&REAL[..3])).unwrap_err();
        assert_eq!(e.variable, "DEVOPS_ORGANIZATION");
    }

    #[test]
    fn authorities_are_checked() {
        assert!(parse_authority("https://login.microsoftonline.com/common").is_ok());
        assert_eq!(
            parse_authority("https://login.microsoftonline.com/consumers").unwrap_err().variable,
            "AUTHORITY"
        );
        assert!(parse_authority("https://login.microsoftonline.com/").is_err());
        assert!(parse_authority("http://login.microsoftonline.com/common").is_err());
        assert!(parse_authority("https://login.microsoftonline.com/common/v2.0").is_err());
        assert!(parse_authority("http://127.0.0.1:4011/tenant").is_ok());
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(Config::from_lookup(lookup(&[("BIND_ADDR", "nope")])).unwrap_err().variable, "BIND_ADDR");
        assert_eq!(
            Config::from_lookup(lookup(&[("PUBLIC_URL", "ftp://x")])).unwrap_err().variable,
            "PUBLIC_URL"
        );
        assert_eq!(Config::from_lookup(lookup(&[("LOG_FORMAT", "xml")])).unwrap_err().variable, "LOG_FORMAT");
        assert_eq!(
            Config::from_lookup(lookup(&[("ALLOWED_TENANTS", "contoso.com")])).unwrap_err().variable,
            "ALLOWED_TENANTS"
        );
        let c = Config::from_lookup(lookup(&[(
            "ALLOWED_TENANTS",
            "7B0C2F4E-5D1A-4C3B-9E8F-0A1B2C3D4E5F, 11111111-2222-3333-4444-555555555555",
        )]))
        .unwrap();
        assert_eq!(c.allowed_tenants[0], "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f");
        assert_eq!(
            Config::from_lookup(lookup(&[("CLIENT_AUTH", "jwt")])).unwrap_err().variable,
            "CLIENT_AUTH"
        );
        assert!(Config::from_lookup(lookup(&[("CLIENT_AUTH", "basic")])).unwrap().client_auth_basic);
        assert_eq!(
            Config::from_lookup(lookup(&[("TRUST_FORWARDED_HEADERS", "maybe")])).unwrap_err().variable,
            "TRUST_FORWARDED_HEADERS"
        );
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert!(!c.trust_forwarded_headers && !c.client_auth_basic, "both off by default");
        let c = Config::from_lookup(lookup(&[
            ("PUBLIC_URL", "https://pats.example.com/"),
            ("BIND_ADDR", "0.0.0.0:8080"),
        ]))
        .unwrap();
        assert_eq!(c.public_url.unwrap().as_str(), "https://pats.example.com/");
        assert_eq!(c.bind.port(), 8080);
    }
}
