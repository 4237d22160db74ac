//! The use cases that span the user's organizations: the inventory (a page of it, or all of it for an export) and bulk changes.

use app::error::ApiError;
use app::inventory::{BulkAction, BulkChange, BulkPlan, BulkProgress, BulkTarget, Inventory};
use app::ports::PatListQuery;
use http::request::Parts;

use super::bulk::{check_change, check_targets, new_expiry};
use super::bulk_task::BulkJob;
use super::change_gate::user_key;
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
        let mut merged = merge(&reads, query);
        // Said once for the whole table: the organizations read are paced together, per user.
        merged.notice = reads.iter().find_map(|r| self.pats.slowdown(&token, &r.org));
        Ok(merged)
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
    ) -> Result<BulkPlan, ApiError> {
        check_targets(&targets)?;
        // Fixed now: the change applies this instant, whenever it is applied (a retry included).
        let to = new_expiry(action, self.clock.now())?;
        let (session, id, token) = self.signed_in(req).await?;
        let read = self
            .reads
            .run(id, &token, async { Ok(self.pats.preview(&token, id, action, targets, to).await) })
            .await;
        let items = self.settle(&session, AZURE_DEVOPS, read).await?;
        Ok(BulkPlan { action, items, until: to.map(super::pat_rules::wire_time) })
    }

    /// Starts a bulk change as a task of its own (`bulk_task`): the answer is its progress so far.
    pub(super) async fn apply_bulk(
        &self,
        req: &Parts,
        change: BulkChange,
        targets: Vec<BulkTarget>,
    ) -> Result<BulkProgress, ApiError> {
        check_targets(&targets)?;
        let change = check_change(&change, self.clock.now())?;
        let account = self.may_manage(req).await?;
        let (session, id, _) = self.signed_in(req).await?;
        let running = self.bulk.start(id, targets.len())?;
        let started = running.progress();
        let job = BulkJob {
            pats: self.pats.clone(),
            tokens: self.tokens.clone(),
            changes: self.changes.clone(),
            session,
            id,
            user: user_key(&account),
            change,
            targets,
            deadline: self.bulk_deadline,
        };
        tracing::info!(change = ?job.change, targets = job.targets.len(), "bulk change started");
        tokio::spawn(job.run(running));
        Ok(started)
    }

    /// This session's bulk change, running or lately finished.
    pub(super) async fn bulk_progress_of(&self, req: &Parts) -> Result<Option<BulkProgress>, ApiError> {
        let (_, id, _) = self.signed_in(req).await?;
        Ok(self.bulk.progress(id))
    }
}
