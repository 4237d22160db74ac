//! Tests of the configuration parser.
use super::*;

const REAL: &[(&str, &str)] = &[
    ("CLIENT_ID", "11111111-2222-3333-4444-555555555555"),
    ("CLIENT_SECRET", "s3cr3t"),
    ("AUTHORITY", "https://login.microsoftonline.com/contoso.onmicrosoft.com/"),
    ("DEVOPS_ORGANIZATION", "fabrikam"),
];

#[test]
fn nothing_set_means_demo_on_the_default_address() {
    let c = Config::from_lookup(lookup(&[])).unwrap();
    assert!(c.is_demo());
    assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
    assert!(c.public_url.is_none());
}

#[test]
fn all_set_means_entra() {
    let c = Config::from_lookup(lookup(REAL)).unwrap();
    let Identity::Entra(e) = &c.identity else { panic!("expected Entra") };
    assert_eq!(e.authority.as_str(), "https://login.microsoftonline.com/contoso.onmicrosoft.com");
    assert_eq!(c.devops.organization.as_deref(), Some("fabrikam"));
    assert!(!format!("{c:?}").contains("s3cr3t"), "Debug must redact the secret");
}

#[test]
fn partial_entra_settings_name_the_missing_variable() {
    let e = Config::from_lookup(lookup(&[
        ("CLIENT_ID", "x"),
        ("AUTHORITY", "https://login.microsoftonline.com/common"),
    ]))
    .unwrap_err();
    assert_eq!(e.variable, "CLIENT_SECRET");
    assert!(e.problem.contains("demo stack"));
    let c = Config::from_lookup(lookup(&[
        ("CLIENT_ID", "x"),
        ("AUTHORITY", "https://login.microsoftonline.com/common"),
        ("CLIENT_CERTIFICATE_PATH", "/etc/pat-portal/cert.pem"),
        ("DEVOPS_ORGANIZATION", "fabrikam"),
    ]))
    .unwrap();
    let Identity::Entra(e) = &c.identity else { panic!("a certificate replaces the secret") };
    assert!(e.client_secret.is_none());
    assert!(c.client_certificate.is_some());
}

#[test]
fn sample_placeholders_are_refused_by_name() {
    let e = Config::from_lookup(lookup(&[("CLIENT_ID", "Enter_the_Application_Id_here")])).unwrap_err();
    assert_eq!(e.variable, "CLIENT_ID");
    assert!(e.problem.contains("placeholder"));
    let e = Config::from_lookup(lookup(&[(
        "ENDPOINT",
        "https://vssps.dev.azure.com/Enter_the_Collection_Name_Here/_apis/tokens/pats",
    )]))
    .unwrap_err();
    assert_eq!(e.variable, "ENDPOINT");
}

#[test]
fn the_samples_endpoint_names_the_organization() {
    let mut pairs = REAL[..3].to_vec();
    pairs.push(("ENDPOINT", "https://vssps.dev.azure.com/contoso/_apis/tokens/pats?api-version=6.1-preview"));
    let c = Config::from_lookup(lookup(&pairs)).unwrap();
    assert_eq!(c.devops.organization.as_deref(), Some("contoso"));
}

#[test]
fn entra_without_an_organization_is_refused() {
    let e = Config::from_lookup(lookup(&REAL[..3])).unwrap_err();
    assert_eq!(e.variable, "DEVOPS_ORGANIZATION");
}

#[test]
fn authorities_are_checked() {
    assert!(parse_authority("https://login.microsoftonline.com/common").is_ok());
    assert_eq!(
        parse_authority("https://login.microsoftonline.com/consumers").unwrap_err().variable,
        "AUTHORITY"
    );
    assert!(parse_authority("https://login.microsoftonline.com/").is_err());
    assert!(parse_authority("http://login.microsoftonline.com/common").is_err());
    assert!(parse_authority("https://login.microsoftonline.com/common/v2.0").is_err());
    assert!(parse_authority("http://127.0.0.1:4011/tenant").is_ok());
}

