//! The OpenID Connect relying party for the Microsoft identity platform: discovery, sign-in request, code exchange, refresh, ID-token validation.

pub mod credential;
mod discovery;
mod errors;
pub mod id_token;

pub use self::discovery::{check_discovered_issuer, Discovery};
pub use self::errors::{aadsts_code, error_chain};
use self::errors::{classify_token_error, refresh_outcome, token_call_outcome};

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use url::Url;

use self::credential::{ClientCredential, ASSERTION_TYPE};
use self::id_token::{Expectations, IdClaims, IdTokenError};
use crate::secret::Secret;

/// The token response's OpenID Connect extra: the ID token.
#[derive(Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default)]
    pub id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}
impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField([redacted])")
    }
}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OAuthClient = Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Tokens as kept on the server for one session. `Debug` shows none of them.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix seconds.
    pub expires_at: u64,
    /// The scopes granted, as the token response said (`None` when it did not).
    #[serde(default)]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a sign-in must remember between the redirect out and the callback. Kept in the
/// server-side session, never in the browser.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: Secret,
    pub nonce: Secret,
    pub pkce_verifier: Secret,
    /// The redirect URI sent to the authorize endpoint: the code exchange must repeat it exactly.
    pub redirect_uri: String,
    pub return_to: String,
    pub started_at: u64,
    /// Set for an incremental consent: the `oid` of the signed-in user it is for.
    #[serde(default)]
    pub consent_for: Option<String>,
}

/// Why a call to the identity provider failed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider answered with an OAuth error (`error` drives logic; `aadsts` is for people).
    #[error("identity provider refused: {error} ({})", aadsts.as_deref().unwrap_or("no AADSTS code"))]
    Provider { error: String, aadsts: Option<String> },
    #[error("identity provider unreachable: {0}")]
    Unavailable(String),
    #[error("identity provider answered something unexpected: {0}")]
    InvalidResponse(String),
    #[error("ID token refused: {0}")]
    IdToken(#[from] IdTokenError),
    /// The provider's configuration does not fit `AUTHORITY` (for example a foreign issuer).
    #[error("identity provider misconfigured: {0}")]
    Misconfigured(String),
}

impl OidcError {
    /// True when only an interactive sign-in can fix it (refresh token expired or revoked, consent, MFA).
    pub fn needs_interaction(&self) -> bool {
        matches!(self, OidcError::Provider { error, .. }
            if matches!(error.as_str(), "invalid_grant" | "interaction_required" | "consent_required" | "login_required"))
    }
}

/// The result of a code exchange: validated identity and tokens.
pub struct SignedIn {
    pub claims: IdClaims,
    pub tokens: TokenSet,
}

/// The app as registered with the identity provider, and what it asks for.
pub struct Registration {
    /// `https://login.microsoftonline.com/{tenant}` (or the demo provider's).
    pub authority: Url,
    pub client_id: String,
    pub credential: ClientCredential,
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
    /// Asked for on the first change (incremental consent); empty when sign-in asks for everything.
    pub manage_scopes: Vec<String>,
    /// Tenant ids allowed to sign in; empty allows any.
    pub allowed_tenants: Vec<String>,
    /// `client_secret_basic` instead of `client_secret_post`.
    pub basic_auth: bool,
}

pub struct OidcClient {
    http: reqwest::Client,
    reg: Registration,
    discovery: RwLock<Option<(Arc<Discovery>, Instant)>>,
    jwks: RwLock<Option<(Arc<JwkSet>, Instant)>>,
    /// When an unknown `kid` last forced a refetch of the key set.
    last_forced_jwks: std::sync::Mutex<Option<Instant>>,
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The HTTP client for calls to the identity provider and Azure DevOps: bounded in time and
/// never following redirects (a redirect from a token endpoint is an error, not a detour).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("devops-pat-portal/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

impl OidcClient {
    pub fn new(http: reqwest::Client, reg: Registration) -> Self {
        OidcClient {
            http,
            reg,
            discovery: RwLock::new(None),
            jwks: RwLock::new(None),
            last_forced_jwks: std::sync::Mutex::new(None),
        }
    }

    pub fn redirect_uri(&self) -> &Url {
        &self.reg.redirect_uri
    }

    pub fn client_id(&self) -> &str {
        &self.reg.client_id
    }

