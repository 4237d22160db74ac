//! The Entra ID v2.0 stand-in: discovery, authorize with a sign-in page, token (PKCE, client secret, refresh rotation), JWKS, logout.

mod authorize;
mod client_auth;
mod consent;
mod discovery;
mod errors;
mod logout;
mod token;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::routing::{get, post};
use axum::Router;

pub use self::client_auth::{RegisteredCertificate, RegisteredClient};
use super::keys::SigningKey;
use super::misbehave::Misbehaviour;
use super::DemoUser;

/// Contoso, the demo tenant (`contoso.demo`).
pub const DEMO_TENANT: &str = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";
/// Litware (`litware.demo`), the second demo tenant.
pub const LITWARE_TENANT: &str = "3d9a6b2c-4e1f-4a7b-8c5d-6e7f8a9b0c1d";
const CODE_TTL_SECS: u64 = 600;

/// An authorization code not yet redeemed (or redeemed once, and so spent).
#[derive(Clone)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scope: String,
    user: usize,
    issued_at: u64,
    redeemed: bool,
}

pub struct EntraStandIn {
    /// `{public url}/demo/entra`.
    pub base: String,
    pub client: RegisteredClient,
    pub users: Vec<DemoUser>,
    keys: RwLock<Vec<Arc<SigningKey>>>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    /// Ids of refresh tokens already redeemed: each is good once (rotation). Kept in memory only:
    /// after a restart a rotated-out token of the demo stack is accepted once more (Entra itself
    /// would refuse it; the demo trades that for sign-ins that survive rebuilds).
    spent_refresh: Mutex<std::collections::HashSet<String>>,
    /// Refresh tokens of an older generation are refused (`revoke_all_grants`).
    grant_generation: AtomicU64,
    pub access_token_ttl: u64,
    /// Refresh-token redemptions that succeeded (tests count them).
    pub refreshes: AtomicUsize,
    misbehaviour: Mutex<Option<Misbehaviour>>,
    /// Sign-in sessions (`sid`) issued, with the user's key: tests play front-channel logout with them.
    pub issued_sids: Mutex<Vec<(String, String)>>,
    /// How clients authenticated at the token endpoint, in order (`client_secret_post`/`_basic`).
    pub client_auth_methods: Mutex<Vec<&'static str>>,
    /// Client-assertion ids already seen: an assertion is single use.
    used_jtis: Mutex<std::collections::HashSet<String>>,
    /// A key that signs but is never published (for the unknown-kid case).
    stray_key: Mutex<Option<Arc<SigningKey>>>,
    /// The Azure DevOps permissions each user (by key) consented to themselves.
    consents: Mutex<HashMap<String, std::collections::BTreeSet<String>>>,
    /// Azure DevOps permissions left out of every access token (`withhold_scope`).
    withheld: Mutex<std::collections::BTreeSet<String>>,
}

impl EntraStandIn {
    pub fn new(base: String, client: RegisteredClient, users: Vec<DemoUser>, key: SigningKey) -> Self {
        EntraStandIn {
            base,
            client,
            users,
            keys: RwLock::new(vec![Arc::new(key)]),
            codes: Mutex::new(HashMap::new()),
            spent_refresh: Mutex::new(std::collections::HashSet::new()),
            grant_generation: AtomicU64::new(0),
            access_token_ttl: 3600,
            refreshes: AtomicUsize::new(0),
            misbehaviour: Mutex::new(None),
            issued_sids: Mutex::new(Vec::new()),
            client_auth_methods: Mutex::new(Vec::new()),
            used_jtis: Mutex::new(std::collections::HashSet::new()),
            stray_key: Mutex::new(None),
            consents: Mutex::new(HashMap::new()),
            withheld: Mutex::new(std::collections::BTreeSet::new()),
        }
    }

    /// Test-only: makes the stand-in misbehave in one way (or behave again with `None`).
    pub fn misbehave(&self, m: Option<Misbehaviour>) -> Result<(), String> {
        match m {
            Some(Misbehaviour::UnknownKid) => {
                *self.stray_key.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Arc::new(SigningKey::generate()?));
            }
            Some(Misbehaviour::NoKidSeveralKeys) => {
                let extra = Arc::new(SigningKey::generate()?);
                self.keys.write().unwrap_or_else(|e| e.into_inner()).push(extra);
            }
            _ => {}
        }
        *self.misbehaviour.lock().unwrap_or_else(|e| e.into_inner()) = m;
        Ok(())
    }

    fn misbehaviour(&self) -> Option<Misbehaviour> {
        *self.misbehaviour.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Test-only: rotates the signing key. The new key signs from now on; the old one stays
    /// published, as Entra does during a rollover.
    pub fn rotate_key(&self) -> Result<String, String> {
        let key = Arc::new(SigningKey::generate()?);
        let kid = key.kid.clone();
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(0, key);
        Ok(kid)
    }

    /// Revokes every refresh token, as an admin or a password change would.
    pub fn revoke_all_grants(&self) {
        self.grant_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The authority the app is configured with in demo mode: `organizations`, so that the
    /// users of both demo tenants can sign in (each into their own tenant).
    pub fn authority(&self) -> String {
        format!("{}/organizations", self.base)
    }

    pub fn issuer_for(&self, tid: &str) -> String {
        format!("{}/{}/v2.0", self.base, tid)
    }

    pub fn current_key(&self) -> Arc<SigningKey> {
        self.keys.read().unwrap_or_else(|p| p.into_inner())[0].clone()
    }

    /// The key with this `kid`, for the DevOps stand-in's bearer check.
    pub fn key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).iter().find(|k| k.kid == kid).cloned()
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{tenant}/v2.0/.well-known/openid-configuration", get(discovery::discovery))
            .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize).post(authorize::authorize))
            .route("/{tenant}/oauth2/v2.0/token", post(token::token))
            .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
            .route("/{tenant}/oauth2/v2.0/logout", get(logout::logout))
            .with_state(self)
    }

    fn known_tenant(tenant: &str) -> bool {
        Self::tenant_id(tenant).is_some() || matches!(tenant, "common" | "organizations")
    }

    /// The id of a demo tenant named by id or domain in an authority's path.
    fn tenant_id(tenant: &str) -> Option<&'static str> {
        match tenant {
            DEMO_TENANT | "contoso.demo" => Some(DEMO_TENANT),
            LITWARE_TENANT | "litware.demo" => Some(LITWARE_TENANT),
            _ => None,
        }
    }

    /// Whether a user may sign in through the authority of `tenant`: one of its own users, or
    /// anyone through `common` and `organizations`.
    fn signs_in_at(user: &DemoUser, tenant: &str) -> bool {
        Self::tenant_id(tenant).is_none_or(|t| t == user.tenant)
    }
}
