//! Signing in and out: the authorization request, the callback (state, code exchange, session id rotation), sign-out here and at the identity provider, and front-channel sign-out by `sid`.

use std::sync::Arc;

use app::error::ApiError;
use app::ports::SignInCallback;
use app::routes::{SignInProblem, CALLBACK, SIGN_IN};
use http::request::Parts;
use tower_sessions::{Expiry, Session};
use url::Url;

use super::account::{Account, Accounts};
use super::errors::store_error;
use super::public_url::PublicUrl;
use super::sid_index::SidIndex;

mod consent;
use crate::http::sign_in_cookie::SignInCookie;
use crate::oidc::id_token::IdTokenError;
use crate::oidc::{now_secs, OidcClient, OidcError, PendingSignIn, SignedIn};

/// A sign-in left at the identity provider longer than this is started again.
const SIGN_IN_MAX_SECS: u64 = crate::http::sign_in_cookie::MAX_AGE_SECS;

pub struct SignIn {
    oidc: Arc<OidcClient>,
    accounts: Arc<Accounts>,
    public: Arc<PublicUrl>,
    /// The identity provider's session id (`sid`) → our sessions, for front-channel sign-out.
    by_sid: SidIndex,
    /// The idle lifetime of a signed-in session.
    idle: time::Duration,
}