    /// What changing tokens needs beyond the sign-in's scopes (empty: nothing more).
    pub fn manage_scopes(&self) -> &[String] {
        &self.reg.manage_scopes
    }

    /// The extra body parameters of a token request: a fresh client assertion with a certificate.
    fn assertion_params(&self, token_endpoint: &str) -> Result<Vec<(&'static str, String)>, OidcError> {
        match &self.reg.credential {
            ClientCredential::Secret(_) => Ok(Vec::new()),
            ClientCredential::Certificate(cert) => {
                let assertion =
                    cert.assertion(&self.reg.client_id, token_endpoint).map_err(OidcError::Misconfigured)?;
                Ok(vec![
                    ("client_assertion_type", ASSERTION_TYPE.to_string()),
                    ("client_assertion", assertion),
                ])
            }
        }
    }

    async fn oauth_client(&self) -> Result<OAuthClient, OidcError> {
        let d = self.discovery().await?;
        let auth = AuthUrl::new(d.authorization_endpoint.clone())
            .map_err(|_| OidcError::InvalidResponse("authorization_endpoint is not a URL".into()))?;
        let token = TokenUrl::new(d.token_endpoint.clone())
            .map_err(|_| OidcError::InvalidResponse("token_endpoint is not a URL".into()))?;
        let client = Client::new(ClientId::new(self.reg.client_id.clone()))
            .set_auth_uri(auth)
            .set_token_uri(token)
            .set_redirect_uri(RedirectUrl::from_url(self.reg.redirect_uri.clone()))
            // client_secret_post by default, as Entra documents first.
            .set_auth_type(if self.reg.basic_auth { AuthType::BasicAuth } else { AuthType::RequestBody });
        Ok(match &self.reg.credential {
            ClientCredential::Secret(s) => {
                client.set_client_secret(ClientSecret::new(s.expose().to_string()))
            }
            // With a certificate there is no secret: the assertion goes in the body (client_id too).
            ClientCredential::Certificate(_) => client,
        })
    }

    /// The authorization URL to send the browser to, and what the callback must check.
    /// `redirect_uri` is the configured one unless forwarded headers give this request another.
    /// `consent` (the user's `oid` and login hint) makes it an incremental consent for the
    /// manage scopes.
    pub async fn begin(
        &self,
        return_to: String,
        redirect_uri: Option<Url>,
        consent: Option<(&str, &str)>,
    ) -> Result<(Url, PendingSignIn), OidcError> {
        let client = self.oauth_client().await?;
        let redirect_uri =
            RedirectUrl::from_url(redirect_uri.unwrap_or_else(|| self.reg.redirect_uri.clone()));
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let mut req = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .set_redirect_uri(std::borrow::Cow::Borrowed(&redirect_uri))
            .add_extra_param("nonce", nonce.secret().clone());
        let manage = consent.map(|_| self.reg.manage_scopes.iter()).into_iter().flatten();
        for s in self.reg.scopes.iter().chain(manage) {
            req = req.add_scope(Scope::new(s.clone()));
        }
        if let Some((_, hint)) = consent.filter(|(_, h)| !h.is_empty()) {
            req = req.add_extra_param("login_hint", hint.to_string());
        }
        let (url, state) = req.url();
        let pending = PendingSignIn {
            state: Secret::new(state.secret().clone()),
            nonce: Secret::new(nonce.secret().clone()),
            pkce_verifier: Secret::new(verifier.secret().clone()),
            redirect_uri: redirect_uri.as_str().to_string(),
            return_to,
            started_at: now_secs(),
            consent_for: consent.map(|(oid, _)| oid.to_string()),
        };
        Ok((url, pending))
    }

