//! The server calls that change a token, and the toasts and navigation that report their outcome.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{reissue_pat, revoke_pat, rotate_pat, update_pat};
use crate::consent;
use crate::error::ApiError;
use crate::model::{CreatedPat, Expiry, PatChanges, Rotated, Saved};
use crate::ui::{org_href, use_hydrated, use_toasts, Toasts};

type UpdateAction = Action<(String, PatChanges), Result<Saved, ApiError>>;
type RevokeAction = Action<String, Result<(), ApiError>>;
type RotateAction = Action<(String, Expiry), Result<Rotated, ApiError>>;
type ReissueAction = Action<(String, Expiry), Result<CreatedPat, ApiError>>;

/// The server calls of one token's page.
#[derive(Clone, Copy)]
pub(super) struct TokenCalls {
    pub(super) update: UpdateAction,
    pub(super) revoke: RevokeAction,
    pub(super) rotate: RotateAction,
    pub(super) reissue: ReissueAction,
    hydrated: ReadSignal<bool>,
}

impl TokenCalls {
    /// The calls in organization `org`; a rotation's new token goes to `rotated`, and `on_change`
    /// runs after a save or a rotation.
    pub(super) fn new(
        org: Memo<Option<String>>,
        rotated: RwSignal<Option<CreatedPat>>,
        on_change: Callback<()>,
    ) -> Self {
        let update = Action::new(move |(id, changes): &(String, PatChanges)| {
            let (id, changes, org) = (id.clone(), changes.clone(), org.get_untracked());
            async move { update_pat(org, id, changes).await }
        });
        let revoke = Action::new(move |id: &String| {
            let (id, org) = (id.clone(), org.get_untracked());
            async move { revoke_pat(org, id).await }
        });
        let rotate = Action::new(move |(id, expiry): &(String, Expiry)| {
            let (id, expiry, org) = (id.clone(), expiry.clone(), org.get_untracked());
            async move { rotate_pat(org, id, expiry).await }
        });
        let reissue = Action::new(move |(id, expiry): &(String, Expiry)| {
            let (id, expiry, org) = (id.clone(), expiry.clone(), org.get_untracked());
            async move { reissue_pat(org, id, expiry).await }
        });
        let toasts = use_toasts();
        report_update(update, toasts, on_change);
        report_revoke(revoke, toasts, org);
        report_rotate(rotate, toasts, rotated, on_change);
        report_reissue(reissue, toasts, rotated);
        Self { update, revoke, rotate, reissue, hydrated: use_hydrated() }
    }

    /// Before hydration or while a call runs, the buttons are disabled.
    pub(super) fn busy(self) -> bool {
        !self.hydrated.get()
            || self.update.pending().get()
            || self.revoke.pending().get()
            || self.rotate.pending().get()
            || self.reissue.pending().get()
    }
}

fn report_update(update: UpdateAction, toasts: Toasts, on_change: Callback<()>) {
    Effect::new(move |_| match update.value().get() {
        Some(Ok(Saved { token: t, cut })) => {
            consent::drop_draft();
            let saved = format!(
                "Saved “{}”, valid until {}.",
                t.display_name,
                t.valid_to.get(..10).unwrap_or_default()
            );
            match cut {
                Some(cut) => toasts.failure(format!("{saved} {}", cut.explain())),
                None => toasts.success(saved),
            }
            on_change.run(());
        }
        Some(Err(e)) if consent::follow(&e) => {}
        Some(Err(e)) => {
            consent::drop_draft();
            toasts.failure(format!("Not saved: {e}"));
        }
        None => {}
    });
}

/// A revoked token leaves its page for the list of revoked tokens.
fn report_revoke(revoke: RevokeAction, toasts: Toasts, org: Memo<Option<String>>) {
    let navigate = use_navigate();
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => {
            toasts.success("Token revoked: it no longer works.");
            navigate(&org_href("/tokens?filter=revoked", org.get_untracked().as_deref()), Default::default());
        }
        Some(Err(e)) if consent::follow(&e) => {}
        Some(Err(e)) => {
            consent::drop_draft();
            toasts.failure(format!("Not revoked: {e}"));
        }
        None => {}
    });
}

/// A rotation's new token goes to `rotated`, for the page to show its secret.
fn report_rotate(
    rotate: RotateAction,
    toasts: Toasts,
    rotated: RwSignal<Option<CreatedPat>>,
    on_change: Callback<()>,
) {
    Effect::new(move |_| match rotate.value().get() {
        Some(Ok(r)) => {
            consent::drop_draft();
            if r.old_revoked {
                toasts.success("Rotated: the new token is ready and the old one is revoked.");
            } else {
                toasts.failure(format!(
                    "The new token is ready, but the old one could not be revoked and still works: {}",
                    r.revoke_problem.clone().unwrap_or_default()
                ));
            }
            rotated.set(Some(r.created));
            rotate.value().set(None);
            on_change.run(());
        }
        Some(Err(e)) if consent::follow(&e) => {}
        Some(Err(e)) => {
            consent::drop_draft();
            toasts.failure(format!("Not rotated: {e}"));
        }
        None => {}
    });
}

/// A re-issued token goes to `rotated` too, for the page to show its secret.
fn report_reissue(reissue: ReissueAction, toasts: Toasts, rotated: RwSignal<Option<CreatedPat>>) {
    Effect::new(move |_| match reissue.value().get() {
        Some(Ok(created)) => {
            consent::drop_draft();
            toasts.success(format!("Re-issued: “{}” is ready.", created.token.display_name));
            rotated.set(Some(created));
            reissue.value().set(None);
        }
        Some(Err(e)) if consent::follow(&e) => {}
        Some(Err(e)) => {
            consent::drop_draft();
            toasts.failure(format!("Not re-issued: {e}"));
        }
        None => {}
    });
}
