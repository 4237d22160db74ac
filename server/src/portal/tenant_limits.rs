//! What the portal learned of each tenant's PAT policies from Azure DevOps' answers: the
//! maximum lifetime, once a new token's expiry was cut to it. "Enforce maximum personal access
//! token lifespan" is a tenant policy that no API reads; a cut tells it
//! (`specification/tokens/7.2/tokens.json`, `PatTokenCreateRequest.validTo`: "it will return back
//! a PAT with a validTo date equal to the current date + maximum allowed lifespan").
//! Kept in this instance's memory, per tenant id, never per user.

use std::collections::HashMap;
use std::sync::Mutex;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// At most this many tenants are remembered; past it, the oldest knowledge goes first.
const MAX_TENANTS: usize = 10_000;

#[derive(Default)]
pub struct TenantLimits {
    /// Tenant id → (maximum lifetime in days, the order it was learned in).
    known: Mutex<HashMap<String, (u32, u64)>>,
    learned: std::sync::atomic::AtomicU64,
}

impl TenantLimits {
    /// Learns the maximum from a token Azure DevOps created with a shorter expiry than asked:
    /// the days from its creation to the expiry granted.
    pub fn learn(&self, tenant: &str, valid_from: &str, granted: &str) {
        let (Ok(from), Ok(to)) =
            (OffsetDateTime::parse(valid_from, &Rfc3339), OffsetDateTime::parse(granted, &Rfc3339))
        else {
            return;
        };
        let Ok(days) = u32::try_from((to.date() - from.date()).whole_days()) else { return };
        if tenant.is_empty() || days == 0 {
            return;
        }
        let order = self.learned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_TENANTS && !known.contains_key(tenant) {
            if let Some(oldest) = known.iter().min_by_key(|(_, (_, at))| *at).map(|(t, _)| t.clone()) {
                known.remove(&oldest);
            }
        }
        known.insert(tenant.to_string(), (days, order));
    }

    /// The tenant's maximum lifetime in days, if a cut told it.
    pub fn max_lifetime_days(&self, tenant: &str) -> Option<u32> {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).get(tenant).map(|(d, _)| *d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_tells_the_tenants_maximum_and_the_latest_wins() {
        let limits = TenantLimits::default();
        assert_eq!(limits.max_lifetime_days("t"), None);
        limits.learn("t", "2026-12-08T10:00:00Z", "2027-03-08T23:59:59Z");
        assert_eq!(limits.max_lifetime_days("t"), Some(90));
        limits.learn("t", "2026-12-08T10:00:00Z", "2026-12-38T00:00:00Z");
        assert_eq!(limits.max_lifetime_days("t"), Some(90), "an unreadable date teaches nothing");
        limits.learn("t", "2026-12-08T10:00:00Z", "2027-01-07T23:59:59Z");
        assert_eq!(limits.max_lifetime_days("t"), Some(30), "the policy changed");
        assert_eq!(limits.max_lifetime_days("other"), None);
    }

    #[test]
    fn memory_is_bounded() {
        let limits = TenantLimits::default();
        for i in 0..MAX_TENANTS + 5 {
            limits.learn(&format!("t{i}"), "2026-12-08T10:00:00Z", "2027-01-07T23:59:59Z");
        }
        assert!(limits.known.lock().unwrap().len() <= MAX_TENANTS);
        assert_eq!(limits.max_lifetime_days("t0"), None, "the oldest went first");
        assert_eq!(limits.max_lifetime_days(&format!("t{}", MAX_TENANTS + 4)), Some(30));
    }
}
