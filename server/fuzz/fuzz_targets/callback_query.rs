//! The query of `/getAToken` as the server function decodes it, and what the app makes of each value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    // The server function's arguments, decoded the way the GetUrl codec decodes them.
    if let Ok(args) = serde_qs::from_str::<app::api::CompleteSignIn>(query) {
        if let Some(d) = args.error_description.as_deref() {
            if let Some(code) = server::oidc::aadsts_code(d) {
                assert!(code.starts_with("AADSTS"));
            }
        }
        let _ = args.code.map(|c| c.len());
        let _ = args.state.map(|s| s.len());
    }
    // `return_to` rides in the same query on the way in.
    let back = server::portal::safe_return_to(Some(query));
    assert!(back == "/" || (back.starts_with('/') && !back.starts_with("//")));
});
