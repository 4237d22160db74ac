//! Configuration from the environment: the demo stack when nothing is set, real Entra ID and Azure DevOps when all of it is.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::secret::Secret;

mod demo_mode;
mod lookup;
#[cfg(test)]
mod tests;
mod urls;

use self::demo_mode::{check_demo_mode, demo_busy, demo_withheld};
pub use self::demo_mode::{DemoBusy, DemoQuirk, DemoSettings};
use self::lookup::Lookup;
pub use self::urls::parse_authority;
use self::urls::{is_loopback, org_from_endpoint, parse_base_url, validate_org};
use crate::devops_scopes::DevopsScopes::{Classic, Least};

pub use app::model::DEVOPS_RESOURCE;
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
    /// `TRUSTED_PROXIES`: how many proxies stand in front of the app (default 1), each setting or
    /// appending `X-Forwarded-*`; the entry the outermost one wrote is the client's.
    pub proxies: usize,
    /// `DEVOPS_SCOPES`: `least` (default: read at sign-in, `vso.pats_manage` on the first
    /// change) or `classic` (`user_impersonation` at sign-in).
    pub devops_scopes: crate::devops_scopes::DevopsScopes,
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
    /// many per client address); `RATE_LIMIT_TOKEN_CHANGES`: per user per minute.
    pub rate_limits: crate::http::rate_limit::LimitSettings,
    /// `HTTP_TIMEOUT_SECS`: the timeout of each call to the identity provider and Azure DevOps.
    pub http_timeout: Duration,
    /// `DRAIN_SECS`: after SIGTERM, how long requests in flight and bulk changes running may
    /// take to finish before the server exits anyway (saying what it cut short).
    pub drain: Duration,
    /// `REQUEST_DEADLINE_SECS`: how long a read may take in all (then "not answering"); a bulk
    /// change starts no token after four times this. Writes are never cut once sent.
    pub request_deadline: Duration,
    /// Set when `cargo leptos watch` runs the server (`LEPTOS_WATCH`): the live-reload socket's
    /// port, which the development page's Content-Security-Policy must allow.
    pub live_reload_port: Option<u16>,
    /// The demo stack's own settings (used only in demo mode).
    pub demo: DemoSettings,
    /// `METRICS_ADDR`: where the Prometheus metrics are served (`/metrics`); off unless set.
    pub metrics_addr: Option<SocketAddr>,
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
    /// Required with Entra; optional in demo mode (`DEMO_MODE=true`), where each user otherwise
    /// starts in the first organization of their tenant.
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
        let get = Lookup(&move |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()));
        refuse_placeholders(&get)?;
        let bind_raw =
            get.var("BIND_ADDR").or_else(|| get.var("LEPTOS_SITE_ADDR")).unwrap_or(DEFAULT_BIND.into());
        let bind: SocketAddr = bind_raw
            .parse()
            .map_err(|_| err("BIND_ADDR", format!("`{bind_raw}` is not an address like 127.0.0.1:3000")))?;
        let public_url = get.var("PUBLIC_URL").map(|v| parse_base_url("PUBLIC_URL", &v)).transpose()?;
        let client_certificate = get.var("CLIENT_CERTIFICATE_PATH").map(std::path::PathBuf::from);
        let identity = identity(&get, client_certificate.is_some())?;
        let devops = devops_settings(&get, &identity)?;
        let session_store = crate::sessions::StoreKind::parse(get.var("SESSION_STORE").as_deref())
            .map_err(|problem| ConfigError { variable: "SESSION_STORE", problem })?;
        check_demo_mode(&get, &identity, bind, public_url.as_ref(), &session_store)?;
        if matches!(session_store, crate::sessions::StoreKind::Redis(_))
            && get.var("SESSION_KEY").is_none()
            && get.var("SESSION_KEY_FILE").is_none()
        {
            return Err(err(
                "SESSION_KEY",
                "is required with a Redis SESSION_STORE: every instance must seal sessions with the same key \
                 (make one with: openssl rand -base64 32), or set SESSION_KEY_FILE",
            ));
        }
        let demo = DemoSettings {
            state_file: demo_state_file(&session_store),
            clock: demo_clock(&get, &identity)?,
            withheld_scopes: demo_withheld(&get, &identity)?,
            busy: demo_busy(&get, &identity)?,
            ..DemoSettings::default()
        };
        Ok(Config {
            bind,
            public_url,
            identity,
            devops,
            session_idle: get.positive("SESSION_IDLE_MINUTES", 60, 8 * 60, "minutes")?,
            log_json: get.choice(
                "LOG_FORMAT",
                &[("text", false), ("pretty", false), ("json", true)],
                false,
            )?,
            allowed_tenants: allowed_tenants(&get)?,
            trust_forwarded_headers: get.flag("TRUST_FORWARDED_HEADERS")?,
            proxies: get.number("TRUSTED_PROXIES", 1, "of proxies")? as usize,
            client_auth_basic: get.choice("CLIENT_AUTH", &[("post", false), ("basic", true)], false)?,
            devops_scopes: get.choice("DEVOPS_SCOPES", &[("least", Least), ("classic", Classic)], Least)?,
            client_certificate,
            session_key: session_key(&get, &session_store),
            session_store,
            session_max_age: get.positive("SESSION_MAX_HOURS", 3600, 7 * 24, "hours")?,
            rate_limits: crate::http::rate_limit::LimitSettings {
                sign_ins_per_minute: get.per_minute("RATE_LIMIT_SIGN_INS", 10)?,
                creates_per_minute: get.per_minute("RATE_LIMIT_TOKEN_CREATES", 10)?,
                changes_per_minute: get.per_minute("RATE_LIMIT_TOKEN_CHANGES", 120)?,
            },
            http_timeout: get.positive("HTTP_TIMEOUT_SECS", 1, 15, "seconds")?,
            request_deadline: get.positive("REQUEST_DEADLINE_SECS", 1, 30, "seconds")?,
            drain: get.positive("DRAIN_SECS", 1, 20, "seconds")?,
            live_reload_port: live_reload_port(&get),
            demo,
            metrics_addr: get.address("METRICS_ADDR")?,
        })
    }

    /// How many proxies' forwarded headers count: none unless `TRUST_FORWARDED_HEADERS` is on.
    pub fn trusted_proxies(&self) -> usize {
        if self.trust_forwarded_headers {
            self.proxies
        } else {
            0
        }
    }

    /// What an operator should hear about at start, though the server runs.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Identity::Entra(e) = &self.identity {
            let tenant = e.authority.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
            if matches!(tenant, "common" | "organizations") && self.allowed_tenants.is_empty() {
                out.push(format!(
                    "AUTHORITY ends in `{tenant}` and ALLOWED_TENANTS is empty: a user of any Entra tenant can \
                     sign in; set ALLOWED_TENANTS to the tenant ids you serve"
                ));
            }
        }
        out
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.identity, Identity::Demo)
    }

    /// What "now" is for the portal's date rules: the demo stack's clock, or the real time.
    pub fn clock(&self) -> app::clock::Clock {
        if self.is_demo() {
            self.demo.clock
        } else {
            app::clock::Clock::system()
        }
    }
}