    /// Exchanges the authorization code (with the secret and the PKCE verifier) and validates the ID token.
    pub async fn exchange(&self, code: String, pending: &PendingSignIn) -> Result<SignedIn, OidcError> {
        let client = self.oauth_client().await?;
        let redirect_uri = RedirectUrl::new(pending.redirect_uri.clone())
            .map_err(|_| OidcError::InvalidResponse("stored redirect URI is not a URL".into()))?;
        let mut req = client
            .exchange_code(AuthorizationCode::new(code))
            .set_redirect_uri(std::borrow::Cow::Borrowed(&redirect_uri))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.expose().to_string()));
        for (k, v) in self.assertion_params(client.token_uri().as_str())? {
            req = req.add_extra_param(k, v);
        }
        let res = self.token_call(req.request_async(&self.http)).await?;
        let id_token = res
            .extra_fields()
            .id_token
            .clone()
            .ok_or_else(|| OidcError::InvalidResponse("the token response has no id_token".into()))?;
        let claims = self.validate_id_token(&id_token, pending.nonce.expose()).await?;
        Ok(SignedIn { claims, tokens: token_set(&res, None) })
    }

    /// Redeems a refresh token. The provider rotates it: the returned set carries the new one.
    /// The request asks for `offline_access` too, so that Entra keeps returning refresh tokens
    /// (as MSAL does); a provider that did not grant it (OpenID Connect lets one ignore it
    /// without `prompt=consent`) answers `invalid_scope` before spending the token, and the
    /// request is made once more without it.
    /// `manage`: the session was granted the manage scopes, which are asked for again.
    pub async fn refresh(&self, refresh_token: &Secret, manage: bool) -> Result<TokenSet, OidcError> {
        let result = match self.refresh_with(refresh_token, true, manage).await {
            Err(OidcError::Provider { error, .. }) if error == "invalid_scope" => {
                tracing::info!("the identity provider refused offline_access on refresh: asking without it");
                self.refresh_with(refresh_token, false, manage).await
            }
            other => other,
        };
        crate::metrics::refresh(refresh_outcome(&result));
        result
    }

    async fn refresh_with(
        &self,
        refresh_token: &Secret,
        offline_access: bool,
        manage: bool,
    ) -> Result<TokenSet, OidcError> {
        let client = self.oauth_client().await?;
        let refresh_token_value = RefreshToken::new(refresh_token.expose().to_string());
        let mut req = client.exchange_refresh_token(&refresh_token_value);
        // The resource's scopes, not the ID token's.
        let granted = self.reg.manage_scopes.iter().filter(|_| manage);
        for s in self.reg.scopes.iter().chain(granted).filter(|s| match s.as_str() {
            "openid" | "profile" | "email" => false,
            "offline_access" => offline_access,
            _ => true,
        }) {
            req = req.add_scope(Scope::new(s.clone()));
        }
        for (k, v) in self.assertion_params(client.token_uri().as_str())? {
            req = req.add_extra_param(k, v);
        }
        let res = self.token_call(req.request_async(&self.http)).await?;
        Ok(token_set(&res, Some(refresh_token)))
    }

    /// One call to the token endpoint, timed and counted.
    async fn token_call<T>(
        &self,
        call: impl std::future::Future<
            Output = Result<
                T,
                oauth2::RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
            >,
        >,
    ) -> Result<T, OidcError> {
        let started = std::time::Instant::now();
        let res = call.await;
        crate::metrics::upstream(
            crate::metrics::Upstream::EntraToken,
            token_call_outcome(&res),
            started.elapsed(),
        );
        res.map_err(classify_token_error)
    }

    async fn validate_id_token(&self, token: &str, nonce: &str) -> Result<IdClaims, OidcError> {
        let discovery = self.discovery().await?;
        let expect = Expectations {
            issuer: &discovery.issuer,
            client_id: &self.reg.client_id,
            nonce,
            allowed_tenants: &self.reg.allowed_tenants,
            now: now_secs(),
        };
        let keys = self.jwks(&discovery, false).await?;
        let keys = match id_token::select_key(token, &keys) {
            // Keys rotate: an unknown kid refetches the set once, then fails.
            Err(IdTokenError::UnknownKey) => self.jwks(&discovery, true).await?,
            Err(e) => return Err(e.into()),
            Ok(_) => keys,
        };
        let key = id_token::select_key(token, &keys)?;
        Ok(id_token::validate(token, key, &expect)?)
    }
}

fn token_set(res: &OidcTokenResponse, previous_refresh: Option<&Secret>) -> TokenSet {
    let lifetime = res.expires_in().unwrap_or(Duration::from_secs(3600)).as_secs();
    TokenSet {
        access_token: Secret::new(res.access_token().secret().clone()),
        // Keep the new refresh token; fall back to the old one only when none came back.
        refresh_token: res
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()))
            .or_else(|| previous_refresh.cloned()),
        expires_at: now_secs() + lifetime,
        scope: res.scopes().map(|v| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
    }
}

#[cfg(test)]
mod tests;
