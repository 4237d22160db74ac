//! The stand-in's access rules (Conditional Access, non-members, another tenant's organization, unknown organizations), projects paging and failure switches.

use super::*;

/// Every organization-scoped call of a user the organization will not let in: Conditional
/// Access (403 VS403463), not a member or another tenant's organization (401 TF400813 naming
/// the user, with `X-VSS-ResourceTenant`), as Azure DevOps answers them.
#[tokio::test]
async fn organizations_that_refuse_a_valid_user_say_why() {
    let (_, r) = stand_in();
    let (oid, b) = new_user();
    let body = create_body("x", "vso.code", &in_days(5), false);
    let calls = |org: &str| {
        vec![
            (Method::GET, pats(org), None),
            (Method::POST, pats(org), Some(body.clone())),
            (Method::PUT, pats(org), Some(body.clone())),
            (Method::DELETE, format!("{}&authorizationId={}", pats(org), uuid::Uuid::new_v4()), None),
            (Method::GET, format!("/dev/{org}/_apis/projects?api-version=7.1"), None),
        ]
    };
    for (method, uri, body) in calls(CONDITIONAL_ACCESS_ORG) {
        let a = call(&r, method.clone(), &uri, Some(&b), body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert!(a.json()["message"].as_str().unwrap().starts_with("VS403463: The conditional access policy"));
    }
    for (org, tenant) in [(NOT_MEMBER_ORG, crate::entra::DEMO_TENANT), (OTHER_TENANT_ORG, OTHER_TENANT_ID)] {
        for (method, uri, body) in calls(org) {
            let a = call(&r, method.clone(), &uri, Some(&b), body).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
            let message = a.json()["message"].as_str().unwrap().to_string();
            assert_eq!(
                message,
                format!("TF400813: The user '{oid}' is not authorized to access this resource.")
            );
            // The tenant is told to an anonymous request only (`tenant::head`).
            assert!(a.headers.get("x-vss-resourcetenant").is_none(), "{method} {uri}");
        }
        let head = call(&r, Method::HEAD, &format!("/dev/{org}"), None, None).await;
        assert_eq!(head.headers["x-vss-resourcetenant"], tenant);
    }
    for uri in [pats("nowhere-demo"), "/dev/nowhere-demo/_apis/projects?api-version=7.1".into()] {
        assert_eq!(call(&r, Method::GET, &uri, Some(&b), None).await.status, StatusCode::NOT_FOUND);
    }
    // Every user belongs to the Conditional Access one, not to the others.
    let a =
        call(&r, Method::GET, &format!("/app/_apis/accounts?memberId={oid}&api-version=7.1"), Some(&b), None)
            .await;
    let names: Vec<Value> =
        a.json()["value"].as_array().unwrap().iter().map(|o| o["accountName"].clone()).collect();
    assert_eq!(names, json!(["fabrikam-demo", "contoso-demo", "northwind-demo"]).as_array().unwrap().clone());
    assert_eq!(a.json()["count"], 3);
    assert_eq!(a.json()["value"][2]["accountId"], org_id(CONDITIONAL_ACCESS_ORG));
}

#[tokio::test]
async fn projects_page_with_the_continuation_header() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let base = "/dev/fabrikam-demo/_apis/projects?api-version=7.1";
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut uri = format!("{base}&$top=5&stateFilter=wellFormed");
    loop {
        let a = call(&r, Method::GET, &uri, Some(&b), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        pages += 1;
        let body = a.json();
        let value = body["value"].as_array().unwrap();
        assert_eq!(body["count"], value.len());
        for p in value {
            assert_eq!(p["state"], "wellFormed");
            assert!(matches!(p["visibility"].as_str(), Some("private" | "public")));
            assert!(p["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/_apis/projects/{}", p["id"].as_str().unwrap())));
            for k in ["id", "name", "description", "lastUpdateTime"] {
                assert!(p[k].is_string(), "{k}");
            }
            assert!(p["revision"].is_u64());
            seen.push(p["name"].as_str().unwrap().to_string());
        }
        match a.headers.get("x-ms-continuationtoken") {
            Some(next) => {
                assert_eq!(value.len(), 5);
                uri = format!("{base}&$top=5&continuationToken={}", next.to_str().unwrap());
            }
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 12));
    assert!(seen.contains(&"Fabrikam Fiber".to_string()) && seen.contains(&"Web Portal".to_string()));
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 12);

    // Everything in one page by default; contoso-demo has three.
    let a = call(&r, Method::GET, base, Some(&b), None).await;
    assert_eq!(a.json()["count"], 12);
    assert!(a.headers.get("x-ms-continuationtoken").is_none());
    let a = call(
        &r,
        Method::GET,
        "/dev/contoso-demo/_apis/projects?api-version=7.1&stateFilter=all",
        Some(&b),
        None,
    )
    .await;
    assert_eq!(a.json()["count"], 3);

    // Refusals: $top out of range, a forged token, an unknown state, no api-version, no bearer.
    for bad in [
        format!("{base}&$top=0"),
        format!("{base}&$top=101"),
        format!("{base}&continuationToken=12"),
        format!("{base}&stateFilter=sideways"),
        "/dev/fabrikam-demo/_apis/projects".to_string(),
    ] {
        assert_eq!(
            call(&r, Method::GET, &bad, Some(&b), None).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        call(&r, Method::GET, base, None, None).await.status,
        StatusCode::NON_AUTHORITATIVE_INFORMATION
    );
}

