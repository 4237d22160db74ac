//! The browser's half of the incremental consent (least privilege, issue 14): a change refused
//! with [`ApiError::ConsentNeeded`] sends the browser to ask Entra ID for the permission to
//! change tokens, and back to the same page. What the form held goes with it in this tab's
//! session storage (names, scopes, dates, a selection: never a secret), keyed by the page's path,
//! and the form takes it back when the page loads again.

use serde::{de::DeserializeOwned, Serialize};

use crate::error::ApiError;
use crate::routes::{CONSENT, CONSENT_REFUSED_PARAM};

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const DRAFT: &str = "pat-portal.draft";

/// When `error` asks for consent, goes to ask for it (true); otherwise false.
pub fn follow(error: &ApiError) -> bool {
    if *error != ApiError::ConsentNeeded {
        return false;
    }
    go();
    true
}

/// The consent round trip's URL, back to `path_and_query`.
pub fn href(path_and_query: &str) -> String {
    format!("{CONSENT}?return_to={}", crate::encode_query_value(path_and_query))
}

/// `search` (`?a=1&consent=refused`) without the consent answer of an earlier round trip.
pub fn without_answer(search: &str) -> String {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&format!("{CONSENT_REFUSED_PARAM}=")))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

#[cfg(feature = "hydrate")]
fn go() {
    let location = leptos::prelude::window().location();
    let path = location.pathname().unwrap_or_else(|_| "/".into());
    let search = without_answer(&location.search().unwrap_or_default());
    let _ = location.assign(&href(&format!("{path}{search}")));
}

#[cfg(not(feature = "hydrate"))]
fn go() {}

#[cfg(feature = "hydrate")]
fn path() -> String {
    leptos::prelude::window().location().pathname().unwrap_or_default()
}

/// Keeps what a form holds, in case the change it submits needs the consent round trip.
pub fn keep_draft<D: Serialize>(draft: &D) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let _ = gloo_storage::SessionStorage::set(DRAFT, (path(), draft));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = draft;
}

/// Forgets the kept draft (the change went through, or failed for another reason).
pub fn drop_draft() {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::SessionStorage::delete(DRAFT);
    }
}

/// The draft kept on this page before a consent round trip, taken once.
pub fn take_draft<D: DeserializeOwned>() -> Option<D> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let (at, draft): (String, D) = gloo_storage::SessionStorage::get(DRAFT).ok()?;
        (at == path()).then(|| {
            drop_draft();
            draft
        })
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Puts a draft of this page back into `value` once the page is hydrated (a single value: the
/// expiry picked on a rotation or a re-issue).
pub fn restore_into<D: DeserializeOwned + Send + Sync + 'static>(value: leptos::prelude::RwSignal<D>) {
    use leptos::prelude::*;
    Effect::new(move |_| {
        if let Some(d) = take_draft::<D>() {
            value.set(d);
        }
    });
}

/// What the page says when it comes back from a consent round trip without the permission.
pub fn answer_text(answer: &str) -> String {
    match answer {
        "refused" => "You did not allow the portal to change your tokens, so nothing changed. Reading still works; \
                      your form is as you left it: submit it again to be asked once more."
            .into(),
        "other_account" => "The permission was granted by another account than the one signed in here, so it was \
                            not used and nothing changed. Submit again and choose this account."
            .into(),
        code => format!(
            "Your organization did not let you grant the permission to change tokens ({}), so nothing changed. \
             An administrator can grant it for everyone (admin consent for vso.pats_manage).",
            crate::routes::idp_code(code).unwrap_or("no code")
        ),
    }
}

/// Says, on any page, that a consent round trip came back without the permission (`?consent=`).
#[leptos::component]
pub fn ConsentAnswer() -> impl leptos::IntoView {
    use leptos::prelude::*;
    let query = leptos_router::hooks::use_query_map();
    move || {
        query.with(|q| q.get(CONSENT_REFUSED_PARAM)).map(|a| {
            view! { <p class="notice consent-answer" role="status" data-testid="consent-answer">{answer_text(&a)}</p> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_round_trip_returns_to_the_page_without_an_earlier_answer() {
        assert_eq!(without_answer("?org=contoso-demo&consent=refused"), "?org=contoso-demo");
        assert_eq!(without_answer("?consent=refused"), "");
        assert_eq!(without_answer(""), "");
        assert_eq!(href("/tokens/new?org=a b"), "/auth/consent?return_to=/tokens/new%3Forg%3Da%20b");
    }

    #[test]
    fn every_answer_says_nothing_changed() {
        for a in ["refused", "other_account", "AADSTS90094", "<script>"] {
            assert!(answer_text(a).contains("nothing changed"), "{a}");
        }
        assert!(answer_text("AADSTS90094").contains("AADSTS90094"));
        assert!(!answer_text("<script>").contains("<script>"));
    }
}