/// `DEMO_CLOCK` (RFC 3339): only the demo stack's time can be set.
fn demo_clock(get: &Lookup<'_>, identity: &Identity) -> Result<app::clock::Clock, ConfigError> {
    let Some(v) = get.var("DEMO_CLOCK") else { return Ok(app::clock::Clock::system()) };
    if !matches!(identity, Identity::Demo) {
        return Err(err(
            "DEMO_CLOCK",
            "sets the demo stack's clock only: remove it when signing in with Entra ID",
        ));
    }
    time::OffsetDateTime::parse(&v, &time::format_description::well_known::Rfc3339)
        .map(app::clock::Clock::starting_at)
        .map_err(|_| err("DEMO_CLOCK", format!("`{v}` is not an instant like 2026-12-01T09:00:00Z")))
}

fn refuse_placeholders(get: &Lookup<'_>) -> Result<(), ConfigError> {
    for var in ["CLIENT_ID", "CLIENT_SECRET", "AUTHORITY", "DEVOPS_ORGANIZATION", "ENDPOINT"] {
        if let Some(v) = get.var(var).filter(|v| v.contains("Enter_the_")) {
            return Err(err(
                var,
                format!(
                    "still holds the original sample's placeholder ({v}); replace it with the value \
                     from your app registration, or unset it to run on the demo stack"
                ),
            ));
        }
    }
    Ok(())
}

