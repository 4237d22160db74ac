//! The session cookie's value: the session id parser, and the sealed token cache opener.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    let _ = tower_sessions::session::Id::from_str(value);
    let sealer = server::sessions::Sealer::new(&[7u8; 32]);
    // Nothing a client sends opens without the key.
    assert!(sealer.open(value).is_none());
});