#[test]
fn bad_values_name_their_variable() {
    assert_eq!(Config::from_lookup(lookup(&[("BIND_ADDR", "nope")])).unwrap_err().variable, "BIND_ADDR");
    assert_eq!(Config::from_lookup(lookup(&[("PUBLIC_URL", "ftp://x")])).unwrap_err().variable, "PUBLIC_URL");
    assert_eq!(Config::from_lookup(lookup(&[("LOG_FORMAT", "xml")])).unwrap_err().variable, "LOG_FORMAT");
    assert_eq!(
        Config::from_lookup(lookup(&[("ALLOWED_TENANTS", "contoso.com")])).unwrap_err().variable,
        "ALLOWED_TENANTS"
    );
    let c = Config::from_lookup(lookup(&[(
        "ALLOWED_TENANTS",
        "7B0C2F4E-5D1A-4C3B-9E8F-0A1B2C3D4E5F, 11111111-2222-3333-4444-555555555555",
    )]))
    .unwrap();
    assert_eq!(c.allowed_tenants[0], "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f");
    assert_eq!(Config::from_lookup(lookup(&[("CLIENT_AUTH", "jwt")])).unwrap_err().variable, "CLIENT_AUTH");
    assert!(Config::from_lookup(lookup(&[("CLIENT_AUTH", "basic")])).unwrap().client_auth_basic);
    assert_eq!(
        Config::from_lookup(lookup(&[("TRUST_FORWARDED_HEADERS", "maybe")])).unwrap_err().variable,
        "TRUST_FORWARDED_HEADERS"
    );
    let c = Config::from_lookup(lookup(&[])).unwrap();
    assert!(!c.trust_forwarded_headers && !c.client_auth_basic, "both off by default");
    let c = Config::from_lookup(lookup(&[
        ("PUBLIC_URL", "https://pats.example.com/"),
        ("BIND_ADDR", "0.0.0.0:8080"),
        ("DEMO_MODE", "true"),
    ]))
    .unwrap();
    assert_eq!(c.public_url.unwrap().as_str(), "https://pats.example.com/");
    assert_eq!(c.bind.port(), 8080);
}

