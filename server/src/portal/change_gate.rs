//! Changing tokens needs the permission to manage them: a session signed in with reading only
//! (least privilege, the default) is told to ask for it, once, before anything is sent.

use app::error::ApiError;
use http::request::Parts;

use super::sign_in::session_of;
use super::PortalService;

impl PortalService {
    /// `Ok` when this session may change tokens; `ConsentNeeded` when it must be asked first.
    pub(super) async fn may_change(&self, req: &Parts) -> Result<(), ApiError> {
        if self.oidc.manage_scopes().is_empty() {
            return Ok(());
        }
        match self.accounts.load(&session_of(req)?).await? {
            None => Err(ApiError::NotSignedIn),
            Some(a) if a.can_manage => Ok(()),
            Some(_) => Err(ApiError::ConsentNeeded),
        }
    }
}
