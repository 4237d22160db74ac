//! The inventory across organizations: every organization's list, read a few at a time, merged into one table (global tokens once), searched, sorted and paged here; each organization that failed is kept with its reason.

use app::error::ApiError;
use app::inventory::{Inventory, InventoryRow, OrgFailure};
use app::model::{PatSort, PatStatus, PatSummary};
use app::ports::PatListQuery;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Rows per page, as in one organization's table.
const PAGE_SIZE: usize = 20;

/// What one organization answered, and why its list is partial when it is.
#[derive(Debug, Clone)]
pub struct OrgRead {
    pub org: String,
    pub read: Result<Vec<PatSummary>, ApiError>,
    pub note: Option<String>,
}

impl From<(&str, Result<Vec<PatSummary>, ApiError>)> for OrgRead {
    fn from((org, read): (&str, Result<Vec<PatSummary>, ApiError>)) -> Self {
        OrgRead { org: org.to_string(), read, note: None }
    }
}

/// Why an organization that refused the sign-in is shown as a failure while others answered.
const REFUSED_HERE: &str =
    "Azure DevOps did not accept your sign-in for this organization. It may be connected \
     to another Microsoft Entra tenant than the one you signed in to.";

/// Every matching row of every organization that answered, sorted, and the organizations that
/// did not, in the order the reads were given.
pub struct Merged {
    pub organizations: Vec<String>,
    pub rows: Vec<InventoryRow>,
    pub failures: Vec<OrgFailure>,
    /// Why the reads were slow, when Azure DevOps asked the portal to slow down or wait.
    pub notice: Option<String>,
}

/// Merges the organizations' reads: a token listed by several organizations (a global one) once,
/// read through the first; only names containing the search; sorted as asked.
/// An organization read only in part is listed with what was read, and with a line saying what
/// was not (in `failures`, which the page shows as "Not read: …").
pub fn merge(reads: &[OrgRead], query: &PatListQuery) -> Merged {
    let needle = query.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let mut merged =
        Merged { organizations: Vec::new(), rows: Vec::new(), failures: Vec::new(), notice: None };
    let mut seen = std::collections::HashSet::new();
    for OrgRead { org, read, note } in reads {
        let org = org.clone();
        merged.organizations.push(org.clone());
        if let Some(note) = note {
            let error = ApiError::UpstreamFailed { message: note.clone() };
            merged.failures.push(OrgFailure { organization: org.clone(), error });
        }
        let tokens = match read.clone() {
            Ok(tokens) => tokens,
            Err(error) => {
                let error = match error {
                    ApiError::SessionExpired | ApiError::NotSignedIn => {
                        ApiError::NoAccess { organization: org.clone(), reason: REFUSED_HERE.into() }
                    }
                    e => e.in_org(&org),
                };
                merged.failures.push(OrgFailure { organization: org, error });
                continue;
            }
        };
        for token in tokens {
            if !seen.insert(token.authorization_id.clone()) {
                continue;
            }
            if needle.as_ref().is_some_and(|n| !token.display_name.to_lowercase().contains(n)) {
                continue;
            }
            let organization = token.target_accounts.is_some().then(|| org.clone());
            merged.rows.push(InventoryRow { organization, via: org.clone(), token });
        }
    }
    sort_rows(&mut merged.rows, query.sort, query.descending);
    merged
}

/// The page of `merged` that starts at `after` (a row position; the first page when `None`).
pub fn page(merged: Merged, after: Option<&str>) -> Result<Inventory, ApiError> {
    let start = match after {
        None => 0,
        Some(a) => a.parse::<usize>().map_err(|_| {
            ApiError::invalid("after", "The page link is not valid: go back to the first page.")
        })?,
    };
    let total = merged.rows.len();
    let end = total.min(start.saturating_add(PAGE_SIZE));
    let tokens = merged.rows.into_iter().skip(start).take(PAGE_SIZE).collect();
    Ok(Inventory {
        organizations: merged.organizations,
        tokens,
        failures: merged.failures,
        total: u32::try_from(total).unwrap_or(u32::MAX),
        next: (end < total).then(|| end.to_string()),
        notice: merged.notice,
    })
}

