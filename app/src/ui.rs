//! Building blocks shared by the pages: the chosen organization, errors, toasts, the theme, and state kept in the browser.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::ApiError;
use crate::SignInLink;

/// The organization the URL names (`?org=`); `None` means the server's default.
pub fn use_org() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get("org").filter(|o| !o.is_empty())))
}

/// `path` with the organization added to its query, so links keep the chosen organization.
pub fn org_href(path: &str, org: Option<&str>) -> String {
    match org {
        Some(o) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}org={}", crate::encode_query_value(o))
        }
        None => path.to_string(),
    }
}

/// True once the page is hydrated: controls that need JavaScript are enabled only then.
#[derive(Clone, Copy)]
pub struct Hydrated(pub ReadSignal<bool>);

pub fn provide_hydrated() {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));
}

pub fn use_hydrated() -> ReadSignal<bool> {
    use_context::<Hydrated>().map(|h| h.0).unwrap_or_else(|| signal(false).0)
}

/// Said where a control needs JavaScript and the page was loaded without it.
#[component]
pub fn NeedsJs() -> impl IntoView {
    view! {
        <noscript>
            <p class="notice" data-testid="needs-js">
                "Creating, changing, rotating and revoking tokens needs JavaScript. Reading works without it."
            </p>
        </noscript>
    }
}

/// A loading placeholder with the shape of what is coming.
#[component]
pub fn Skeleton(#[prop(into)] label: String, #[prop(default = 3)] lines: usize) -> impl IntoView {
    view! {
        <div class="skeleton-block" aria-busy="true" role="status">
            <span class="visually-hidden">{label}</span>
            {(0..lines).map(|_| view! { <div class="skeleton line"></div> }).collect_view()}
        </div>
    }
}

/// Why a list or the dashboard is partial, or was slow because Azure DevOps asked the portal to
/// wait (the server's sentence); nothing when it is whole.
#[component]
pub fn ListNotice(notice: Option<String>) -> impl IntoView {
    notice.map(|n| view! { <p class="notice" role="status" data-testid="list-notice">{n}</p> })
}

/// An error as the user sees it: what happened, and what to do (sign in again, try again).
#[component]
pub fn ErrorPanel(error: ApiError, #[prop(optional)] retry: Option<Callback<()>>) -> impl IntoView {
    let retryable = matches!(
        error,
        ApiError::UpstreamUnavailable
            | ApiError::UpstreamFailed { .. }
            | ApiError::RateLimited { .. }
            | ApiError::Unreachable
            | ApiError::SessionsUnavailable
    );
    let not_found = matches!(error, ApiError::NotFound);
    let no_access = matches!(error, ApiError::NoAccess { .. });
    // A permission the app lacks is granted by the consent round trip of a sign-in.
    let grant = matches!(error, ApiError::PermissionMissing { .. });
    view! {
        <div class="error-panel" role="alert" data-testid="error">
            <p>{error.to_string()}</p>
            {error.needs_sign_in().then(|| view! { <SignInLink label="Sign in again" /> })}
            {grant.then(|| view! { <SignInLink label="Grant the permission" /> })}
            {retry.filter(|_| retryable).map(|r| view! {
                <button type="button" class="button secondary" on:click=move |_| r.run(())>"Try again"</button>
            })}
            {not_found.then(|| view! { <a href="/tokens">"Back to your tokens"</a> })}
            {no_access.then(|| view! { <a href="/orgs" data-testid="choose-org">"Choose another organization"</a> })}
        </div>
    }
}

/// Every page's error boundary, the backstop: an error rendered as an `Err` in the browser
/// replaces the page with an error panel instead of leaving it broken. Pages show the errors
/// of their own requests themselves, next to the request and with a retry for it: with Leptos
/// 0.8, a boundary that the server rendered as its fallback does not hydrate (the client
/// hydrates the children over it), so nothing the server renders may rely on it.
#[component]
pub fn PageBoundary(children: Children) -> impl IntoView {
    view! {
        <ErrorBoundary fallback=|errors| view! {
            <section class="page-error" data-testid="page-error">
                {move || errors.get().into_iter().map(|(_, e)| {
                    // Only ApiError crosses the server boundary; anything else is a bug of ours.
                    let error = e.downcast_ref::<ApiError>().cloned()
                        .unwrap_or_else(|| ApiError::Internal { reference: "page".into() });
                    view! { <ErrorPanel error=error /> }
                }).collect_view()}
            </section>
        }>
            {children()}
        </ErrorBoundary>
    }
}

