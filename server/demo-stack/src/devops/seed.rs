//! The tokens every demo user starts with (the same ids at every start, from the user's id).

use time::{Duration, OffsetDateTime};

use super::pats::StoredPat;

/// A realistic set of tokens for a demo user: mostly active, some expiring within a week,
/// some expired, some revoked; a quarter for all organizations, most of the others for
/// the first of the user's tenant's two organizations (`fabrikam-demo`) and a few for the second
/// (`contoso-demo`). The first user gets forty (36 of them in `fabrikam-demo`) so that paging shows.
/// `first` shifts which of the names (and so scopes) a user starts from: the large directory's
/// users differ from one another, the demo users start at the first.
pub(crate) fn seed(
    oid: &str,
    big: bool,
    now: OffsetDateTime,
    orgs: [&str; 2],
    first: usize,
) -> Vec<StoredPat> {
    // Scopes from across the documented catalogue, one retired scope (Load Test) that the
    // portal has no name for, and full access.
    const NAMES: [(&str, &str); 12] = [
        ("CI pipeline", "vso.build_execute vso.code"),
        ("Build agent", "vso.agentpools_manage"),
        ("Git push from laptop", "vso.code_write"),
        ("Deployment connection", "vso.serviceendpoint_manage vso.environment_manage"),
        ("Analytics export", "vso.analytics vso.work"),
        ("npm publish", "vso.packaging_write"),
        ("Load test runner", "vso.loadtest vso.build"),
        ("Boards sync", "vso.work_write"),
        ("Backup script", "vso.code vso.work"),
        ("Admin full access", "app_token"),
        ("Secure files reader", "vso.securefiles_read vso.taskgroups_read"),
        ("Advanced Security alerts", "vso.advsec vso.graph"),
    ];
    let count = if big { 40 } else { 8 };
    (0..count)
        .map(|i| {
            let (base, scope) = NAMES[(i + first) % NAMES.len()];
            let name =
                if i < NAMES.len() { base.to_string() } else { format!("{base} {}", i / NAMES.len() + 1) };
            // Every ninth revoked; a few expired; three expiring within 7 days; the rest months away.
            let (from_days, to_days, revoked): (i64, i64, bool) = match i % 9 {
                0 if i > 0 => (-120, 60, true),
                1 => (-200, -10 - i as i64, false),
                2 if i < 27 => (-80, 2 + (i as i64 % 5), false),
                _ => (-30 - i as i64, 30 + 9 * i as i64, false),
            };
            let org = match i {
                _ if i % 4 == 0 => None,
                _ if i % 10 == 7 => Some(orgs[1]),
                _ => Some(orgs[0]),
            };
            StoredPat {
                id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{oid}:{i}").as_bytes())
                    .to_string(),
                name,
                scope: scope.to_string(),
                valid_from: now + Duration::days(from_days),
                valid_to: now + Duration::days(to_days),
                org: org.map(str::to_string),
                revoked,
            }
        })
        .collect()
}
