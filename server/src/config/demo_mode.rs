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

/// A busy Azure DevOps for the demo stack: throttled organizations, a person in many
/// organizations, lists past their page limits (each off unless set; demo stack only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoBusy {
    /// `DEMO_THROTTLE`: `org=near|delayed|blocked`, separated by commas.
    pub throttled: Vec<(String, crate::demo::devops::Throttle)>,
    /// `DEMO_EXTRA_ORGS`: organizations every user belongs to besides the demo ones.
    pub extra_orgs: usize,
    /// `DEMO_EXTRA_TOKENS`: more active tokens every user has in the default organization.
    pub extra_tokens: usize,
    /// `DEMO_QUIRKS`: how the stand-in differs from its defaults, as tenants and time make the
    /// real service differ (`bare_profile`, `refuse_classic`, `retire_previews`).
    pub quirks: Vec<DemoQuirk>,
}

/// One of the stand-in's switches, by its `DEMO_QUIRKS` word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoQuirk {
    /// The profile has only the fields of the spec's schema (no names).
    BareProfile,
    /// The PAT API refuses a token whose only scope is `user_impersonation`.
    RefuseClassic,
    /// Preview versions of profile and accounts are refused.
    RetirePreviews,
}

const QUIRK_WORDS: [(&str, DemoQuirk); 3] = [
    ("bare_profile", DemoQuirk::BareProfile),
    ("refuse_classic", DemoQuirk::RefuseClassic),
    ("retire_previews", DemoQuirk::RetirePreviews),
];

impl DemoBusy {
    /// Switches the stand-in as these settings say.
    pub fn apply(&self, devops: &crate::demo::devops::DevopsStandIn) {
        for (org, throttle) in &self.throttled {
            devops.throttle(org, Some(*throttle));
        }
        devops.extra_orgs(self.extra_orgs);
        devops.extra_tokens(self.extra_tokens);
        for quirk in &self.quirks {
            match quirk {
                DemoQuirk::BareProfile => devops.bare_profile(true),
                DemoQuirk::RefuseClassic => devops.refuse_classic_for_pats(true),
                DemoQuirk::RetirePreviews => devops.retire_previews(true),
            }
        }
    }
}

pub(super) fn demo_busy(get: &Lookup<'_>, identity: &Identity) -> Result<DemoBusy, ConfigError> {
    const VARS: [&str; 4] = ["DEMO_THROTTLE", "DEMO_EXTRA_ORGS", "DEMO_EXTRA_TOKENS", "DEMO_QUIRKS"];
    if !matches!(identity, Identity::Demo) {
        if let Some(var) = VARS.into_iter().find(|v| get.var(v).is_some()) {
            return Err(err(var, "applies to the demo stack only: remove it when signing in with Entra ID"));
        }
        return Ok(DemoBusy::default());
    }
    let count = |var: &'static str| -> Result<usize, ConfigError> {
        if get.var(var).as_deref() == Some("0") {
            return Ok(0);
        }
        Ok(get.number(var, 0, "of them")? as usize)
    };
    Ok(DemoBusy {
        throttled: throttled(get.var("DEMO_THROTTLE").as_deref().unwrap_or_default())?,
        extra_orgs: count("DEMO_EXTRA_ORGS")?,
        extra_tokens: count("DEMO_EXTRA_TOKENS")?,
        quirks: quirks(get.var("DEMO_QUIRKS").as_deref().unwrap_or_default())?,
    })
}

/// `bare_profile,refuse_classic`: the stand-in's switches to turn on.
fn quirks(v: &str) -> Result<Vec<DemoQuirk>, ConfigError> {
    v.split([',', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            QUIRK_WORDS.iter().find(|(word, _)| *word == w).map(|(_, q)| *q).ok_or_else(|| {
                let words: Vec<String> = QUIRK_WORDS.iter().map(|(w, _)| format!("`{w}`")).collect();
                err("DEMO_QUIRKS", format!("`{w}` is not one of {}", words.join(", ")))
            })
        })
        .collect()
}

/// `fabrikam-demo=near,contoso-demo=blocked`: how each named organization throttles.
fn throttled(v: &str) -> Result<Vec<(String, crate::demo::devops::Throttle)>, ConfigError> {
    use crate::demo::devops::Throttle;
    let bad = |part: &str| {
        err(
            "DEMO_THROTTLE",
            format!("`{part}` is not `organization=near`, `=delayed` or `=blocked` (separated by commas)"),
        )
    };
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (org, how) = part.split_once('=').ok_or_else(|| bad(part))?;
            let throttle = match how.trim() {
                "near" => Throttle::Near { remaining: 5, limit: 200 },
                "delayed" => Throttle::Delayed { retry_after_secs: 1 },
                "blocked" => Throttle::Blocked { retry_after_secs: 30 },
                _ => return Err(bad(part)),
            };
            let org = org.trim();
            if org.is_empty() || !org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(bad(part));
            }
            Ok((org.to_string(), throttle))
        })
        .collect()
}

/// How the embedded demo identity provider behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSettings {
    /// Lifetime of the access tokens it issues, in seconds.
    pub access_token_ttl_secs: u64,
    /// The tenant segment of the authority the app uses (default: the demo tenant's id); e.g.
    /// `organizations` to exercise the multi-tenant issuer rule.
    pub authority_tenant: Option<String>,
    /// Where the demo identity provider keeps its signing key and client secret, so a restart
    /// signs nobody out: beside the SQLite session database (`{db}.demo`); `None` (kept in
    /// memory only) with the other stores, whose sessions do not outlive the process anyway
    /// or are shared by instances that each run their own demo stack.
    pub state_file: Option<std::path::PathBuf>,
    /// `DEMO_CLOCK`: the instant the demo stack (portal and stand-ins) starts its clock at, to
    /// show date rules such as the retirement of global PATs on both sides; the real time by default.
    pub clock: app::clock::Clock,
    /// `DEMO_WITHHOLD_SCOPES`: Azure DevOps permissions the demo identity provider leaves out of
    /// its access tokens, as a registration lacking them would: to show a missing permission.
    pub withheld_scopes: Vec<String>,
    /// `DEMO_THROTTLE`, `DEMO_EXTRA_ORGS`, `DEMO_EXTRA_TOKENS`, `DEMO_QUIRKS`: a busy Azure DevOps.
    pub busy: DemoBusy,
}

impl Default for DemoSettings {
    fn default() -> Self {
        DemoSettings {
            access_token_ttl_secs: 3600,
            authority_tenant: None,
            state_file: None,
            clock: app::clock::Clock::system(),
            withheld_scopes: Vec::new(),
            busy: DemoBusy::default(),
        }
    }
}
