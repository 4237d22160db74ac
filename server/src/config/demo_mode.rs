//! Demo mode never starts by accident where the rest of the configuration says production.

use std::net::SocketAddr;

use url::Url;

use super::lookup::Lookup;
use super::{err, ConfigError, Identity};

/// Demo mode must never start by accident in production (issue #12): with the Entra settings
/// unset, anything that says "production" (an address other than loopback, an https public URL,
/// an organization, Redis, a session key) refuses to start unless `DEMO_MODE=true` asks for the
/// demo stack explicitly. `DEMO_MODE=true` beside Entra settings is a contradiction, refused too.
pub(super) fn check_demo_mode(
    get: &Lookup<'_>,
    identity: &Identity,
    bind: SocketAddr,
    public_url: Option<&Url>,
    store: &crate::sessions::StoreKind,
) -> Result<(), ConfigError> {
    let explicit = get.flag("DEMO_MODE")?;
    match identity {
        Identity::Entra(_) if explicit => Err(err(
            "DEMO_MODE",
            "is `true`, but CLIENT_ID, CLIENT_SECRET and AUTHORITY are set too: unset DEMO_MODE to use your \
             tenant, or the Entra settings to run the demo stack",
        )),
        Identity::Demo if !explicit => {
            let signals = production_signals(get, bind, public_url, store);
            if signals.is_empty() {
                return Ok(());
            }
            Err(err(
                "DEMO_MODE",
                format!(
                    "CLIENT_ID, CLIENT_SECRET and AUTHORITY are not set, so the app would offer the demo stack's \
                     password-less sign-in, but {} say this is a real deployment. Set the three Entra settings \
                     (README, \"Using your own tenant\"), or DEMO_MODE=true to run the demo stack anyway",
                    signals.join(", ")
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// What in the configuration says "production".
fn production_signals(
    get: &Lookup<'_>,
    bind: SocketAddr,
    public_url: Option<&Url>,
    store: &crate::sessions::StoreKind,
) -> Vec<String> {
    let mut signals = Vec::new();
    if !bind.ip().is_loopback() {
        signals.push(format!("BIND_ADDR {bind} (not a loopback address)"));
    }
    if public_url.is_some_and(|u| u.scheme() == "https") {
        signals.push("an https PUBLIC_URL".to_string());
    }
    for var in ["DEVOPS_ORGANIZATION", "ENDPOINT", "SESSION_KEY", "SESSION_KEY_FILE"] {
        if get.var(var).is_some() {
            signals.push(var.to_string());
        }
    }
    if matches!(store, crate::sessions::StoreKind::Redis(_)) {
        signals.push("a Redis SESSION_STORE".to_string());
    }
    signals
}

/// `DEMO_WITHHOLD_SCOPES` (names separated by spaces or commas): demo stack only.
pub(super) fn demo_withheld(get: &Lookup<'_>, identity: &Identity) -> Result<Vec<String>, ConfigError> {
    let Some(v) = get.var("DEMO_WITHHOLD_SCOPES") else { return Ok(Vec::new()) };
    if !matches!(identity, Identity::Demo) {
        return Err(err(
            "DEMO_WITHHOLD_SCOPES",
            "applies to the demo stack only: remove it when signing in with Entra ID",
        ));
    }
    Ok(v.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_string).collect())
}
