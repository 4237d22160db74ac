//! Who signs users in and where Azure DevOps is: the embedded demo stack, or Entra ID and the real Azure DevOps hosts, through the same OIDC and DevOps clients.

use std::sync::Arc;

use app::routes::CALLBACK;
use url::Url;

use crate::config::{Config, EntraSettings, Identity};
use crate::demo::DemoStack;
use crate::devops::DevopsUrls;
use crate::oidc::credential::{ClientCertificate, ClientCredential};
use crate::oidc::{OidcClient, Registration};
use crate::startup::StartupError;

/// The identity provider client, the DevOps hosts, the default organization and, in demo mode,
/// the stand-ins.
pub struct Upstreams {
    pub oidc: OidcClient,
    pub devops_urls: DevopsUrls,
    pub organization: String,
    pub demo: Option<Arc<DemoStack>>,
}

/// The registration, asking at every sign-in for the ID token, a refresh token and Azure DevOps
/// (reading only, unless `DEVOPS_SCOPES=classic`), and at the first change for changing tokens.
fn registration(
    config: &Config,
    authority: Url,
    client_id: String,
    credential: ClientCredential,
    redirect_uri: Url,
) -> Registration {
    Registration {
        authority,
        client_id,
        credential,
        redirect_uri,
        scopes: ["openid", "profile", "offline_access"]
            .into_iter()
            .map(String::from)
            .chain(config.devops_scopes.sign_in())
            .collect(),
        manage_scopes: config.devops_scopes.manage(),
        allowed_tenants: config.allowed_tenants.clone(),
        basic_auth: config.client_auth_basic,
    }
}

fn joined(base: &Url, path: &str) -> Result<Url, StartupError> {
    Url::parse(&format!("{}{path}", base.as_str().trim_end_matches('/')))
        .map_err(|e| StartupError::PublicUrl(e.to_string()))
}

pub fn upstreams(
    config: &Config,
    http: &reqwest::Client,
    public_url: &Url,
) -> Result<Upstreams, StartupError> {
    let certificate = match &config.client_certificate {
        Some(path) => Some(ClientCertificate::load(path).map_err(StartupError::Certificate)?),
        None => None,
    };
    let redirect_uri = joined(public_url, CALLBACK)?;
    match &config.identity {
        Identity::Demo => demo(config, http, public_url, redirect_uri, certificate),
        Identity::Entra(e) => entra(config, e, http, redirect_uri, certificate),
    }
}

fn demo(
    config: &Config,
    http: &reqwest::Client,
    public_url: &Url,
    redirect_uri: Url,
    certificate: Option<ClientCertificate>,
) -> Result<Upstreams, StartupError> {
    let stack = DemoStack::new(
        public_url.as_str(),
        config.demo.access_token_ttl_secs,
        certificate.as_ref().map(|c| c.der.as_slice()),
        config.demo.state_file.as_deref(),
        config.demo.clock,
    )
    .map_err(StartupError::Demo)?;
    for scope in &config.demo.withheld_scopes {
        stack.entra.withhold_scope(scope, true);
    }
    config.demo.busy.apply(&stack.devops);
    let authority = match &config.demo.authority_tenant {
        Some(t) => format!("{}/{t}", stack.entra.base),
        None => stack.entra.authority(),
    };
    let authority = Url::parse(&authority).map_err(|e| StartupError::Demo(e.to_string()))?;
    let credential = match certificate {
        Some(c) => ClientCredential::Certificate(c),
        None => {
            ClientCredential::Secret(crate::secret::Secret::new(stack.entra.client.client_secret.clone()))
        }
    };
    let oidc = OidcClient::new(
        http.clone(),
        registration(config, authority, stack.entra.client.client_id.clone(), credential, redirect_uri),
    );
    let base = joined(public_url, "/demo/devops")?;
    let devops_urls = DevopsUrls {
        vssps: joined(&base, "/vssps")?,
        app_vssps: joined(&base, "/app")?,
        dev: joined(&base, "/dev")?,
    };
    // Unless one is set (`DEMO_MODE=true` and `DEVOPS_ORGANIZATION`), each user starts in the
    // first organization of their tenant: Contoso's and Litware's users have different ones.
    let organization = config.devops.organization.clone().unwrap_or_default();
    Ok(Upstreams { oidc, devops_urls, organization, demo: Some(Arc::new(stack)) })
}

fn entra(
    config: &Config,
    e: &EntraSettings,
    http: &reqwest::Client,
    redirect_uri: Url,
    certificate: Option<ClientCertificate>,
) -> Result<Upstreams, StartupError> {
    let credential = match (certificate, &e.client_secret) {
        (Some(c), _) => ClientCredential::Certificate(c),
        (None, Some(s)) => ClientCredential::Secret(s.clone()),
        (None, None) => return Err(StartupError::NoClientCredential),
    };
    let oidc = OidcClient::new(
        http.clone(),
        registration(config, e.authority.clone(), e.client_id.clone(), credential, redirect_uri),
    );
    let d = DevopsUrls::default();
    let devops_urls = DevopsUrls {
        vssps: config.devops.vssps_url.clone().unwrap_or(d.vssps),
        app_vssps: config.devops.app_vssps_url.clone().unwrap_or(d.app_vssps),
        dev: config.devops.dev_url.clone().unwrap_or(d.dev),
    };
    let organization = config.devops.organization.clone().unwrap_or_default();
    Ok(Upstreams { oidc, devops_urls, organization, demo: None })
}
