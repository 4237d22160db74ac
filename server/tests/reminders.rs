//! The reminder calendar (`/api/pats/reminders.ics`) and the dashboard's lead time, against the
//! demo stack: a file that validates as RFC 5545 (one VEVENT per working token, stable UIDs, UTC
//! times, lines folded at 75 octets), and clear errors that lose nothing when it cannot be made.

mod common;

use app::routes::{api, REMINDERS_ICS};
use common::*;
use reqwest::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Client, Method, StatusCode};
use server::demo::devops::Failure;

async fn calendar(
    c: &Client,
    app: &TestApp,
    query: &str,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let res = c
        .get(app.url(&format!("{REMINDERS_ICS}{query}")))
        .header(ACCEPT, "text/calendar")
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

/// Content lines, unfolded (RFC 5545 §3.1).
fn unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn values(lines: &[String], name: &str) -> Vec<String> {
    lines.iter().filter_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string)).collect()
}

/// Checks what RFC 5545 requires of the file as a whole; returns its content lines.
fn valid_calendar(ics: &str) -> Vec<String> {
    assert!(ics.ends_with("\r\n"), "every line ends with CRLF");
    for physical in ics.split("\r\n") {
        assert!(physical.len() <= 75, "a line of {} octets", physical.len());
    }
    let lines = unfold(ics);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert_eq!(values(&lines, "VERSION"), ["2.0"]);
    assert_eq!(values(&lines, "PRODID").len(), 1);
    let (begins, ends) = (values(&lines, "BEGIN"), values(&lines, "END"));
    let events = begins.iter().filter(|v| *v == "VEVENT").count();
    assert_eq!(events, ends.iter().filter(|v| *v == "VEVENT").count(), "balanced events");
    for name in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"] {
        assert_eq!(values(&lines, name).len(), events, "one {name} per event");
    }
    for name in ["DTSTAMP", "DTSTART", "DTEND"] {
        for v in values(&lines, name) {
            assert!(v.len() == 16 && v.as_bytes()[8] == b'T' && v.ends_with('Z'), "{name} in UTC: {v}");
        }
    }
    lines
}

#[tokio::test]
async fn one_event_per_working_token_with_uids_that_stay_the_same() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "megan", "/").await;
    let (status, headers, ics) = calendar(&c, &app, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "text/calendar; charset=utf-8");
    let disposition = headers[CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"pat-reminders-") && disposition.ends_with(".ics\"")
    );
    let lines = valid_calendar(&ics);

    // As many events as tokens that still work: the dashboard's active and expiring ones.
    let (_, _, overview) = Api::new(&c, &app).get(api::OVERVIEW).await;
    let working = overview["active"].as_u64().unwrap() + overview["expiring_soon"].as_u64().unwrap();
    assert!(working > 3);
    assert_eq!(values(&lines, "UID").len() as u64, working);

    // Another download, another lead time: the same UIDs, the reminders moved.
    let (_, _, later) = calendar(&c, &app, "?lead=30").await;
    let later = valid_calendar(&later);
    assert_eq!(values(&later, "UID"), values(&lines, "UID"));
    assert_ne!(values(&later, "DTSTART"), values(&lines, "DTSTART"));
    assert!(!ics.contains("eyJ"), "no token of any kind in the file");
    app.shutdown().await;
}

#[tokio::test]
async fn a_calendar_that_cannot_be_made_is_a_clear_error() {
    let app = spawn_demo().await;
    let c = browser();
    let (status, _, body) = calendar(&c, &app, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");
    app.sign_in(&c, "megan", "/").await;

    for bad in ["?lead=0", "?lead=61", "?lead=soon"] {
        let (status, headers, body) = calendar(&c, &app, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(!headers[CONTENT_TYPE].to_str().unwrap().starts_with("text/calendar"));
    }
    let (_, _, body) = calendar(&c, &app, "?lead=0").await;
    assert!(body.contains("\"field\":\"lead\"") && body.contains("between 1 and 60"), "{body}");

    // Azure DevOps not answering: an error, never an empty calendar that would look like "nothing expires".
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::ServerError500, Some(Method::GET), 5);
    let (status, _, body) = calendar(&c, &app, "").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body.contains("upstream_unavailable"), "{body}");
    devops.clear_failures();
    // An organization that refuses the user says so.
    let (status, _, body) = calendar(&c, &app, "?org=northwind-demo").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // And nothing was lost: the next download works.
    let (status, _, ics) = calendar(&c, &app, "").await;
    assert_eq!(status, StatusCode::OK);
    valid_calendar(&ics);
    app.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_looks_as_far_ahead_as_the_reminders() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let (_, _, week) = api.get(api::OVERVIEW).await;
    assert_eq!(week["lead_days"], 7, "seven days unless chosen");
    let (_, _, day) = api.get(&format!("{}?lead=1", api::OVERVIEW)).await;
    let (_, _, months) = api.get(&format!("{}?lead=60", api::OVERVIEW)).await;
    assert_eq!((day["lead_days"].as_u64(), months["lead_days"].as_u64()), (Some(1), Some(60)));
    let soon = |o: &serde_json::Value| o["expiring_soon"].as_u64().unwrap();
    let working = |o: &serde_json::Value| o["active"].as_u64().unwrap() + soon(o);
    assert!(
        soon(&day) <= soon(&week) && soon(&week) < soon(&months),
        "{} {} {}",
        soon(&day),
        soon(&week),
        soon(&months)
    );
    assert_eq!(working(&day), working(&months), "the window moves tokens between the two counts only");
    assert_eq!(months["soon"].as_array().unwrap().len() as u64, soon(&months));
    let (status, _, _) = api.get(&format!("{}?lead=0", api::OVERVIEW)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The page shows the chosen window.
    let html = get_html(&c, &app.url("/?lead=30")).await.text().await.unwrap();
    assert!(html.contains("Expiring within 30 days"), "the dashboard names its window");
    assert!(html.contains("/api/pats/reminders.ics?lead=30"), "and links the calendar with it");
    app.shutdown().await;
}