/// What went wrong with one field of a form, shown next to it.
#[component]
pub fn FieldError(
    field: &'static str,
    error: Signal<Option<ApiError>>,
    /// The element id, when a page has the same field twice; `{field}-error` by default.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("{field}-error"));
    let message = move || match error.get() {
        Some(ApiError::InvalidInput { field: f, message }) if f == field => Some(message),
        _ => None,
    };
    // Always present, so the field's aria-describedby always points at something.
    view! {
        <p class="field-error" id=id aria-live="polite">{message}</p>
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ToastKind {
    Success,
    Failure,
}

#[derive(Clone, Debug)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
}

/// Short messages after an action: success or failure.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    pub fn push(&self, kind: ToastKind, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| l.push(Toast { id, kind, text: text.into() }));
        #[cfg(feature = "hydrate")]
        {
            let list = self.list;
            set_timeout(
                move || list.update(|l| l.retain(|t| t.id != id)),
                std::time::Duration::from_secs(if kind == ToastKind::Failure { 10 } else { 6 }),
            );
        }
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(ToastKind::Success, text);
    }

    pub fn failure(&self, text: impl Into<String>) {
        self.push(ToastKind::Failure, text);
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

pub fn provide_toasts() {
    provide_context(Toasts { list: RwSignal::new(Vec::new()), next: StoredValue::new(1) });
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Where toasts appear: announced politely by screen readers, failures assertively.
#[component]
pub fn Toaster() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.list.get() key=|t| t.id let:t>
                <div
                    class=if t.kind == ToastKind::Success { "toast ok" } else { "toast bad" }
                    role=if t.kind == ToastKind::Success { "status" } else { "alert" }
                >
                    <span>{t.text.clone()}</span>
                    <button type="button" class="toast-close" aria-label="Dismiss" on:click=move |_| toasts.dismiss(t.id)>
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}

/// Values kept in the browser across visits (gloo-storage): never anything secret.
pub mod stored {
    use serde::{de::DeserializeOwned, Deserialize, Serialize};

    use crate::model::{PatFilter, PatSort};

    pub const ORG: &str = "pat-portal.org";
    pub const THEME: &str = "pat-portal.theme";
    /// The reminder lead time in days (the dashboard and the calendar file).
    pub const LEAD: &str = "pat-portal.reminder-lead";
    const TOKENS_VIEW: &str = "pat-portal.tokens-view";

    /// The token table's filter and sort, as the person last chose them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TokensView {
        pub filter: PatFilter,
        pub sort: PatSort,
        pub desc: bool,
    }

    pub fn save_tokens_view(view: TokensView) {
        set(TOKENS_VIEW, &view);
    }

    /// None when nothing was saved, or what was saved no longer reads as a view.
    pub fn tokens_view() -> Option<TokensView> {
        get(TOKENS_VIEW)
    }

    #[cfg(feature = "hydrate")]
    pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::get::<T>(key).ok()
    }

    #[cfg(feature = "hydrate")]
    pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) {
        use gloo_storage::Storage;
        let _ = gloo_storage::LocalStorage::set(key, value);
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn get<T: DeserializeOwned>(_key: &str) -> Option<T> {
        None
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn set<T: Serialize + ?Sized>(_key: &str, _value: &T) {}
}

/// Light or dark: follows the system until the person chooses, then remembers the choice.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // None: follow the system.
    let theme = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if theme.get_untracked().is_none() {
            if let Some(saved) = stored::get::<String>(stored::THEME) {
                theme.set(Some(saved));
            }
        }
    });
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = document().document_element() {
            match theme.get() {
                Some(t) => {
                    let _ = root.set_attribute("data-theme", &t);
                }
                None => {
                    let _ = root.remove_attribute("data-theme");
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = theme.get();
    });
    let is_dark = move || match theme.get().as_deref() {
        Some("dark") => true,
        Some(_) => false,
        None => system_prefers_dark(),
    };
    let toggle = move |_| {
        let next = if is_dark() { "light" } else { "dark" };
        stored::set(stored::THEME, next);
        theme.set(Some(next.to_string()));
    };
    view! {
        <button
            type="button"
            class="button ghost theme-toggle"
            data-testid="theme-toggle"
            aria-pressed=move || is_dark().to_string()
            on:click=toggle
        >
            "Dark mode"
        </button>
    }
}

fn system_prefers_dark() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .map(|m| m.matches())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// Copies text to the clipboard (in the browser); answers whether it worked.
pub async fn copy_to_clipboard(text: String) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let promise = window().navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// A moment as a date that never wraps, with how far it is from now in words beside it
/// ("2027-06-27 · in 7 months"); `words` comes from the server (see [`crate::when`]).
#[component]
pub fn DateWhen(at: String, words: String) -> impl IntoView {
    let day = at.get(..10).unwrap_or(&at).to_string();
    let words = (!words.is_empty()).then(|| view! { <span class="rel">{words}</span> });
    view! {
        <span class="when"><time datetime=at>{day}</time>{words}</span>
    }
}
