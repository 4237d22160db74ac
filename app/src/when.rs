//! How far a moment is from now, in words ("in 2 days", "3 weeks ago"): computed on the server
//! with its clock and sent with each token, so the page never depends on the browser's clock.

/// `delta_secs` is the moment minus now: positive for the future, negative for the past. Whole
/// units, rounded down: 47 hours is "in 1 day", not "in 2 days".
pub fn relative(delta_secs: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let abs = delta_secs.unsigned_abs() as i64;
    if abs < MINUTE {
        return "now".into();
    }
    let (n, unit) = match abs {
        a if a < HOUR => (a / MINUTE, "minute"),
        a if a < DAY => (a / HOUR, "hour"),
        a if a < 14 * DAY => (a / DAY, "day"),
        a if a < 60 * DAY => (a / (7 * DAY), "week"),
        a if a < 730 * DAY => (a / (30 * DAY), "month"),
        a => (a / (365 * DAY), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta_secs > 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::relative;

    const H: i64 = 3600;
    const D: i64 = 24 * H;

    #[test]
    fn words_for_the_future_and_the_past() {
        assert_eq!(relative(0), "now");
        assert_eq!(relative(-59), "now");
        assert_eq!(relative(60), "in 1 minute");
        assert_eq!(relative(-45 * 60), "45 minutes ago");
        assert_eq!(relative(H), "in 1 hour");
        assert_eq!(relative(23 * H + 59 * 60), "in 23 hours");
        assert_eq!(relative(2 * D), "in 2 days");
        assert_eq!(relative(47 * H), "in 1 day", "rounded down");
        assert_eq!(relative(13 * D), "in 13 days");
        assert_eq!(relative(-21 * D), "3 weeks ago");
        assert_eq!(relative(59 * D), "in 8 weeks");
        assert_eq!(relative(60 * D), "in 2 months");
        assert_eq!(relative(-200 * D), "6 months ago");
        assert_eq!(relative(729 * D), "in 24 months");
        assert_eq!(relative(730 * D), "in 2 years");
    }
}
