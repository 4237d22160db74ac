//! Discovery and keys: the provider's OpenID configuration (checked against the authority) and its signing keys, each cached, with bounded refetches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use url::Url;

use super::{error_chain, OidcClient, OidcError};

/// The fields of the provider's discovery document the app uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

const DISCOVERY_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long the signing keys are used before they are fetched again.
pub(super) const JWKS_TTL: Duration = Duration::from_secs(24 * 3600);
/// An unknown `kid` refetches the key set, but not more often than this.
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);

impl OidcClient {
    pub async fn discovery(&self) -> Result<Arc<Discovery>, OidcError> {
        if let Some((d, at)) = self.discovery.read().await.as_ref() {
            if at.elapsed() < DISCOVERY_TTL {
                return Ok(d.clone());
            }
        }
        let url = format!(
            "{}/v2.0/.well-known/openid-configuration",
            self.reg.authority.as_str().trim_end_matches('/')
        );
        let doc: Discovery = self.get_json(&url).await?;
        check_discovered_issuer(&self.reg.authority, &doc.issuer).map_err(OidcError::Misconfigured)?;
        let doc = Arc::new(doc);
        *self.discovery.write().await = Some((doc.clone(), Instant::now()));
        Ok(doc)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let started = std::time::Instant::now();
        let service = crate::metrics::Upstream::EntraDiscovery;
        let res = self.http.get(url).send().await.map_err(|e| {
            crate::metrics::upstream(service, crate::metrics::outcome_of_transport(&e), started.elapsed());
            OidcError::Unavailable(error_chain(&e))
        })?;
        let status = res.status();
        crate::metrics::upstream(
            service,
            crate::metrics::outcome_of_status(status.as_u16()),
            started.elapsed(),
        );
        if !status.is_success() {
            return Err(OidcError::Unavailable(format!("{url} answered {status}")));
        }
        res.json::<T>().await.map_err(|e| OidcError::InvalidResponse(format!("{url}: {}", error_chain(&e))))
    }

    /// The provider's signing keys: cached, refetched once `JWKS_TTL` old (keys rotate; Entra
    /// advises checking daily) or for an unknown `kid` (at most every `JWKS_MIN_REFETCH`). When a
    /// refetch fails, the keys already held are used until the provider answers again.
    pub(super) async fn jwks(&self, discovery: &Discovery, refetch: bool) -> Result<Arc<JwkSet>, OidcError> {
        let cached = self.jwks.read().await.clone();
        if let Some((set, at)) = &cached {
            let expired = at.elapsed() >= JWKS_TTL;
            if !(expired || refetch && self.may_force_jwks_refetch()) {
                return Ok(set.clone());
            }
        }
        match self.get_json::<JwkSet>(&discovery.jwks_uri).await {
            Ok(set) => {
                let set = Arc::new(set);
                *self.jwks.write().await = Some((set.clone(), Instant::now()));
                Ok(set)
            }
            Err(e) => match cached {
                Some((set, _)) => {
                    tracing::warn!(error = %e, "the key set could not be refetched: using the keys held");
                    // Tried again in a while, not at every sign-in while the provider is down.
                    let retry_at =
                        Instant::now().checked_sub(JWKS_TTL - JWKS_MIN_REFETCH).unwrap_or_else(Instant::now);
                    *self.jwks.write().await = Some((set.clone(), retry_at));
                    Ok(set)
                }
                None => Err(e),
            },
        }
    }

    /// An unknown `kid` may refetch the key set, but not more often than `JWKS_MIN_REFETCH`, so a
    /// stream of forged tokens cannot turn the app into a load generator against the provider.
    fn may_force_jwks_refetch(&self) -> bool {
        let mut last = self.last_forced_jwks.lock().unwrap_or_else(|p| p.into_inner());
        match *last {
            Some(at) if at.elapsed() < JWKS_MIN_REFETCH => false,
            _ => {
                *last = Some(Instant::now());
                true
            }
        }
    }

    /// Where to send the browser to sign out at the identity provider; `logout_hint` (the ID
    /// token's `login_hint`) spares the user Entra's account picker.
    pub async fn end_session_url(
        &self,
        post_logout_redirect_uri: &str,
        logout_hint: Option<&str>,
    ) -> Result<Option<Url>, OidcError> {
        let d = self.discovery().await?;
        let Some(end) = &d.end_session_endpoint else { return Ok(None) };
        let mut url = Url::parse(end)
            .map_err(|_| OidcError::InvalidResponse("end_session_endpoint is not a URL".into()))?;
        url.query_pairs_mut()
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
            .append_pair("client_id", &self.reg.client_id);
        if let Some(hint) = logout_hint {
            url.query_pairs_mut().append_pair("logout_hint", hint);
        }
        Ok(Some(url))
    }
}

/// The discovered issuer must belong to the configured authority: for `common` and
/// `organizations` it is Entra's `{tenantid}` template, for a tenant it is that tenant's issuer.
pub fn check_discovered_issuer(authority: &Url, issuer: &str) -> Result<(), String> {
    let authority = authority.as_str().trim_end_matches('/');
    let (base, tenant) = authority.rsplit_once('/').ok_or("the authority has no tenant")?;
    let ok = match tenant {
        "common" | "organizations" => issuer == format!("{base}/{{tenantid}}/v2.0"),
        t if is_guid(t) => issuer.eq_ignore_ascii_case(&format!("{base}/{t}/v2.0")),
        // A domain name: the issuer carries the tenant's GUID instead.
        _ => issuer
            .strip_prefix(&format!("{base}/"))
            .and_then(|rest| rest.strip_suffix("/v2.0"))
            .is_some_and(is_guid),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("discovered issuer {issuer} does not belong to the authority {authority}"))
    }
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}
