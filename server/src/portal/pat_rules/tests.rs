//! Tests of the pure PAT rules.

use super::*;

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

fn pat(to: &str) -> PatToken {
    PatToken {
        authorization_id: "a".into(),
        display_name: "n".into(),
        scope: "vso.code vso.build".into(),
        target_accounts: None,
        token: None,
        valid_from: "2026-01-01T00:00:00Z".into(),
        valid_to: to.into(),
    }
}

fn form(name: &str, scopes: &[&str], expiry: Expiry) -> PatForm {
    PatForm {
        name: name.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expiry,
        all_orgs: false,
    }
}

#[test]
fn status_comes_from_dates_and_the_revoked_list() {
    let now = at("2026-11-25T12:00:00Z");
    assert_eq!(summarize(pat("2026-11-20T00:00:00Z"), false, now).status, PatStatus::Expired);
    assert_eq!(summarize(pat("2026-11-28T00:00:00Z"), false, now).status, PatStatus::ExpiringSoon);
    assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), false, now).status, PatStatus::Active);
    assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), true, now).status, PatStatus::Revoked);
    assert_eq!(
        summarize(pat("2027-03-01T00:00:00.1234567Z"), false, now).scopes,
        vec!["vso.code", "vso.build"]
    );
}

#[test]
fn each_token_says_when_it_expires_in_words_on_the_servers_clock() {
    let now = at("2026-11-25T12:00:00Z");
    assert_eq!(summarize(pat("2026-11-20T00:00:00Z"), false, now).expires, "5 days ago");
    assert_eq!(summarize(pat("2026-11-27T12:00:00Z"), false, now).expires, "in 2 days");
    assert_eq!(summarize(pat("2026-12-16T12:00:00.1234567Z"), false, now).expires, "in 3 weeks");
    assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), true, now).expires, "in 3 months", "revoked too");
    assert_eq!(summarize(pat("not a date"), false, now).expires, "", "no words for an unreadable date");
}

#[test]
fn forms_are_checked_field_by_field() {
    let now = at("2026-11-25T12:00:00Z");
    let field = |r: Result<ValidForm, ApiError>| match r {
        Err(ApiError::InvalidInput { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    assert_eq!(field(validate_form(&form("  ", &["vso.code"], Expiry::Days(30)), now)), "name");
    assert_eq!(field(validate_form(&form(&"x".repeat(257), &["vso.code"], Expiry::Days(30)), now)), "name");
    assert_eq!(field(validate_form(&form("a\u{7}", &["vso.code"], Expiry::Days(30)), now)), "name");
    assert_eq!(field(validate_form(&form("ci", &[], Expiry::Days(30)), now)), "scopes");
    assert_eq!(field(validate_form(&form("ci", &["vso.<nope>"], Expiry::Days(30)), now)), "scopes");
    assert_eq!(field(validate_form(&form("ci", &["vso.code"], Expiry::Days(0)), now)), "valid_to");
    assert_eq!(
        field(validate_form(&form("ci", &["vso.code"], Expiry::Date("2026-11-24".into())), now)),
        "valid_to"
    );
    assert_eq!(
        field(validate_form(&form("ci", &["vso.code"], Expiry::Date("2028-01-01".into())), now)),
        "valid_to"
    );
    assert_eq!(
        field(validate_form(&form("ci", &["vso.code"], Expiry::Date("tomorrow".into())), now)),
        "valid_to"
    );
}

#[test]
fn a_valid_form_is_trimmed_sorted_and_full_access_stands_alone() {
    let now = at("2026-11-25T12:00:00Z");
    let v =
        validate_form(&form(" ci ", &["vso.work", "vso.code", "vso.code"], Expiry::Days(30)), now).unwrap();
    assert_eq!((v.name.as_str(), v.scope.as_str()), ("ci", "vso.code vso.work"));
    assert_eq!(v.valid_to, at("2026-12-25T12:00:00Z"));
    let v = validate_form(&form("ci", &["vso.code", FULL_ACCESS], Expiry::Date("2026-12-31".into())), now)
        .unwrap();
    assert_eq!(v.scope, FULL_ACCESS);
    assert_eq!(v.valid_to, at("2026-12-31T23:59:59Z"), "valid through the chosen day");
}

#[test]
fn sorting_and_the_tally() {
    let now = at("2026-11-25T12:00:00Z");
    let mut list =
        vec![pat("2027-03-01T00:00:00Z"), pat("2026-11-28T00:00:00Z"), pat("2026-11-20T00:00:00Z")];
    list[0].display_name = "b".into();
    list[1].display_name = "A".into();
    list[2].display_name = "c".into();
    sort_tokens(&mut list, PatSort::Name, false);
    assert_eq!(list.iter().map(|t| t.display_name.as_str()).collect::<Vec<_>>(), ["A", "b", "c"]);
    sort_tokens(&mut list, PatSort::ValidTo, true);
    assert_eq!(list[0].valid_to, "2027-03-01T00:00:00Z");
    list[2].authorization_id = "gone".into();
    let o = tally("org".into(), list.clone(), &["gone".to_string()], now, 7);
    assert_eq!((o.active, o.expiring_soon, o.expired, o.revoked), (1, 1, 0, 1));
    assert_eq!(o.upcoming[0], 1, "the token expiring in three days is in week 0");
    assert_eq!(o.lead_days, 7);
    // The dashboard's window follows the reminder lead time, not the seven-day status.
    let o = tally("org".into(), list.clone(), &["gone".to_string()], now, 1);
    assert_eq!((o.active, o.expiring_soon, o.soon.len()), (2, 0, 0), "three days away is not within one");
    let o = tally("org".into(), list, &["gone".to_string()], now, 60);
    assert_eq!(
        (o.active, o.expiring_soon, o.soon.len()),
        (1, 1, 1),
        "three days away is within sixty, 96 is not"
    );
    let o = tally("org".into(), vec![pat("2026-12-20T00:00:00Z"), pat("2027-03-01T00:00:00Z")], &[], now, 30);
    assert_eq!((o.active, o.expiring_soon), (1, 1), "25 days away is within thirty");
}

#[test]
fn the_lead_time_is_one_to_sixty_days_seven_unless_chosen() {
    assert_eq!(lead_days(None), Ok(7));
    assert_eq!(lead_days(Some(1)), Ok(1));
    assert_eq!(lead_days(Some(60)), Ok(60));
    for bad in [0, 61, 400] {
        assert!(matches!(lead_days(Some(bad)), Err(ApiError::InvalidInput { field, .. }) if field == "lead"));
    }
}

#[test]
fn pat_results_and_ids() {
    let r = |e: &str| PatResult { pat_token: None, pat_token_error: e.into(), pat_token_error_message: None };
    assert!(
        matches!(pat_result(r("patLifespanPolicyViolation")), Err(ApiError::InvalidInput { field, .. }) if field == "valid_to")
    );
    assert_eq!(pat_result(r("authorizationNotFound")).unwrap_err(), ApiError::NotFound);
    assert!(matches!(pat_result(r("none")), Err(ApiError::UpstreamFailed { .. })));
    assert!(check_pat_id("4b1f1a5e-0000-0000-0000-000000000001").is_ok());
    assert_eq!(check_pat_id("../x").unwrap_err(), ApiError::NotFound);
}

#[test]
fn global_tokens_retire_on_the_first_of_december_2026() {
    let before = at("2026-11-30T23:59:59Z");
    let after = at("2026-12-01T00:00:00Z");
    assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), false, before).global, Some(GlobalPat::Retiring));
    assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), false, after).global, Some(GlobalPat::Retired));
    assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), true, before).global, None, "revoked: no badge");
    let mut scoped = pat("2027-03-01T00:00:00Z");
    scoped.target_accounts = Some(vec!["o".into()]);
    assert_eq!(summarize(scoped, false, after).global, None);
    let mut f = form("ci", &["vso.code"], Expiry::Days(30));
    f.all_orgs = true;
    assert!(validate_form(&f, before).unwrap().all_orgs, "before the date, with the warning in the form");
    assert!(
        matches!(validate_form(&f, after), Err(ApiError::InvalidInput { field, .. }) if field == "all_orgs")
    );
}

