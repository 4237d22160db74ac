//! Consent, as Entra ID keeps it for the demo app: which Azure DevOps permissions a user has
//! agreed to, and the page that asks for the ones they have not.
//!
//! Contoso's administrator granted the portal the reading permissions (`vso.pats`,
//! `vso.profile`, `vso.project`) for every user (admin consent); `vso.pats_manage` and
//! `user_impersonation` are left to each user, so the portal's first change asks for it
//! (incremental consent). Litware's administrator granted `user_impersonation` too, left over
//! from a classic set-up. As Entra does, an access token carries every permission of the
//! resource granted for the user, asked for or not: "encoded inside the access token is every
//! permission that your application is granted for that resource"
//! (<https://learn.microsoft.com/entra/identity-platform/consent-types-developer#using-permissions-after-consent>);
//! "if consent exists, the returned token contains all scopes granted for that resource for the
//! signed-in user" (<https://learn.microsoft.com/entra/identity-platform/scopes-oidc>). A
//! refresh may ask only for consented ones (otherwise `invalid_grant`, AADSTS65001).

use std::collections::BTreeSet;

use crate::reference::DEVOPS_RESOURCE;

use super::{EntraStandIn, LITWARE_TENANT};
use crate::escape_html;

/// Granted by a demo tenant's administrator for every user of the tenant.
fn admin_consented(tenant: &str) -> &'static [&'static str] {
    match tenant {
        LITWARE_TENANT => &["user_impersonation", "vso.pats", "vso.profile", "vso.project"],
        _ => &["vso.pats", "vso.profile", "vso.project"],
    }
}
/// The Azure DevOps permissions the demo registration lists (API permissions).
const REGISTERED: [&str; 7] = [
    "user_impersonation",
    "vso.graph",
    "vso.pats",
    "vso.pats_manage",
    "vso.profile",
    "vso.project",
    "vso.tokenadministration",
];

/// What each permission lets the app do, as the consent page says it.
fn describe(scope: &str) -> &'static str {
    match scope {
        "vso.pats_manage" => "Create, change and revoke your personal access tokens",
        "vso.pats" => "Read your personal access tokens",
        "vso.profile" => "Read your profile and organizations",
        "vso.project" => "Read your projects",
        "vso.graph" => "Read the users of your organizations",
        "vso.tokenadministration" => {
            "View and revoke the tokens of your organizations' users (administrators)"
        }
        _ => "Act as you in Azure DevOps",
    }
}