/// Only same-origin paths: `/x` yes; `//host`, `/\host`, `https://...` and anything odd no.
pub fn safe_return_to(v: Option<&str>) -> String {
    match v {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 1024
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

pub fn session_of(req: &Parts) -> Result<Session, ApiError> {
    req.extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| super::errors::internal("session", &"no session layer"))
}

/// This request's sign-in cookie (the sign-in in progress in this browser).
pub fn cookie_of(req: &Parts) -> Result<SignInCookie, ApiError> {
    req.extensions
        .get::<SignInCookie>()
        .cloned()
        .ok_or_else(|| super::errors::internal("sign-in cookie", &"no sign-in cookie layer"))
}

impl SignIn {
    pub fn new(
        oidc: Arc<OidcClient>,
        accounts: Arc<Accounts>,
        public: Arc<PublicUrl>,
        by_sid: SidIndex,
        idle: time::Duration,
    ) -> Self {
        SignIn { oidc, accounts, public, by_sid, idle }
    }

    pub fn redirect_uri(&self) -> String {
        self.oidc.redirect_uri().to_string()
    }

    /// Where to send the browser to start a sign-in: the authorization endpoint, or a page
    /// that says why it cannot start.
    pub async fn begin(&self, req: &Parts, return_to: Option<String>) -> String {
        let return_to = safe_return_to(return_to.as_deref());
        let again = format!("{SIGN_IN}?return_to={}", app::encode_query_value(&return_to));
        if let Some(detour) = self.public.loopback_detour(req, &again) {
            return detour;
        }
        // Nothing is written on the server until the callback: the sign-in in progress goes to
        // this browser, sealed in its sign-in cookie.
        let Ok(cookie) = cookie_of(req) else { return failed(SignInProblem::Unavailable, None) };
        let redirect_uri =
            PublicUrl::forwarded(req).and_then(|b| Url::parse(&PublicUrl::join(&b, CALLBACK)).ok());
        match self.oidc.begin(return_to, redirect_uri, None).await {
            Ok((url, pending)) => match self.accounts.store_pending(&cookie, &pending) {
                Ok(()) => {
                    crate::metrics::sign_in_started();
                    url.to_string()
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot seal a sign-in in progress");
                    failed(SignInProblem::Sessions, None)
                }
            },
            Err(e @ OidcError::Misconfigured(_)) => {
                tracing::error!(error = %e, "cannot start sign-in");
                failed(SignInProblem::Misconfigured, None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot start sign-in");
                failed(SignInProblem::Unavailable, None)
            }
        }
    }

    /// Finishes a sign-in from the authorization response: where to send the browser.
    pub async fn complete(&self, req: &Parts, cb: SignInCallback) -> String {
        let (Ok(session), Ok(cookie)) = (session_of(req), cookie_of(req)) else {
            return failed(SignInProblem::Unavailable, None);
        };
        // Single use: once the callback's state matched, this sign-in attempt is spent.
        let pending: Option<PendingSignIn> = self.accounts.take_pending_for(&cookie, cb.state.as_deref());
        if let Some(p) = pending.clone().filter(|p| p.consent_for.is_some()) {
            return self.complete_consent(&session, cb, p).await;
        }
        let (code, pending) = match check_callback(cb, pending) {
            Ok(checked) => checked,
            Err((problem, code)) => return failed(problem, code.as_deref()),
        };
        match self.oidc.exchange(code, &pending).await {
            Ok(signed_in) => match self.establish(&session, signed_in).await {
                Ok(()) => {
                    crate::metrics::sign_in_completed();
                    pending.return_to
                }
                Err(problem) => failed(problem, None),
            },
            Err(e) => {
                let (problem, code) = exchange_problem(e);
                failed(problem, code.as_deref())
            }
        }
    }

    /// Stores the new account under a new session id and indexes it by `sid`.
    async fn establish(&self, session: &Session, signed_in: SignedIn) -> Result<(), SignInProblem> {
        // Entra's tokens carry every scope consented before, so an earlier consent still counts.
        let least = !self.oidc.manage_scopes().is_empty();
        crate::devops_scopes::warn_if_lapsed(least, signed_in.tokens.scope.as_deref());
        let account = account_of(signed_in, !least);
        // Signed in: the session lives as long as any signed-in session.
        session.set_expiry(Some(Expiry::OnInactivity(self.idle)));
        // A new session id at sign-in, so an id planted before sign-in is worthless after it.
        session.cycle_id().await.map_err(|e| {
            store_error("session cycle", &e);
            SignInProblem::Sessions
        })?;
        // Saved now (not after the response) so the new id is known for the sid index.
        self.accounts.store(session, &account).await.map_err(|_| SignInProblem::Sessions)?;
        session.save().await.map_err(|e| {
            store_error("session save", &e);
            SignInProblem::Sessions
        })?;
        if let (Some(sid), Some(id)) = (account.sid.clone(), session.id()) {
            // Signed in all the same: only front-channel sign-out would miss this session.
            if let Err(e) = self.by_sid.add(&sid, &id).await {
                store_error("sid index", &e);
            }
        }
        tracing::info!(oid = %account.oid, tid = %account.tid, "signed in");
        Ok(())
    }

    /// Ends the session here; returns where to send the browser (the end-session endpoint).
    pub async fn sign_out(&self, req: &Parts, session: &Session) -> Result<String, ApiError> {
        let account = self.accounts.load(session).await.ok().flatten();
        let login_hint = account.and_then(|a| a.login_hint);
        // The server-side record goes first: the old cookie is worthless from here on.
        session.flush().await.map_err(|e| store_error("session flush", &e))?;
        let home = PublicUrl::join(&self.public.for_request(req), "/");
        match self.oidc.end_session_url(&home, login_hint.as_deref()).await {
            Ok(Some(url)) => Ok(url.to_string()),
            Ok(None) => Ok(home),
            Err(e) => {
                tracing::warn!(error = %e, "no end-session endpoint; signed out locally");
                Ok(home)
            }
        }
    }

    /// Front-channel sign-out: the identity provider ended its session `sid`, so ours end too
    /// (on every instance sharing the store, and after a restart). Answers whether any was listed.
    pub async fn end_session_by_sid(&self, sid: &str) -> bool {
        match self.by_sid.end(sid).await {
            Ok(0) => false,
            Ok(n) => {
                tracing::info!(sessions = n, "front-channel sign-out ended the sessions of a sid");
                true
            }
            Err(e) => {
                store_error("session delete", &e);
                false
            }
        }
    }
}

type Problem = (SignInProblem, Option<String>);

/// A sign-in that could not start or finish: counted by its reason, and the page that says why.
fn failed(problem: SignInProblem, code: Option<&str>) -> String {
    crate::metrics::sign_in_failed(problem.as_str());
    problem.path(code)
}

/// The code and this session's pending sign-in, if the callback belongs to it and is in time.
fn check_callback(
    cb: SignInCallback,
    pending: Option<PendingSignIn>,
) -> Result<(String, PendingSignIn), Problem> {
    // An `error=` counts only from the sign-in this session started (its state matched): another
    // site's link to the callback shows nothing of its choosing (issue 29, item 3).
    let Some(pending) = pending else {
        tracing::info!("callback without a matching sign-in in this session");
        return Err((SignInProblem::Expired, None));
    };
    if let Some(error) = cb.error.as_deref() {
        let aadsts = cb.error_description.as_deref().and_then(crate::oidc::aadsts_code);
        tracing::info!(
            error,
            aadsts = aadsts.as_deref().unwrap_or(""),
            "identity provider returned an error"
        );
        return Err(if error == "access_denied" {
            (SignInProblem::Cancelled, None)
        } else {
            (SignInProblem::Idp, Some(aadsts.unwrap_or_else(|| error.to_string())))
        });
    }
    let (Some(code), Some(state)) = (cb.code, cb.state) else {
        tracing::info!("callback without a code or a state");
        return Err((SignInProblem::Expired, None));
    };
    if !crate::secret::constant_time_eq(state.as_bytes(), pending.state.expose().as_bytes()) {
        tracing::info!("callback state does not match this session's sign-in");
        return Err((SignInProblem::Expired, None));
    }
    if now_secs().saturating_sub(pending.started_at) > SIGN_IN_MAX_SECS {
        return Err((SignInProblem::Expired, None));
    }
    Ok((code, pending))
}

/// What the user is told when the code exchange or the ID token check fails.
fn exchange_problem(e: OidcError) -> Problem {
    match e {
        OidcError::Provider { error, aadsts } => {
            tracing::warn!(%error, aadsts = aadsts.as_deref().unwrap_or(""), "code exchange refused");
            (SignInProblem::Token, Some(aadsts.unwrap_or(error)))
        }
        OidcError::IdToken(IdTokenError::TenantNotAllowed) => {
            tracing::warn!("sign-in from a tenant outside ALLOWED_TENANTS refused");
            (SignInProblem::Tenant, None)
        }
        e @ OidcError::IdToken(_) => {
            tracing::warn!(error = %e, "ID token refused");
            (SignInProblem::InvalidToken, None)
        }
        e => {
            tracing::warn!(error = %e, "code exchange failed");
            (SignInProblem::Unavailable, None)
        }
    }
}

fn account_of(signed_in: SignedIn, asked_manage: bool) -> Account {
    let c = signed_in.claims;
    let can_manage = crate::devops_scopes::grants_manage(signed_in.tokens.scope.as_deref(), asked_manage);
    Account {
        name: c.name.clone().unwrap_or_else(|| c.preferred_username.clone().unwrap_or_default()),
        username: c.preferred_username.clone().or(c.email.clone()).unwrap_or_default(),
        oid: c.oid.clone().unwrap_or_else(|| c.sub.clone()),
        tid: c.tid.clone().unwrap_or_default(),
        sid: c.sid.clone(),
        login_hint: c.login_hint.clone(),
        signed_in_at: now_secs(),
        tokens: signed_in.tokens,
        can_manage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_only_same_origin_paths() {
        assert_eq!(safe_return_to(Some("/tokens?filter=all")), "/tokens?filter=all");
        for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "evil", "", "/a\r\nb"] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?} must be refused");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn a_callback_must_match_the_pending_sign_in() {
        let cb = |error: Option<&str>| SignInCallback {
            code: Some("c".into()),
            state: Some("s".into()),
            error: error.map(str::to_string),
            error_description: Some("AADSTS50011: The redirect URI ...".into()),
        };
        let pending = || {
            Some(PendingSignIn {
                state: crate::secret::Secret::new("s"),
                nonce: crate::secret::Secret::new("n"),
                pkce_verifier: crate::secret::Secret::new("v"),
                redirect_uri: "http://127.0.0.1/getAToken".into(),
                return_to: "/".into(),
                started_at: now_secs(),
                consent_for: None,
            })
        };
        assert_eq!(
            check_callback(cb(Some("access_denied")), pending()).err().unwrap().0,
            SignInProblem::Cancelled
        );
        let (problem, code) = check_callback(cb(Some("invalid_request")), pending()).err().unwrap();
        assert_eq!((problem, code.as_deref()), (SignInProblem::Idp, Some("AADSTS50011")));
        // Issue 29, item 3: without this session's sign-in (no state, or another), an error
        // says nothing of its own.
        assert_eq!(check_callback(cb(Some("access_denied")), None).err().unwrap().0, SignInProblem::Expired);
        assert_eq!(check_callback(cb(None), None).err().unwrap().0, SignInProblem::Expired);
        assert!(check_callback(cb(None), pending()).is_ok());
    }
}