#[tokio::test]
async fn failure_switches_answer_in_the_real_shape_and_requests_are_counted() {
    let (s, r) = stand_in();
    let (_, b) = new_user();
    let list = format!("{}&displayFilterOption=active", pats("fabrikam-demo"));
    let get = |r: Router| {
        let (list, b) = (list.clone(), b.clone());
        async move { call(&r, Method::GET, &list, Some(&b), None).await }
    };

    let a = get(r.clone()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(s.request_count(&Method::GET), 1);

    s.fail_next(Failure::SignInPage203, None, 1);
    let a = get(r.clone()).await;
    assert_eq!(a.status, StatusCode::NON_AUTHORITATIVE_INFORMATION);
    assert!(a.headers["content-type"].to_str().unwrap().starts_with("text/html"));

    let vss = [
        (Failure::Unauthorized401, StatusCode::UNAUTHORIZED, "TF400813"),
        (Failure::Forbidden403, StatusCode::FORBIDDEN, ""),
        (Failure::NotFound404, StatusCode::NOT_FOUND, ""),
        (Failure::ServerError500, StatusCode::INTERNAL_SERVER_ERROR, ""),
        (Failure::Throttled { retry_after_secs: 7 }, StatusCode::TOO_MANY_REQUESTS, "TF400733"),
    ];
    for (failure, status, code) in vss {
        s.fail_next(failure, None, 1);
        let a = get(r.clone()).await;
        assert_eq!(a.status, status, "{failure:?}");
        let e = a.json();
        assert!(e["typeKey"].is_string() && e["message"].as_str().unwrap().starts_with(code), "{e}");
    }
    // The throttled answer's headers.
    s.fail_next(Failure::Throttled { retry_after_secs: 7 }, Some(Method::GET), 1);
    let a = get(r.clone()).await;
    assert_eq!(a.headers["retry-after"], "7");
    let reset: u64 = a.headers["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset >= crate::now_secs() + 5);
    assert_eq!(a.headers["x-ratelimit-remaining"], "0");
    for h in ["x-ratelimit-resource", "x-ratelimit-delay", "x-ratelimit-limit"] {
        assert!(a.headers.contains_key(h), "{h}");
    }
    // Answered normally once used up.
    assert_eq!(get(r.clone()).await.status, StatusCode::OK);

    // By method: a DELETE switch leaves reads alone; a count of two fails twice.
    s.fail_next(Failure::ServerError500, Some(Method::DELETE), 2);
    assert_eq!(get(r.clone()).await.status, StatusCode::OK);
    let del = format!("{}&authorizationId={}", pats("fabrikam-demo"), uuid::Uuid::new_v4());
    for _ in 0..2 {
        let a = call(&r, Method::DELETE, &del, Some(&b), None).await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(call(&r, Method::DELETE, &del, Some(&b), None).await.status, StatusCode::NOT_FOUND);

    // Before authentication: even a request without a bearer gets the failure.
    s.fail_next(Failure::Forbidden403, None, 1);
    assert_eq!(call(&r, Method::GET, &list, None, None).await.status, StatusCode::FORBIDDEN);

    // Slow: waits, then answers normally.
    s.fail_next(Failure::Slow(Duration::from_millis(150)), None, 1);
    let started = Instant::now();
    assert_eq!(get(r.clone()).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));

    // Cleared.
    s.fail_next(Failure::ServerError500, None, 5);
    s.clear_failures();
    assert_eq!(get(r.clone()).await.status, StatusCode::OK);

    // Every request counted, failed ones included: 1 + 1 + 5 + 1 + 1 + 1 + 1 + 1 + 1 GETs.
    assert_eq!(s.request_count(&Method::GET), 13);
    assert_eq!(s.request_count(&Method::DELETE), 3);
    assert_eq!(s.request_count(&Method::PUT), 0);
}