/// Name: alphabetical; valid to: by date; status: soonest trouble first, then by date. Ties in
/// organization order, so that a page is the same at every read.
fn sort_rows(rows: &mut [InventoryRow], sort: PatSort, descending: bool) {
    let when = |r: &InventoryRow| OffsetDateTime::parse(&r.token.valid_to, &Rfc3339).ok();
    let rank = |s: PatStatus| match s {
        PatStatus::ExpiringSoon => 0,
        PatStatus::Active => 1,
        PatStatus::Expired => 2,
        PatStatus::Revoked => 3,
    };
    match sort {
        PatSort::Name => rows.sort_by_cached_key(|r| (r.token.display_name.to_lowercase(), r.via.clone())),
        PatSort::ValidTo => rows.sort_by_cached_key(|r| (when(r), r.via.clone())),
        PatSort::Status => rows.sort_by_cached_key(|r| (rank(r.token.status), when(r), r.via.clone())),
    }
    if descending {
        rows.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::PatFilter;

    fn token(id: &str, name: &str, to: &str, global: bool) -> PatSummary {
        PatSummary {
            authorization_id: id.into(),
            display_name: name.into(),
            scopes: vec!["vso.code".into()],
            valid_from: "2026-01-01T00:00:00Z".into(),
            valid_to: to.into(),
            expires: String::new(),
            target_accounts: (!global).then(|| vec!["account-id".into()]),
            status: PatStatus::Active,
            global: None,
        }
    }

    fn query(sort: PatSort, search: Option<&str>) -> PatListQuery {
        PatListQuery {
            filter: PatFilter::Active,
            sort,
            search: search.map(str::to_string),
            ..PatListQuery::default()
        }
    }

    fn reads() -> Vec<OrgRead> {
        let global = token("g", "Global reader", "2027-03-01T00:00:00Z", true);
        vec![
            ("fabrikam", Ok(vec![token("a", "build", "2027-05-01T00:00:00Z", false), global.clone()])).into(),
            ("northwind", Err(ApiError::UpstreamUnavailable)).into(),
            ("contoso", Ok(vec![token("b", "Analytics", "2027-01-01T00:00:00Z", false), global])).into(),
            ("woodgrove", Err(ApiError::SessionExpired)).into(),
        ]
    }

    #[test]
    fn a_global_token_is_listed_once_and_failures_keep_their_organization() {
        let m = merge(&reads(), &query(PatSort::Name, None));
        assert_eq!(m.organizations, ["fabrikam", "northwind", "contoso", "woodgrove"]);
        let names: Vec<_> = m.rows.iter().map(|r| r.token.display_name.as_str()).collect();
        assert_eq!(names, ["Analytics", "build", "Global reader"]);
        let global = &m.rows[2];
        assert_eq!((global.organization.as_deref(), global.via.as_str()), (None, "fabrikam"));
        assert_eq!(m.rows[0].organization.as_deref(), Some("contoso"));
        assert_eq!(m.failures.len(), 2);
        assert_eq!(m.failures[0].organization, "northwind");
        assert_eq!(m.failures[0].error, ApiError::UpstreamUnavailable);
        assert!(
            matches!(&m.failures[1].error, ApiError::NoAccess { organization, .. } if organization == "woodgrove"),
            "a refused sign-in in one organization is no access there, not a sign-in for all"
        );
    }

    #[test]
    fn search_sort_and_paging_apply_across_organizations() {
        let m = merge(&reads(), &query(PatSort::ValidTo, Some("  A ")));
        let ids: Vec<_> = m.rows.iter().map(|r| r.token.authorization_id.as_str()).collect();
        assert_eq!(ids, ["b", "g"], "names containing “a”, soonest first");
        let mut q = query(PatSort::ValidTo, None);
        q.descending = true;
        let ids: Vec<_> = merge(&reads(), &q).rows.iter().map(|r| r.token.authorization_id.clone()).collect();
        assert_eq!(ids, ["a", "g", "b"]);

        let many: Vec<PatSummary> = (0..45)
            .map(|i| token(&format!("t{i:02}"), &format!("t{i:02}"), "2027-01-01T00:00:00Z", false))
            .collect();
        let merged = || merge(&[("fabrikam", Ok(many.clone())).into()], &query(PatSort::Name, None));
        let first = page(merged(), None).unwrap();
        assert_eq!((first.tokens.len(), first.total, first.next.as_deref()), (20, 45, Some("20")));
        let last = page(merged(), Some("40")).unwrap();
        assert_eq!((last.tokens.len(), last.next), (5, None));
        assert_eq!(last.tokens[0].token.display_name, "t40");
        assert!(matches!(page(merged(), Some("x")), Err(ApiError::InvalidInput { .. })));
        assert!(page(merged(), Some("900")).unwrap().tokens.is_empty());
    }
}
