//! Token-endpoint errors as the app tells them apart, and the AADSTS code people look up.

use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};
use oauth2::RequestTokenError;

use super::OidcError;

pub(super) fn classify_token_error(
    e: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> OidcError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let error = match r.error() {
                BasicErrorResponseType::Extension(s) => s.clone(),
                other => other.as_ref().to_string(),
            };
            OidcError::Provider { error, aadsts: r.error_description().and_then(|d| aadsts_code(d)) }
        }
        RequestTokenError::Request(e) => OidcError::Unavailable(error_chain(&e)),
        RequestTokenError::Parse(_, body) => {
            // Only the start of the body, and only its shape: it may be an HTML error page.
            let looks_html = body.iter().take(200).any(|b| *b == b'<');
            OidcError::InvalidResponse(if looks_html {
                "an HTML page".into()
            } else {
                "unparseable JSON".into()
            })
        }
        RequestTokenError::Other(s) => OidcError::InvalidResponse(s),
    }
}

/// `AADSTS50011` from an `error_description` such as `AADSTS50011: The redirect URI ...`.
pub fn aadsts_code(description: &str) -> Option<String> {
    let start = description.find("AADSTS")?;
    let digits: String = description[start + 6..].chars().take_while(|c| c.is_ascii_digit()).collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

/// An error and its sources on one line, for logs.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// What a call to the token endpoint came to, in the metrics' fixed vocabulary (an OAuth error
/// answer is a 400, or a 401 for `invalid_client`: both counted as `bad_request`).
pub(super) fn token_call_outcome<T>(
    r: &Result<T, RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>>,
) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(RequestTokenError::ServerResponse(_)) => "bad_request",
        Err(RequestTokenError::Request(oauth2::HttpClientError::Reqwest(e))) => {
            crate::metrics::outcome_of_transport(e)
        }
        Err(RequestTokenError::Request(_)) => "unreachable",
        Err(_) => "unexpected",
    }
}

/// A refresh's outcome for the metrics: `ok`, an OAuth error word from the fixed list a provider
/// may send (anything else is `other_error`), `unavailable` or `unexpected`.
pub(super) fn refresh_outcome<T>(r: &Result<T, OidcError>) -> &'static str {
    const KNOWN: [&str; 9] = [
        "invalid_grant",
        "invalid_scope",
        "interaction_required",
        "consent_required",
        "login_required",
        "invalid_client",
        "unauthorized_client",
        "invalid_request",
        "temporarily_unavailable",
    ];
    match r {
        Ok(_) => "ok",
        Err(OidcError::Provider { error, .. }) => {
            KNOWN.into_iter().find(|k| k == error).unwrap_or("other_error")
        }
        Err(OidcError::Unavailable(_)) => "unavailable",
        Err(_) => "unexpected",
    }
}
