//! The metrics' names and their meaning (the `# HELP` lines; the README's table says the same).

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};

pub const HTTP_REQUESTS: &str = "portal_http_requests_total";
pub const HTTP_DURATION: &str = "portal_http_request_duration_seconds";
pub const UPSTREAM_REQUESTS: &str = "portal_upstream_requests_total";
pub const UPSTREAM_DURATION: &str = "portal_upstream_request_duration_seconds";
pub const UPSTREAM_WAITS: &str = "portal_upstream_retry_after_total";
pub const UPSTREAM_WAIT_SECONDS: &str = "portal_upstream_retry_after_seconds_total";
pub const SIGN_INS_STARTED: &str = "portal_sign_ins_started_total";
pub const SIGN_INS_COMPLETED: &str = "portal_sign_ins_completed_total";
pub const SIGN_INS_FAILED: &str = "portal_sign_ins_failed_total";
pub const REFRESHES: &str = "portal_token_refreshes_total";
pub const CONSENTS: &str = "portal_consents_total";
pub const LIMIT_REFUSALS: &str = "portal_limit_refusals_total";
pub const BULK_CHANGES: &str = "portal_bulk_changes_total";
pub const BULK_TARGETS: &str = "portal_bulk_change_targets_total";
pub const SESSION_STORE_UP: &str = "portal_session_store_up";
pub const SESSION_STORE_ERRORS: &str = "portal_session_store_errors_total";

pub(super) fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route template, method and status class.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer a request (until the response head).");
    describe_counter!(UPSTREAM_REQUESTS, "Calls to Entra ID and Azure DevOps, by service and outcome.");
    describe_histogram!(UPSTREAM_DURATION, Unit::Seconds, "Time an upstream call took, by service.");
    describe_counter!(UPSTREAM_WAITS, "Upstream answers that asked the portal to wait (Retry-After).");
    describe_counter!(UPSTREAM_WAIT_SECONDS, "Seconds of waiting the upstream answers asked for.");
    describe_counter!(SIGN_INS_STARTED, "Sign-ins sent to the identity provider.");
    describe_counter!(SIGN_INS_COMPLETED, "Sign-ins that ended with a session.");
    describe_counter!(SIGN_INS_FAILED, "Sign-ins that could not start or finish, by the reason shown.");
    describe_counter!(REFRESHES, "Access-token refreshes, by outcome (ok or the identity provider's error).");
    describe_counter!(CONSENTS, "Incremental consents (permission to change tokens), by outcome.");
    describe_counter!(LIMIT_REFUSALS, "Requests refused by a rate limit or gate, by its name.");
    describe_counter!(BULK_CHANGES, "Bulk changes applied, by action.");
    describe_counter!(BULK_TARGETS, "Tokens a bulk change reached, by action and outcome.");
    describe_gauge!(SESSION_STORE_UP, "1 when the session store answered the last readiness check.");
    describe_counter!(SESSION_STORE_ERRORS, "Session store operations that failed, by operation.");
}
