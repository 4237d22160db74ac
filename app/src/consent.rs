//! The browser's half of the incremental consent (least privilege, issue 14): a change refused
//! with [`ApiError::ConsentNeeded`] sends the browser to ask Entra ID for the permission to
//! change tokens, and back to the same page. What the form held goes with it in this tab's
//! session storage (names, scopes, dates, a selection: never a secret), keyed by the page's path,
//! and the form takes it back when the page loads again.

use serde::{de::DeserializeOwned, Serialize};

use crate::error::ApiError;
use crate::routes::CONSENT_REFUSED_PARAM;

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

/// The form field the consent round trip comes back to (a path and query of the portal).
pub const RETURN_TO_FIELD: &str = "return_to";

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

/// Posts the consent form, as a top-level navigation, with this page (without an earlier
/// consent answer) to come back to: a POST from the portal's own page (issue 29, item 3).
#[cfg(feature = "hydrate")]
fn go() {
    use wasm_bindgen::JsCast;
    let window = leptos::prelude::window();
    let location = window.location();
    let path = location.pathname().unwrap_or_else(|_| "/".into());
    let search = without_answer(&location.search().unwrap_or_default());
    let Some(document) = window.document() else { return };
    let (Ok(form), Ok(field), Some(body)) =
        (document.create_element("form"), document.create_element("input"), document.body())
    else {
        return;
    };
    let (form, field) = (
        form.unchecked_into::<web_sys::HtmlFormElement>(),
        field.unchecked_into::<web_sys::HtmlInputElement>(),
    );
    form.set_method("post");
    form.set_action(crate::routes::CONSENT);
    field.set_type("hidden");
    field.set_name(RETURN_TO_FIELD);
    field.set_value(&format!("{path}{search}"));
    let _ = form.append_child(&field);
    let _ = body.append_child(&form);
    let _ = form.submit();
}

#[cfg(not(feature = "hydrate"))]
fn go() {}

/// How long a kept draft may wait for its consent round trip (issue 29: it outlived sign-out).
pub const DRAFT_LIFETIME_MS: f64 = 15.0 * 60.0 * 1000.0;

/// A kept draft and whose it is: the page (path and query, without a consent answer), the
/// signed-in user, and when it was kept.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept<D> {
    place: String,
    user: String,
    kept_at_ms: f64,
    draft: D,
}

/// Whether a draft kept at `place` by `user` at `kept_at_ms` belongs to this page and this user now.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn fits(kept: (&str, &str, f64), place: &str, user: &str, now_ms: f64) -> bool {
    let (kept_place, kept_user, kept_at) = kept;
    kept_place == place
        && kept_user == user
        && !user.is_empty()
        && (0.0..DRAFT_LIFETIME_MS).contains(&(now_ms - kept_at))
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// Who is signed in on this page (tenant and user name), set once the page is hydrated.
    static USER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Tells the drafts who is signed in on this page (`None`: nobody).
pub fn set_user(who: Option<String>) {
    #[cfg(feature = "hydrate")]
    USER.with(|u| *u.borrow_mut() = who.unwrap_or_default());
    #[cfg(not(feature = "hydrate"))]
    let _ = who;
}

/// How a draft names its user: tenant and user name.
pub fn user_key(me: &crate::model::Me) -> String {
    format!("{}|{}", me.tenant_id, me.username)
}

/// Who is signed in: from the page's viewer where a component asks (a page restoring its
/// draft), else as the hydrated page said (an event handler keeping one).
#[cfg(feature = "hydrate")]
fn user() -> String {
    use leptos::prelude::*;
    let viewer = use_context::<crate::MeResource>().and_then(|me| me.get_untracked()).and_then(|v| v.ok());
    match viewer {
        Some(v) => v.user.as_ref().map(user_key).unwrap_or_default(),
        None => USER.with(|u| u.borrow().clone()),
    }
}

#[cfg(feature = "hydrate")]
fn place() -> String {
    let location = leptos::prelude::window().location();
    let search = without_answer(&location.search().unwrap_or_default());
    format!("{}{search}", location.pathname().unwrap_or_default())
}

/// Keeps what a form holds, in case the change it submits needs the consent round trip.
pub fn keep_draft<D: Serialize>(draft: &D) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let kept = Kept { place: place(), user: user(), kept_at_ms: js_sys::Date::now(), draft };
        let _ = gloo_storage::SessionStorage::set(DRAFT, kept);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = draft;
}

/// Forgets the kept draft (the change went through, failed for another reason, or the person
/// signs out).
pub fn drop_draft() {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::SessionStorage::delete(DRAFT);
    }
}

/// The draft kept on this page by this user within the last 15 minutes, taken once; any other
/// is dropped.
pub fn take_draft<D: DeserializeOwned>() -> Option<D> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let kept: Kept<D> = gloo_storage::SessionStorage::get(DRAFT).ok()?;
        drop_draft();
        fits((&kept.place, &kept.user, kept.kept_at_ms), &place(), &user(), js_sys::Date::now())
            .then_some(kept.draft)
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
    fn a_draft_comes_back_only_to_its_page_its_user_and_within_fifteen_minutes() {
        let kept = ("/tokens/new?org=contoso-demo", "t|adele", 1_000.0);
        assert!(fits(kept, "/tokens/new?org=contoso-demo", "t|adele", 1_000.0 + 60_000.0));
        assert!(!fits(kept, "/tokens/new", "t|adele", 2_000.0), "another query");
        assert!(!fits(kept, "/tokens/new?org=contoso-demo", "t|megan", 2_000.0), "another user");
        assert!(!fits(kept, "/tokens/new?org=contoso-demo", "", 2_000.0), "signed out");
        assert!(
            !fits(kept, "/tokens/new?org=contoso-demo", "t|adele", 1_000.0 + DRAFT_LIFETIME_MS),
            "too old"
        );
    }

    #[test]
    fn the_round_trip_returns_to_the_page_without_an_earlier_answer() {
        assert_eq!(without_answer("?org=contoso-demo&consent=refused"), "?org=contoso-demo");
        assert_eq!(without_answer("?consent=refused"), "");
        assert_eq!(without_answer(""), "");
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