/// The demo stack when none of the Entra settings is set; Entra ID when all of them are.
fn identity(get: &Lookup<'_>, has_certificate: bool) -> Result<Identity, ConfigError> {
    let (client_id, secret, authority) =
        (get.var("CLIENT_ID"), get.var("CLIENT_SECRET"), get.var("AUTHORITY"));
    match (&client_id, &secret, &authority) {
        (None, None, None) => Ok(Identity::Demo),
        (Some(id), _, Some(authority)) if secret.is_some() || has_certificate => {
            Ok(Identity::Entra(EntraSettings {
                client_id: id.clone(),
                client_secret: secret.clone().map(Secret::new),
                authority: parse_authority(authority)?,
            }))
        }
        _ => {
            let missing = [("CLIENT_ID", &client_id), ("CLIENT_SECRET", &secret), ("AUTHORITY", &authority)]
                .into_iter()
                .find(|(_, v)| v.is_none())
                .map(|(k, _)| k)
                .unwrap_or("CLIENT_ID");
            Err(err(
                missing,
                "is not set, but other Entra settings are: set CLIENT_ID, AUTHORITY and CLIENT_SECRET (or \
                 CLIENT_CERTIFICATE_PATH) together to use your tenant, or unset them to run on the demo stack",
            ))
        }
    }
}

fn devops_settings(get: &Lookup<'_>, identity: &Identity) -> Result<DevopsSettings, ConfigError> {
    let organization = match (get.var("DEVOPS_ORGANIZATION"), get.var("ENDPOINT")) {
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
    // Bearer tokens go to these hosts: https only, except a stand-in on this machine.
    let url_opt = |var: &'static str| {
        let url = get.var(var).map(|v| parse_base_url(var, &v)).transpose()?;
        match url {
            Some(u) if u.scheme() != "https" && !is_loopback(&u) => {
                Err(err(var, format!("`{u}` must use https (http is accepted on loopback only)")))
            }
            u => Ok(u),
        }
    };
    Ok(DevopsSettings {
        organization,
        vssps_url: url_opt("DEVOPS_VSSPS_URL")?,
        app_vssps_url: url_opt("DEVOPS_APP_VSSPS_URL")?,
        dev_url: url_opt("DEVOPS_URL")?,
    })
}

fn allowed_tenants(get: &Lookup<'_>) -> Result<Vec<String>, ConfigError> {
    let tenants: Vec<String> = get
        .var("ALLOWED_TENANTS")
        .map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect())
        .unwrap_or_default();
    if let Some(bad) = tenants.iter().find(|t| t.len() != 36 || t.chars().filter(|c| *c == '-').count() != 4)
    {
        return Err(err("ALLOWED_TENANTS", format!("`{bad}` is not a tenant id (a GUID)")));
    }
    Ok(tenants)
}

fn session_key(get: &Lookup<'_>, store: &crate::sessions::StoreKind) -> crate::sessions::KeySource {
    use crate::sessions::{KeySource, StoreKind};
    match (get.var("SESSION_KEY"), get.var("SESSION_KEY_FILE")) {
        (Some(v), _) => KeySource::Value(Secret::new(v)),
        (None, Some(path)) => KeySource::File(path.into()),
        (None, None) => KeySource::Generated(match store {
            StoreKind::Sqlite(db) => beside(db, ".key"),
            _ => "devops-pat-portal-session.key".into(),
        }),
    }
}

fn demo_state_file(store: &crate::sessions::StoreKind) -> Option<std::path::PathBuf> {
    match store {
        crate::sessions::StoreKind::Sqlite(db) => Some(beside(db, ".demo")),
        _ => None,
    }
}

/// A file next to `path`: its name with `suffix` appended.
pub fn beside(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut p = path.to_path_buf().into_os_string();
    p.push(suffix);
    p.into()
}

/// `cargo leptos watch` sets `LEPTOS_WATCH` and the reload port (3001 unless configured).
fn live_reload_port(get: &Lookup<'_>) -> Option<u16> {
    get.var("LEPTOS_WATCH")?;
    let port = get.var("LEPTOS_RELOAD_EXTERNAL_PORT").or_else(|| get.var("LEPTOS_RELOAD_PORT"));
    Some(port.and_then(|p| p.parse().ok()).unwrap_or(3001))
}

#[cfg(test)]
pub(crate) fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}
