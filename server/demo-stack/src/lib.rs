//! The demo stack: local stand-ins for Entra ID and Azure DevOps, served by the portal's own process under `/demo/` in demo mode and used by the tests.
// Handlers here return early with a finished `Response` as their error: it is the natural shape
// for axum handlers, and these are cold paths of a test stand-in.
#![allow(clippy::result_large_err)]

pub mod devops;
pub mod entra;
pub mod keys;
pub mod misbehave;
pub mod persist;
pub mod reference;

use std::sync::Arc;

use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use self::devops::DevopsStandIn;
use self::entra::{EntraStandIn, RegisteredClient};
use app::routes::CALLBACK as CALLBACK_PATH;

pub const DEMO_CLIENT_ID: &str = "0d3e6f1a-2b4c-4d5e-8f90-a1b2c3d4e5f6";

#[derive(Debug, Clone)]
pub struct DemoUser {
    /// What the sign-in page's button sends.
    pub key: String,
    pub name: String,
    pub username: String,
    pub oid: String,
    /// The Entra tenant the user belongs to: the `tid` of their tokens.
    pub tenant: &'static str,
}

/// The demo users: four of Contoso (the demo tenant; Nestor administers its organizations) and
/// one of Litware, whose tenant has strict PAT policies and a classic set-up's admin consent left
/// over.
pub fn demo_users() -> Vec<DemoUser> {
    let user = |key: &str, name: &str, username: &str, oid: &str, tenant| DemoUser {
        key: key.into(),
        name: name.into(),
        username: username.into(),
        oid: oid.into(),
        tenant,
    };
    use self::entra::{DEMO_TENANT as CONTOSO, LITWARE_TENANT as LITWARE};
    vec![
        user("adele", "Adele Vance", "AdeleV@contoso.demo", "2f6b1c3e-8a4d-4f0e-9b7a-1c2d3e4f5a61", CONTOSO),
        user("megan", "Megan Bowen", "MeganB@contoso.demo", "5a7c9e1f-3b2d-4c6e-8f0a-2b3c4d5e6f72", CONTOSO),
        user("lee", "Lee Gu", "LeeG@contoso.demo", "8c1e3a5f-7d9b-4e2c-a0f1-3c4d5e6f7a83", CONTOSO),
        user("alex", "Alex Wilber", "AlexW@litware.demo", "4d2f6a8c-1e3b-4c5d-9f7a-5e6f7a8b9c14", LITWARE),
        // A Project Collection Administrator of Contoso's organizations (Token Administration).
        user("nestor", "Nestor Wilke", "NestorW@contoso.demo", devops::ADMIN_OID, CONTOSO),
    ]
}

pub struct DemoStack {
    pub entra: Arc<EntraStandIn>,
    pub devops: Arc<DevopsStandIn>,
}

impl DemoStack {
    /// Builds the stand-ins for an app reachable at `public_url`. The client secret and the
    /// signing key are kept in `state_file` (created on first run), or live only in this process
    /// without one. `certificate` (DER) is registered for the demo client when the app
    /// authenticates with one. `clock` is what "now" is for the Azure DevOps stand-in.
    pub fn new(
        public_url: &str,
        access_token_ttl: u64,
        certificate: Option<&[u8]>,
        state_file: Option<&std::path::Path>,
        clock: app::clock::Clock,
    ) -> Result<Self, String> {
        let secrets = match state_file {
            Some(path) => persist::DemoSecrets::load_or_create(path)?,
            None => persist::DemoSecrets::generate()?,
        };
        let public_url = public_url.trim_end_matches('/');
        let client = RegisteredClient {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: secrets.client_secret,
            redirect_uris: vec![format!("{public_url}{CALLBACK_PATH}")],
            post_logout_redirect_uris: vec![format!("{public_url}/")],
            certificate: certificate.map(entra::RegisteredCertificate::from_der).transpose()?,
        };
        let mut entra =
            EntraStandIn::new(format!("{public_url}/demo/entra"), client, demo_users(), secrets.key);
        entra.access_token_ttl = access_token_ttl;
        let entra = Arc::new(entra);
        let devops = Arc::new(DevopsStandIn::new(entra.clone()).with_clock(clock));
        Ok(DemoStack { entra, devops })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .nest("/demo/entra", self.entra.clone().router())
            .nest_service("/demo/devops", self.devops.clone().router())
    }
}

/// A URL-safe random string of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The client-assertion type of RFC 7523 (`private_key_jwt`), as Entra ID expects it.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