/// The Azure DevOps permissions named in a space-separated `scope` (qualified by the resource
/// id or its URI); `.default` stands for every registered one.
pub(super) fn devops_scopes(scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    for one in scope.split(' ') {
        let name = one
            .strip_prefix(DEVOPS_RESOURCE)
            .or_else(|| one.strip_prefix("https://app.vssps.visualstudio.com"))
            .and_then(|rest| rest.strip_prefix('/'));
        match name {
            Some(".default") => out.extend(REGISTERED.iter().map(|s| s.to_string())),
            Some(n) if !n.is_empty() => out.push(n.to_string()),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The first Azure DevOps permission asked for that the registration does not list.
pub(super) fn unregistered(scope: &str) -> Option<String> {
    devops_scopes(scope).into_iter().find(|s| !REGISTERED.contains(&s.as_str()))
}

impl EntraStandIn {
    /// What `user` (a demo user's key) has consented to, the administrator's grant included.
    fn consented(&self, user: &str) -> BTreeSet<String> {
        let mine = self.consents.lock().unwrap_or_else(|e| e.into_inner()).get(user).cloned();
        let tenant = self.users.iter().find(|u| u.key == user).map_or("", |u| u.tenant);
        admin_consented(tenant).iter().map(|s| s.to_string()).chain(mine.into_iter().flatten()).collect()
    }

    /// The permissions in `scope` that `user` still has to consent to.
    pub(super) fn missing_consent(&self, user: &str, scope: &str) -> Vec<String> {
        let have = self.consented(user);
        devops_scopes(scope).into_iter().filter(|s| !have.contains(s)).collect()
    }

    pub(super) fn grant_consent(&self, user: &str, scopes: &[String]) {
        let mut all = self.consents.lock().unwrap_or_else(|e| e.into_inner());
        all.entry(user.to_string()).or_default().extend(scopes.iter().cloned());
    }

    /// The permissions an access token carries: every one granted for the user (by the
    /// administrator or by the user), whatever `_scope` asked for, as Entra does; the ones asked
    /// for are granted before a token is issued (the consent page, or `invalid_grant`).
    pub(super) fn token_scopes(&self, user: &str, _scope: &str) -> Vec<String> {
        let withheld = self.withheld.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.consented(user).into_iter().filter(|s| !withheld.contains(s)).collect()
    }
}

impl EntraStandIn {
    /// Test-only: access tokens leave out `scope` (`on`) or carry it again, as when the app's
    /// registration lacks that API permission: sign-in succeeds, and Azure DevOps refuses the
    /// calls that need it.
    pub fn withhold_scope(&self, scope: &str, on: bool) {
        let mut w = self.withheld.lock().unwrap_or_else(|e| e.into_inner());
        if on {
            w.insert(scope.to_string());
        } else {
            w.remove(scope);
        }
    }

    /// Test-only: an access token for Azure DevOps for the demo user `user` (key) carrying
    /// exactly the scopes `scp`, as if consented.
    pub fn access_token_with(&self, user: &str, scp: &str) -> String {
        let u = self.users.iter().find(|u| u.key == user).unwrap_or(&self.users[0]);
        let now = crate::now_secs();
        self.current_key().sign(&serde_json::json!({
            "aud": DEVOPS_RESOURCE, "iss": self.issuer_for(u.tenant), "iat": now, "nbf": now,
            "exp": now + 600, "oid": u.oid, "tid": u.tenant, "sub": u.oid, "name": u.name,
            "upn": u.username, "scp": scp, "appid": self.client.client_id, "ver": "1.0",
        }))
    }
}

/// The consent page: what the app asks for, Accept or Cancel; the request rides along in `fields`.
pub(super) fn consent_page(fields: &str, user: &str, missing: &[String]) -> String {
    let items: String = missing
        .iter()
        .map(|s| format!("<li><strong>{}</strong> <code>{}</code></li>", describe(s), escape_html(s)))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Permissions requested (demo)</title><link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}}
main{{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem 2.5rem;box-shadow:0 2px 6px rgba(0,0,0,.2)}}
.tag{{display:inline-block;background:#fde7b0;color:#5c3c00;border-radius:3px;padding:0 .4rem;font-size:.8rem;font-weight:600}}
button{{padding:.5rem 1.25rem;font:inherit;cursor:pointer;margin-right:.5rem}} .accept{{background:#0067b8;color:#fff;border:1px solid #0067b8}}
.cancel{{background:#fff;border:1px solid #8a8886}} code{{font-size:.8rem;color:#444}}
</style></head><body><main>
<p><span class="tag">DEMO</span> Demo identity provider: a local stand-in for Microsoft Entra ID</p>
<h1>Permissions requested</h1>
<p><strong>DevOps token portal</strong> would like to, on Azure DevOps:</p>
<ul>{items}</ul>
<form method="post">{fields}<input type="hidden" name="user" value="{user}">
<button type="submit" name="consent" value="accept" class="accept">Accept</button>
<button type="submit" name="cancel" value="1" class="cancel">Cancel</button></form>
</main></body></html>"#,
        user = escape_html(user),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_from_qualified_names() {
        let r = DEVOPS_RESOURCE;
        let asked = format!("openid profile offline_access {r}/vso.pats {r}/vso.profile {r}/vso.pats_manage");
        assert_eq!(devops_scopes(&asked), ["vso.pats", "vso.pats_manage", "vso.profile"]);
        assert_eq!(devops_scopes(&format!("{r}/.default")).len(), REGISTERED.len());
        assert_eq!(unregistered(&format!("openid {r}/vso.code_full")).as_deref(), Some("vso.code_full"));
        assert_eq!(unregistered(&asked), None);
    }
}
