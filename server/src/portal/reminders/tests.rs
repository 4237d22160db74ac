//! The calendar against RFC 5545: content lines, folding, TEXT escaping, UTC times, one event per
//! working token with a UID that stays the same from one download to the next.

use super::*;
use app::model::PatStatus;

fn token(id: &str, name: &str, valid_to: &str, status: PatStatus) -> PatSummary {
    PatSummary {
        authorization_id: id.into(),
        display_name: name.into(),
        scopes: vec!["vso.code".into()],
        valid_from: "2026-11-01T00:00:00Z".into(),
        valid_to: valid_to.into(),
        expires: String::new(),
        target_accounts: Some(vec!["x".into()]),
        status,
        global: None,
    }
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

fn tokens() -> Vec<PatSummary> {
    vec![
        token("a1", "CI, nightly; build\\deploy", "2027-01-10T08:30:00Z", PatStatus::Active),
        token("b2", "Soon", "2026-11-27T12:00:00.1234567Z", PatStatus::ExpiringSoon),
        token("c3", "Old", "2026-11-01T00:00:00Z", PatStatus::Expired),
        token("d4", "Gone", "2027-05-01T00:00:00Z", PatStatus::Revoked),
    ]
}

fn calendar(tokens: &[PatSummary], lead_days: u32, now: &str) -> String {
    let portal = Url::parse("https://pats.example").unwrap();
    Calendar { organization: "fabrikam", tokens, lead_days, now: at(now), portal: &portal }.to_ics()
}

/// The content lines, unfolded (RFC 5545 §3.1).
fn unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn values<'a>(lines: &'a [String], name: &str) -> Vec<&'a str> {
    lines.iter().filter_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':'))).collect()
}

#[test]
fn one_event_per_working_token_at_the_lead_time_in_utc() {
    let ics = calendar(&tokens(), 7, "2026-11-25T12:00:00Z");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    let lines = unfold(&ics);
    assert_eq!(
        values(&lines, "BEGIN").iter().filter(|v| **v == "VEVENT").count(),
        2,
        "expired and revoked: none"
    );
    assert_eq!(values(&lines, "UID"), ["pat-a1@pats.example", "pat-b2@pats.example"]);
    // Seven days before 10 January; the token due in two days is reminded of now, not in the past.
    assert_eq!(values(&lines, "DTSTART"), ["20270103T083000Z", "20261125T120000Z"]);
    assert_eq!(values(&lines, "DTEND"), ["20270103T090000Z", "20261125T123000Z"]);
    assert_eq!(values(&lines, "DTSTAMP"), ["20261125T120000Z", "20261125T120000Z"]);
    for v in values(&lines, "DTSTART").iter().chain(values(&lines, "DTSTAMP").iter()) {
        assert!(v.len() == 16 && v.ends_with('Z'), "UTC form: {v}");
    }
    assert_eq!(values(&lines, "URL")[0], "https://pats.example/tokens/a1?org=fabrikam");
    assert_eq!(values(&lines, "TRIGGER"), ["PT0M", "PT0M"], "each event alarms when it starts");
}

#[test]
fn uids_stay_the_same_from_one_download_to_the_next() {
    let first = unfold(&calendar(&tokens(), 7, "2026-11-25T12:00:00Z"));
    let later = unfold(&calendar(&tokens(), 30, "2026-11-26T09:00:00Z"));
    assert_eq!(values(&first, "UID"), values(&later, "UID"));
    assert_ne!(values(&first, "DTSTART"), values(&later, "DTSTART"), "the lead time moves the reminder");
}

#[test]
fn text_is_escaped_and_lines_are_folded_at_75_octets() {
    let long = "Déploiement — ".repeat(12);
    let mut list = tokens();
    list.push(token("e5", &format!("{long}\nsecond line"), "2027-02-01T00:00:00Z", PatStatus::Active));
    let ics = calendar(&list, 7, "2026-11-25T12:00:00Z");
    for physical in ics.split("\r\n") {
        assert!(physical.len() <= 75, "{} octets: {physical}", physical.len());
    }
    assert!(
        !ics.replace("\r\n", "").contains('\n') && !ics.replace("\r\n", "").contains('\r'),
        "only CRLF ends lines"
    );
    let lines = unfold(&ics);
    let summaries = values(&lines, "SUMMARY");
    assert_eq!(summaries[0], "Azure DevOps token \"CI\\, nightly\\; build\\\\deploy\" expires on 2027-01-10");
    assert!(summaries[2].contains(&long) && summaries[2].contains("\\nsecond line"), "{}", summaries[2]);
}

#[test]
fn an_empty_organization_is_a_valid_empty_calendar() {
    let lines = unfold(&calendar(&[], 7, "2026-11-25T12:00:00Z"));
    assert_eq!(lines.first().unwrap(), "BEGIN:VCALENDAR");
    assert_eq!(lines.last().unwrap(), "END:VCALENDAR");
    assert!(values(&lines, "BEGIN").iter().all(|v| *v != "VEVENT"));
}
