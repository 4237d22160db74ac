//! How server-side failures become the wire error: Azure DevOps failures by `From`, a session store that does not answer, internal errors with a reference.

use app::error::ApiError;

use crate::devops::grants::Need;
use crate::devops::{DevopsError, NoAccess};

/// The one mapping from Azure DevOps failures to what the user is told.
impl From<DevopsError> for ApiError {
    fn from(e: DevopsError) -> Self {
        match e {
            DevopsError::Unauthorized => ApiError::SessionExpired,
            // The organization is filled in by the use case, which knows it (`ApiError::in_org`).
            DevopsError::NoAccess(why) => {
                ApiError::NoAccess { organization: String::new(), reason: no_access_reason(&why) }
            }
            // Changing tokens has its own consent round trip; a reading permission is granted
            // by signing in, which asks for every reading permission again.
            DevopsError::MissingScope(Need::ManagePats) => ApiError::ConsentNeeded,
            DevopsError::MissingScope(need) => {
                ApiError::PermissionMissing { permission: need.permission().to_string() }
            }
            DevopsError::ClassicRefused => ApiError::Forbidden { reason: CLASSIC_REFUSED_TEXT.into() },
            DevopsError::Forbidden => ApiError::Forbidden {
                reason: "your account lacks the permission for this in the organization, or an organization \
                         policy restricts it. Ask an organization administrator."
                    .into(),
            },
            DevopsError::NotFound => ApiError::NotFound,
            DevopsError::RateLimited(s) => ApiError::RateLimited { retry_after_secs: s },
            DevopsError::Unavailable(cause) => {
                tracing::warn!(?cause, "Azure DevOps unavailable");
                ApiError::UpstreamUnavailable
            }
            // Azure DevOps' own text may name internals: it goes to the log with the request id,
            // the user gets what to do.
            DevopsError::BadRequest(message) => {
                // Debug formatting: the text is quoted and escaped, so a newline in it cannot
                // forge a log line.
                tracing::warn!(?message, "Azure DevOps refused the request as invalid");
                ApiError::invalid("request", BAD_REQUEST_TEXT)
            }
            e @ DevopsError::Unexpected(_) => internal("Azure DevOps", &e),
        }
    }
}

/// What the user is told when the organization will not let them in, and what to do.
fn no_access_reason(why: &NoAccess) -> String {
    const MSA_TENANT: &str = "00000000-0000-0000-0000-000000000000";
    match why {
        NoAccess::ConditionalAccess => "a Conditional Access policy of the organization's Microsoft Entra tenant \
            refused the request (VS403463). Such policies may require a compliant device or a trusted network; \
            note that this app calls Azure DevOps from its server's address. Ask your administrator."
            .into(),
        NoAccess::NotMember { resource_tenant: Some(t) } if t == MSA_TENANT => "your account is not a member of it, \
            and the organization is connected to Microsoft accounts, not to a Microsoft Entra tenant. Sign in to it \
            with the Microsoft account that owns it, or ask its owner to connect it to your tenant."
            .into(),
        NoAccess::NotMember { resource_tenant: Some(t) } => format!(
            "your account is not a member of it. Azure DevOps says it is connected to the Microsoft Entra tenant \
             {t}: if you signed in with another tenant, sign in with an account of that tenant, or ask its \
             administrator to add you."
        ),
        NoAccess::NotMember { resource_tenant: None } => {
            "your account is not a member of it. Ask an organization administrator to add you.".into()
        }
    }
}

/// What the user is told when the PAT lifecycle API refuses a token whose only permission is
/// `user_impersonation` (sprint 257 notes: the PAT scopes are "now required … replacing" it).
pub const CLASSIC_REFUSED_TEXT: &str = "it no longer accepts this app's classic permission \
    (user_impersonation) for personal access tokens and wants the PAT permissions instead. Signing in \
    again will not help: the app's operator must unset DEVOPS_SCOPES=classic (the default, least, asks \
    for vso.pats when you sign in and vso.pats_manage when you first change a token) and add those \
    two permissions to the app registration.";

/// What the user is told when Azure DevOps answers 400, 409 or 422.
pub const BAD_REQUEST_TEXT: &str =
    "Azure DevOps did not accept this request. Check what you entered and try again.";

/// What `/readyz` names when the session store does not answer.
pub const STORE_NOT_READY: &str = "session store";

/// A session store that fails (Redis down, SQLite unreadable): logged, counted, and the user is
/// told sessions are unavailable (503), not that something broke.
pub fn store_error(context: &'static str, cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(context, cause = ?cause.to_string(), "session store unavailable");
    crate::metrics::session_store_error(context);
    ApiError::SessionsUnavailable
}

/// Logs the cause (the log line carries the request id) and returns an error that shows only a
/// reference: the server functions replace it with the request id (`app::ports::with_status`).
pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(context, cause = ?cause.to_string(), "internal error");
    ApiError::internal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devops_failures_map_to_what_a_user_can_act_on() {
        assert_eq!(ApiError::from(DevopsError::Unauthorized), ApiError::SessionExpired);
        assert_eq!(ApiError::from(DevopsError::NotFound), ApiError::NotFound);
        assert_eq!(
            ApiError::from(DevopsError::RateLimited(7)),
            ApiError::RateLimited { retry_after_secs: 7 }
        );
        assert_eq!(ApiError::from(DevopsError::Unavailable("x".into())), ApiError::UpstreamUnavailable);
        assert!(matches!(ApiError::from(DevopsError::Forbidden), ApiError::Forbidden { .. }));
        let e = ApiError::from(DevopsError::NoAccess(NoAccess::ConditionalAccess)).in_org("northwind-demo");
        assert!(!e.needs_sign_in(), "signing in again would not help");
        assert!(
            e.to_string().starts_with("You have no access to northwind-demo: a Conditional Access"),
            "{e}"
        );
        let e = ApiError::from(DevopsError::NoAccess(NoAccess::NotMember {
            resource_tenant: Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
        }));
        assert!(e.to_string().contains("72f988bf-86f1-41af-91ab-2d7cd011db47"), "{e}");
        assert!(
            !ApiError::from(DevopsError::Forbidden).to_string().contains("OAuth"),
            "no OAuth-policy blame"
        );
        let e = ApiError::from(DevopsError::Unexpected("https://upstream.example/?secret".into()));
        assert!(e.lacks_reference());
        assert!(!e.to_string().contains("upstream"), "no upstream detail reaches the user");
        let e = ApiError::from(DevopsError::BadRequest("VS403 internal detail at https://x.internal".into()));
        assert_eq!(e, ApiError::invalid("request", BAD_REQUEST_TEXT), "Azure DevOps' text stays in the log");
    }

    /// Issue 29: Azure DevOps' text went to the log unescaped, and a newline in it forged a line.
    #[test]
    fn upstream_text_cannot_forge_a_log_line() {
        #[derive(Clone, Default)]
        struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let forged = "bad\n2026-12-07T00:00:00Z  INFO signed in oid=admin";
        tracing::subscriber::with_default(subscriber, || {
            let _ = ApiError::from(DevopsError::BadRequest(forged.into()));
            let _ = ApiError::from(DevopsError::Unavailable(forged.into()));
            let _ = ApiError::from(DevopsError::Unexpected(forged.into()));
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 3, "one line per event: {text}");
        assert!(text.lines().all(|l| !l.starts_with("2026-12-07T00:00:00Z")), "{text}");
    }
}