#[test]
fn unknown_scopes_pass_verbatim_and_odd_ones_do_not() {
    let now = at("2026-11-25T12:00:00Z");
    let v = validate_form(&form("ci", &["vso.agentpools_manage", "vso.brand_new"], Expiry::Days(7)), now)
        .unwrap();
    assert_eq!(v.scope, "vso.agentpools_manage vso.brand_new");
    assert!(validate_form(&form("ci", &["vso code"], Expiry::Days(7)), now).is_err());
    assert!(validate_form(&form("ci", &["<script>"], Expiry::Days(7)), now).is_err());
}

#[test]
fn an_edit_sends_only_what_changed_in_whole_seconds() {
    let now = at("2026-11-25T12:00:00.123456789Z");
    let rename = PatChanges { name: Some(" new name ".into()), ..Default::default() };
    let body = serde_json::to_value(validate_changes(&rename, now).unwrap().request("id".into())).unwrap();
    assert_eq!(body, serde_json::json!({ "authorizationId": "id", "displayName": "new name" }));
    let extend = PatChanges { expiry: Some(Expiry::Days(7)), ..Default::default() };
    let body = serde_json::to_value(validate_changes(&extend, now).unwrap().request("id".into())).unwrap();
    assert_eq!(body, serde_json::json!({ "authorizationId": "id", "validTo": "2026-12-02T12:00:00Z" }));
    assert!(validate_changes(&PatChanges::default(), now).is_err(), "nothing to send");
}

#[test]
fn a_shortened_expiry_is_noticed() {
    let asked = at("2027-06-01T00:00:00Z");
    let cut = cut_of(asked, "2027-02-23T12:00:00.1033333Z").unwrap();
    assert_eq!(cut.asked, "2027-06-01T00:00:00Z");
    assert_eq!(cut.granted, "2027-02-23T12:00:00.1033333Z");
    assert_eq!(cut_of(asked, "2027-06-01T00:00:00.32Z"), None, "rounding is not a cut");
}
