//! The use cases that span the user's organizations: the inventory (a page of it, or all of it for an export) and bulk changes.

use app::error::ApiError;
use app::inventory::{BulkAction, BulkItem, BulkOutcome, BulkTarget, Inventory};
use app::ports::PatListQuery;
use http::request::Parts;

use super::bulk::{check_targets, new_expiry};
use super::export::{to_csv, to_json};
use super::inventory::{merge, page, Merged};
use super::orgs::check_continuation;
use super::pat_rules::MAX_SEARCH_CHARS;
use super::{PortalService, AZURE_DEVOPS};

/// The file formats of the inventory export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }
}

impl PortalService {
    /// Every organization's tokens matching the query, merged and sorted; the organizations that
    /// failed are in it with their reasons. Only a sign-in refused everywhere is an error.
    pub async fn inventory_all(&self, req: &Parts, query: &PatListQuery) -> Result<Merged, ApiError> {
        check_continuation(query.after.as_deref())?;
        if query.search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
            return Err(ApiError::invalid("search", "Search for at most 256 characters."));
        }
        let (session, id, token) = self.signed_in(req).await?;
        let read = self.reads.run(id, &token, self.orgs.member_orgs(id, &token)).await;
        let orgs = self.settle(&session, AZURE_DEVOPS, read).await?;
        let names = orgs.into_iter().map(|o| o.name).collect();
        let read = self
            .reads
            .run(id, &token, async { Ok(self.pats.across(&token, names, id, query.filter).await) })
            .await;
        let reads = self.settle(&session, AZURE_DEVOPS, read).await?;
        let refused_everywhere =
            !reads.is_empty() && reads.iter().all(|r| matches!(r.read, Err(ApiError::SessionExpired)));
        if refused_everywhere {
            return Err(self.refused_token(&session, AZURE_DEVOPS).await);
        }
        Ok(merge(&reads, query))
    }

    pub(super) async fn inventory_page(
        &self,
        req: &Parts,
        query: PatListQuery,
    ) -> Result<Inventory, ApiError> {
        let merged = self.inventory_all(req, &query).await?;
        page(merged, query.after.as_deref())
    }

    /// The whole inventory as a file (`csv` or `json`) and its file name.
    pub async fn export(
        &self,
        req: &Parts,
        query: &PatListQuery,
        format: ExportFormat,
    ) -> Result<(String, String), ApiError> {
        let merged = self.inventory_all(req, query).await?;
        let now = self.clock.now();
        let day = now.date();
        let text = match format {
            ExportFormat::Csv => to_csv(&merged).map_err(|e| {
                tracing::error!(error = %e, "the CSV export could not be written");
                ApiError::internal()
            })?,
            ExportFormat::Json => to_json(&merged, super::pat_rules::wire_time(now)).map_err(|e| {
                tracing::error!(error = %e, "the JSON export could not be written");
                ApiError::internal()
            })?,
        };
        Ok((text, format!("pat-inventory-{day}.{}", format.extension())))
    }

    pub(super) async fn preview_bulk(
        &self,
        req: &Parts,
        action: BulkAction,
        targets: Vec<BulkTarget>,
    ) -> Result<Vec<BulkItem>, ApiError> {
        check_targets(&targets)?;
        let to = new_expiry(action, self.clock.now())?;
        let (session, id, token) = self.signed_in(req).await?;
        let read = self
            .reads
            .run(id, &token, async { Ok(self.pats.preview(&token, id, action, targets, to).await) })
            .await;
        self.settle(&session, AZURE_DEVOPS, read).await
    }

    pub(super) async fn apply_bulk(
        &self,
        req: &Parts,
        action: BulkAction,
        targets: Vec<BulkTarget>,
    ) -> Result<Vec<BulkOutcome>, ApiError> {
        check_targets(&targets)?;
        let to = new_expiry(action, self.clock.now())?;
        self.may_change(req).await?;
        let (_, id, token) = self.signed_in(req).await?;
        let outcomes = self.pats.apply(&token, id, action, targets, to).await;
        let changed = outcomes.iter().filter(|o| o.error.is_none()).count();
        tracing::info!(action = ?action, changed, failed = outcomes.len() - changed, "bulk change applied");
        Ok(outcomes)
    }
}
