//! The reminder calendar as a download: the organization's working tokens, read under the same
//! bounds as every read, made into iCalendar text by `reminders`.

use app::error::ApiError;
use http::request::Parts;

use super::{pat_rules, reminders, PortalService};

impl PortalService {
    /// The reminder calendar of the organization (`.ics` text) and the organization's name: one
    /// event per token that still works, `lead` days (7 unless chosen) before it expires.
    pub async fn reminders(
        &self,
        req: &Parts,
        org: Option<String>,
        lead: Option<u32>,
    ) -> Result<(String, String), ApiError> {
        let lead_days = pat_rules::lead_days(lead)?;
        let c = self.begin_call(req, org).await?;
        let read = self.reads.run(c.id, &c.token, self.pats.working(&c.token, &c.org)).await;
        let tokens = self.settle(&c.session, &c.org, read).await?;
        let portal = self.public.for_request(req);
        let calendar = reminders::Calendar {
            organization: &c.org,
            tokens: &tokens,
            lead_days,
            now: self.clock.now(),
            portal: &portal,
        };
        Ok((calendar.to_ics(), c.org))
    }
}
