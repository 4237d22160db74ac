//! The demo stack's state file: its signing key and client secret, kept across restarts (beside the session database, readable by its owner only) so a restart signs nobody out.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::keys::SigningKey;
use crate::random_token;

/// What the demo identity provider needs to keep accepting its own tokens after a restart.
pub struct DemoSecrets {
    pub key: SigningKey,
    pub client_secret: String,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    /// base64 of the PKCS#1 DER private key.
    signing_key: String,
    client_secret: String,
}

impl DemoSecrets {
    /// Fresh secrets that live only in this process.
    pub fn generate() -> Result<Self, String> {
        Ok(DemoSecrets { key: SigningKey::generate()?, client_secret: random_token(32) })
    }

    /// The secrets kept in `path`, or new ones written there (mode 0600) when it does not exist.
    /// A file that cannot be read as ours is an error naming it, never silently replaced.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::parse(&text).map_err(|e| format!("{}: {e} (delete it to start afresh)", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let fresh = Self::generate()?;
                if write_new(path, &fresh.serialize())? {
                    tracing::info!(path = %path.display(), "demo stack: signing key and client secret kept for restarts");
                    Ok(fresh)
                } else {
                    // Another instance created it first: use theirs, so both accept the same tokens.
                    Self::load_or_create(path)
                }
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let stored: Stored =
            serde_json::from_str(text).map_err(|_| "not a demo-stack state file".to_string())?;
        let der =
            STANDARD.decode(stored.signing_key).map_err(|_| "the signing key is not base64".to_string())?;
        Ok(DemoSecrets { key: SigningKey::from_der(&der)?, client_secret: stored.client_secret })
    }

    fn serialize(&self) -> String {
        let stored = Stored {
            signing_key: STANDARD.encode(self.key.to_der()),
            client_secret: self.client_secret.clone(),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }
}

/// Writes `path` (readable and writable by its owner only) unless it exists: `Ok(false)` when
/// another process created it first. The content goes to a private temporary file that is then
/// linked into place, so no reader ever sees a half-written file and nothing is overwritten.
fn write_new(path: &Path, content: &str) -> Result<bool, String> {
    let fail = |what: &Path, e: std::io::Error| format!("cannot write {}: {e}", what.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    }
    let temp = temp_beside(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&temp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, content.as_bytes()).and_then(|()| f.sync_all()));
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(fail(path, e)),
    }
}

/// A temporary name beside `path`, unique to this call.
fn temp_beside(path: &Path) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(format!(".{}.tmp", random_token(6)));
    p.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_survive_a_restart_and_the_file_is_private() {
        let dir = std::env::temp_dir().join(format!("demo-secrets-{}", uuid::Uuid::new_v4()));
        let path = dir.join("sessions.sqlite.demo");
        let first = DemoSecrets::load_or_create(&path).unwrap();
        let second = DemoSecrets::load_or_create(&path).unwrap();
        assert_eq!(first.key.kid, second.key.kid, "the same key after a restart");
        assert_eq!(first.client_secret, second.client_secret);
        let token = first.key.sign(&serde_json::json!({"sub": "x"}));
        let v = {
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            v.set_required_spec_claims::<&str>(&[]);
            v.validate_exp = false;
            v
        };
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &second.key.decoding, &v).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "readable by its owner only");
        }
        std::fs::write(&path, "garbage").unwrap();
        let e = DemoSecrets::load_or_create(&path).err().unwrap();
        assert!(e.contains("delete it"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
