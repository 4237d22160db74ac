//! The reminder calendar: an iCalendar file (RFC 5545) with one event per token that still
//! works, `lead_days` before it expires, so the person's own calendar warns them. Pure: the
//! tokens, the clock and the portal's address come in, the text goes out.

use app::model::{PatStatus, PatSummary};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};
use url::Url;

use super::public_url::PublicUrl;

/// What one calendar is made of.
pub struct Calendar<'a> {
    pub organization: &'a str,
    pub tokens: &'a [PatSummary],
    pub lead_days: u32,
    pub now: OffsetDateTime,
    /// The portal's public URL: each event links to its token's page, and names its host in its UID.
    pub portal: &'a Url,
}

impl Calendar<'_> {
    /// The whole file, lines ended by CRLF and folded at 75 octets.
    pub fn to_ics(&self) -> String {
        let host = match (self.portal.host_str(), self.portal.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (h, None) => h.unwrap_or_default().to_string(),
            (None, Some(_)) => String::new(),
        };
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            "PRODID:-//devops-pat-portal//Token reminders//EN".into(),
            "CALSCALE:GREGORIAN".into(),
            "METHOD:PUBLISH".into(),
            format!("X-WR-CALNAME:{}", text(&format!("Azure DevOps tokens ({})", self.organization))),
        ];
        for t in
            self.tokens.iter().filter(|t| matches!(t.status, PatStatus::Active | PatStatus::ExpiringSoon))
        {
            let Ok(expires) = OffsetDateTime::parse(&t.valid_to, &Rfc3339) else { continue };
            lines.extend(self.event(t, expires, &host));
        }
        lines.push("END:VCALENDAR".into());
        lines.iter().map(|l| fold(l)).collect::<Vec<_>>().join("")
    }

    fn event(&self, t: &PatSummary, expires: OffsetDateTime, host: &str) -> Vec<String> {
        // A reminder whose day has passed is shown now rather than in the past.
        let start = (expires - Duration::days(i64::from(self.lead_days))).max(self.now);
        let day = t.valid_to.get(..10).unwrap_or(&t.valid_to);
        let page =
            format!("/tokens/{}?org={}", t.authorization_id, app::encode_query_value(self.organization));
        let url = PublicUrl::join(self.portal, &page);
        let summary = format!("Azure DevOps token \"{}\" expires on {day}", t.display_name);
        let description = format!(
            "The personal access token \"{}\" in {} expires on {} (UTC). Extend or rotate it: {url}",
            t.display_name, self.organization, t.valid_to
        );
        vec![
            "BEGIN:VEVENT".into(),
            format!("UID:pat-{}@{host}", t.authorization_id),
            format!("DTSTAMP:{}", utc(self.now)),
            format!("DTSTART:{}", utc(start)),
            format!("DTEND:{}", utc(start + Duration::minutes(30))),
            format!("SUMMARY:{}", text(&summary)),
            format!("DESCRIPTION:{}", text(&description)),
            format!("URL:{url}"),
            "TRANSP:TRANSPARENT".into(),
            "BEGIN:VALARM".into(),
            "ACTION:DISPLAY".into(),
            format!("DESCRIPTION:{}", text(&summary)),
            "TRIGGER:PT0M".into(),
            "END:VALARM".into(),
            "END:VEVENT".into(),
        ]
    }
}

/// A date-time in UTC, the form RFC 5545 calls "form #2" (`19980119T070000Z`).
fn utc(t: OffsetDateTime) -> String {
    let f = format_description!("[year][month][day]T[hour][minute][second]Z");
    t.to_offset(time::UtcOffset::UTC).format(&f).unwrap_or_default()
}

/// A TEXT value: backslash, semicolon, comma and newline escaped; other control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so no physical line exceeds 75 octets (never inside a character),
/// each ended by CRLF; continuation lines start with a space.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests;
