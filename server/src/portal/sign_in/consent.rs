//! The incremental consent: a session signed in with reading only asks Entra ID, once, for the
//! permission to change tokens (`vso.pats_manage`), and comes back to the page it left, where
//! the form still holds what the person typed (kept in their browser meanwhile).
//!
//! Entra answers a consent the person declines with `access_denied` (AADSTS65004), and one their
//! tenant reserves for administrators with an AADSTS code (such as AADSTS90094): either way the
//! page comes back with `?consent=` saying so, the person stays signed in and reading still works.

use app::error::ApiError;
use app::ports::SignInCallback;
use app::routes::{SignInProblem, CALLBACK, CONSENT_REFUSED_PARAM, SIGN_IN};
use http::request::Parts;
use tower_sessions::Session;
use url::Url;

use super::{check_callback, cookie_of, exchange_problem, safe_return_to, session_of, SignIn};
use crate::devops_scopes::grants_manage;
use crate::oidc::PendingSignIn;
use crate::portal::errors::store_error;
use crate::portal::public_url::PublicUrl;

/// `path` with `?consent=why` (or `&consent=why`) added.
fn refused(path: &str, why: &str) -> String {
    crate::metrics::consent(if why == "refused" { "declined" } else { "failed" });
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{CONSENT_REFUSED_PARAM}={}", app::encode_query_value(why))
}

/// A consent round trip that ended on the sign-in problem page: counted, and its path.
fn failed(problem: SignInProblem, code: Option<&str>) -> String {
    crate::metrics::consent("failed");
    problem.path(code)
}

impl SignIn {
    /// Where to send the browser to ask for the permission to change tokens: the authorization
    /// endpoint, or straight back when this session has it already (or the registration asks
    /// for everything at sign-in).
    pub async fn begin_consent(&self, req: &Parts, return_to: Option<String>) -> Result<String, ApiError> {
        let return_to = safe_return_to(return_to.as_deref());
        if self.oidc.manage_scopes().is_empty() {
            return Ok(return_to);
        }
        let session = session_of(req)?;
        let Some(account) = self.accounts.load(&session).await? else {
            // Signed out meanwhile: signing in comes first (the form then asks again).
            return Ok(format!("{SIGN_IN}?return_to={}", app::encode_query_value(&return_to)));
        };
        if account.can_manage {
            return Ok(return_to);
        }
        let redirect_uri =
            PublicUrl::forwarded(req).and_then(|b| Url::parse(&PublicUrl::join(&b, CALLBACK)).ok());
        let consent = Some((account.oid.as_str(), account.username.as_str()));
        let (url, pending) = self.oidc.begin(return_to, redirect_uri, consent).await.map_err(|e| {
            tracing::warn!(error = %e, "cannot start the consent for changing tokens");
            ApiError::UpstreamUnavailable
        })?;
        self.accounts.store_pending(&cookie_of(req)?, &pending).map_err(|e| {
            tracing::error!(error = %e, "cannot seal a consent in progress");
            ApiError::internal()
        })?;
        tracing::info!(oid = %account.oid, "asking for the permission to change tokens");
        crate::metrics::consent("started");
        Ok(url.to_string())
    }

    /// The callback of a consent round trip: the new tokens replace the session's (same user
    /// only), and the browser goes back to the page it came from.
    pub(super) async fn complete_consent(
        &self,
        session: &Session,
        cb: SignInCallback,
        pending: PendingSignIn,
    ) -> String {
        let back = pending.return_to.clone();
        if let Some(error) = cb.error.as_deref() {
            let code = cb.error_description.as_deref().and_then(crate::oidc::aadsts_code);
            tracing::info!(error, aadsts = code.as_deref().unwrap_or(""), "consent not granted");
            let why =
                if error == "access_denied" { "refused".to_string() } else { code.unwrap_or(error.into()) };
            return refused(&back, &why);
        }
        let (code, pending) = match check_callback(cb, Some(pending)) {
            Ok(checked) => checked,
            Err((problem, code)) => return failed(problem, code.as_deref()),
        };
        let signed_in = match self.oidc.exchange(code, &pending).await {
            Ok(s) => s,
            Err(e) => {
                let (problem, code) = exchange_problem(e);
                return failed(problem, code.as_deref());
            }
        };
        let Ok(Some(mut account)) = self.accounts.load(session).await else {
            return failed(SignInProblem::Expired, None);
        };
        let oid = signed_in.claims.oid.clone().unwrap_or_else(|| signed_in.claims.sub.clone());
        if pending.consent_for.as_deref() != Some(oid.as_str()) || account.oid != oid {
            tracing::warn!("the consent came back for another account: ignored");
            return refused(&back, "other_account");
        }
        account.can_manage = grants_manage(signed_in.tokens.scope.as_deref(), true);
        let new_sid = signed_in.claims.sid.clone().filter(|s| account.sid.as_deref() != Some(s.as_str()));
        account.tokens = signed_in.tokens;
        if self.accounts.store(session, &account).await.is_err() || session.save().await.is_err() {
            return failed(SignInProblem::Sessions, None);
        }
        // Entra may start a session of its own for the consent: a front-channel sign-out of that
        // one ends this session too (issue 29, item 5).
        if let (Some(sid), Some(id)) = (new_sid.as_deref(), session.id()) {
            if let Err(e) = self.by_sid.add(sid, &id).await {
                store_error("sid index", &e);
            }
        }
        if account.can_manage {
            tracing::info!(oid = %account.oid, "permission to change tokens granted");
            crate::metrics::consent("granted");
            back
        } else {
            refused(&back, "refused")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_consent_goes_back_to_the_same_page_saying_so() {
        assert_eq!(refused("/tokens/new", "refused"), "/tokens/new?consent=refused");
        assert_eq!(
            refused("/tokens/new?org=contoso-demo", "AADSTS90094"),
            "/tokens/new?org=contoso-demo&consent=AADSTS90094"
        );
    }
}