#[test]
fn demo_mode_refuses_to_start_where_everything_else_says_production() {
    // Nothing set: the demo stack on loopback, as scripts/run.sh runs it.
    assert!(Config::from_lookup(lookup(&[])).unwrap().is_demo());
    for (var, value) in [
        ("BIND_ADDR", "0.0.0.0:8080"),
        ("PUBLIC_URL", "https://pats.example.com"),
        ("DEVOPS_ORGANIZATION", "fabrikam"),
        ("SESSION_STORE", "redis://127.0.0.1:6379"),
        ("SESSION_KEY", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ="),
        ("SESSION_KEY_FILE", "/run/secrets/key"),
    ] {
        let e = Config::from_lookup(lookup(&[(var, value)])).unwrap_err();
        assert_eq!(e.variable, "DEMO_MODE", "{var}");
        assert!(e.problem.contains("Entra settings") && e.problem.contains("DEMO_MODE=true"), "{e}");
        // Asked for explicitly, the demo stack starts (Redis also needs its shared key).
        let key = ("SESSION_KEY", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=");
        let explicit = [(var, value), ("DEMO_MODE", "true"), key];
        assert!(Config::from_lookup(lookup(&explicit)).unwrap().is_demo(), "{var}");
    }
    let e = Config::from_lookup(lookup(&[("BIND_ADDR", "0.0.0.0:8080"), ("SESSION_KEY_FILE", "/k")]))
        .unwrap_err();
    assert!(e.problem.contains("BIND_ADDR 0.0.0.0:8080") && e.problem.contains("SESSION_KEY_FILE"), "{e}");
    let mut real = REAL.to_vec();
    real.push(("DEMO_MODE", "true"));
    assert_eq!(Config::from_lookup(lookup(&real)).unwrap_err().variable, "DEMO_MODE", "a contradiction");
    assert_eq!(Config::from_lookup(lookup(&[("DEMO_MODE", "maybe")])).unwrap_err().variable, "DEMO_MODE");
}

#[test]
fn devops_hosts_must_be_https_except_on_loopback() {
    let mut with = REAL.to_vec();
    with.push(("DEVOPS_VSSPS_URL", "http://vssps.example.com"));
    assert_eq!(Config::from_lookup(lookup(&with)).unwrap_err().variable, "DEVOPS_VSSPS_URL");
    let mut with = REAL.to_vec();
    with.push(("DEVOPS_URL", "http://127.0.0.1:4012"));
    assert!(Config::from_lookup(lookup(&with)).is_ok(), "a stand-in on this machine");
}

#[test]
fn redis_needs_a_session_key_shared_by_every_instance() {
    let mut with = REAL.to_vec();
    with.push(("SESSION_STORE", "redis://127.0.0.1:6379"));
    let e = Config::from_lookup(lookup(&with)).unwrap_err();
    assert_eq!(e.variable, "SESSION_KEY");
    with.push(("SESSION_KEY_FILE", "/run/secrets/key"));
    assert!(Config::from_lookup(lookup(&with)).is_ok());
}

#[test]
fn a_multi_tenant_authority_without_allowed_tenants_is_warned_about() {
    let with = |authority: &'static str, allowed: Option<&'static str>| {
        let mut pairs = vec![("AUTHORITY", authority)];
        pairs.extend(REAL.iter().filter(|(k, _)| *k != "AUTHORITY"));
        if let Some(a) = allowed {
            pairs.push(("ALLOWED_TENANTS", a));
        }
        Config::from_lookup(lookup(&pairs)).unwrap().warnings()
    };
    assert_eq!(with("https://login.microsoftonline.com/organizations", None).len(), 1);
    assert!(with("https://login.microsoftonline.com/common", None)[0].contains("ALLOWED_TENANTS"));
    assert!(with(
        "https://login.microsoftonline.com/organizations",
        Some("11111111-2222-3333-4444-555555555555")
    )
    .is_empty());
    assert!(with("https://login.microsoftonline.com/contoso.onmicrosoft.com", None).is_empty());
    assert!(Config::from_lookup(lookup(&[])).unwrap().warnings().is_empty());
}

#[test]
fn trusted_proxies_count_only_with_forwarded_headers_on() {
    assert_eq!(Config::from_lookup(lookup(&[("TRUSTED_PROXIES", "2")])).unwrap().trusted_proxies(), 0);
    let c = Config::from_lookup(lookup(&[("TRUST_FORWARDED_HEADERS", "true")])).unwrap();
    assert_eq!(c.trusted_proxies(), 1, "one proxy by default");
    let c = Config::from_lookup(lookup(&[("TRUST_FORWARDED_HEADERS", "true"), ("TRUSTED_PROXIES", "2")]))
        .unwrap();
    assert_eq!(c.trusted_proxies(), 2);
    assert_eq!(
        Config::from_lookup(lookup(&[("TRUSTED_PROXIES", "0")])).unwrap_err().variable,
        "TRUSTED_PROXIES"
    );
}

#[test]
fn devops_scopes_are_least_privilege_unless_classic_is_asked_for() {
    use crate::devops_scopes::DevopsScopes;
    assert_eq!(Config::from_lookup(lookup(&[])).unwrap().devops_scopes, DevopsScopes::Least);
    let classic = Config::from_lookup(lookup(&[("DEVOPS_SCOPES", "classic")])).unwrap();
    assert_eq!(classic.devops_scopes, DevopsScopes::Classic);
    assert_eq!(
        Config::from_lookup(lookup(&[("DEVOPS_SCOPES", "all")])).unwrap_err().variable,
        "DEVOPS_SCOPES"
    );
}

#[test]
fn withheld_demo_scopes_are_read_for_the_demo_stack_only() {
    let c = Config::from_lookup(lookup(&[("DEMO_WITHHOLD_SCOPES", "vso.pats, vso.project")])).unwrap();
    assert_eq!(c.demo.withheld_scopes, ["vso.pats", "vso.project"]);
    let real = [REAL, &[("DEMO_WITHHOLD_SCOPES", "vso.pats")]].concat();
    assert_eq!(Config::from_lookup(lookup(&real)).unwrap_err().variable, "DEMO_WITHHOLD_SCOPES");
}

/// Issue 27: a busy Azure DevOps for the demo stack, read by name, refused beside Entra settings.
#[test]
fn a_busy_demo_azure_devops_is_read_for_the_demo_stack_only() {
    use crate::demo::devops::Throttle;
    let busy = [
        ("DEMO_THROTTLE", "contoso-demo=near, adatum-demo-02=blocked,fabrikam-demo=delayed"),
        ("DEMO_EXTRA_ORGS", "21"),
        ("DEMO_EXTRA_TOKENS", "0"),
        ("DEMO_QUIRKS", "bare_profile, refuse_classic"),
    ];
    let c = Config::from_lookup(lookup(&busy)).unwrap();
    use super::demo_mode::DemoQuirk;
    assert_eq!(c.demo.busy.quirks, [DemoQuirk::BareProfile, DemoQuirk::RefuseClassic]);
    assert_eq!(Config::from_lookup(lookup(&[("DEMO_QUIRKS", "slow")])).unwrap_err().variable, "DEMO_QUIRKS");
    assert_eq!(c.demo.busy.extra_orgs, 21);
    assert_eq!(c.demo.busy.extra_tokens, 0);
    assert_eq!(
        c.demo.busy.throttled,
        [
            ("contoso-demo".to_string(), Throttle::Near { remaining: 5, limit: 200 }),
            ("adatum-demo-02".to_string(), Throttle::Blocked { retry_after_secs: 30 }),
            ("fabrikam-demo".to_string(), Throttle::Delayed { retry_after_secs: 1 }),
        ]
    );
    for bad in ["contoso-demo", "contoso-demo=slow", "=near", "a/b=near"] {
        let e = Config::from_lookup(lookup(&[("DEMO_THROTTLE", bad)])).unwrap_err();
        assert_eq!(e.variable, "DEMO_THROTTLE", "{bad}");
        assert!(e.problem.contains("organization=near"), "{}", e.problem);
    }
    for (var, value) in busy {
        let real = [REAL, &[(var, value)]].concat();
        assert_eq!(Config::from_lookup(lookup(&real)).unwrap_err().variable, var);
    }
}

/// Issue 29: a huge number (`SESSION_MAX_HOURS=100000000`) overflowed the time arithmetic and
/// panicked; every number setting has an upper bound, refused at start by name.
#[test]
fn numbers_past_their_bound_are_refused_by_name() {
    for var in [
        "SESSION_IDLE_MINUTES",
        "SESSION_MAX_HOURS",
        "HTTP_TIMEOUT_SECS",
        "REQUEST_DEADLINE_SECS",
        "DRAIN_SECS",
        "TRUSTED_PROXIES",
        "RATE_LIMIT_SIGN_INS",
        "RATE_LIMIT_TOKEN_CREATES",
        "RATE_LIMIT_TOKEN_CHANGES",
        "DEMO_EXTRA_ORGS",
        "DEMO_EXTRA_TOKENS",
    ] {
        let at_bound = lookup::upper_bound(var).to_string();
        assert!(Config::from_lookup(lookup(&[(var, at_bound.as_str())])).is_ok(), "{var} at its bound");
        let e = Config::from_lookup(lookup(&[(var, "100000000000")])).unwrap_err();
        assert_eq!(e.variable, var);
        assert!(e.problem.contains("largest sensible value"), "{}", e.problem);
    }
    let e = Config::from_lookup(lookup(&[("METRICS_ADDR", "everywhere")])).unwrap_err();
    assert_eq!(e.variable, "METRICS_ADDR");
    let c = Config::from_lookup(lookup(&[("METRICS_ADDR", "127.0.0.1:9464")])).unwrap();
    assert_eq!(c.metrics_addr, Some("127.0.0.1:9464".parse().unwrap()));
    assert_eq!(Config::from_lookup(lookup(&[])).unwrap().metrics_addr, None, "off unless set");
}
