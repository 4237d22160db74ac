//! The keys of the session store: the sealing of values (XChaCha20-Poly1305 keyed by `SESSION_KEY`), where that key comes from, and files only the server's user may read.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};

use crate::secret::Secret;

/// Seals and opens the token cache (XChaCha20-Poly1305, random 192-bit nonces).
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Sealer { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// `base64(nonce || ciphertext)`.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, String> {
        self.seal_bound(plaintext, b"")
    }

    /// Sealed and bound to `bound_to` (associated data): it opens only with the same.
    pub fn seal_bound(&self, plaintext: &[u8], bound_to: &[u8]) -> Result<String, String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        let payload = Payload { msg: plaintext, aad: bound_to };
        out.extend(self.cipher.encrypt(&nonce, payload).map_err(|_| "encryption failed".to_string())?);
        Ok(STANDARD.encode(out))
    }

    /// `None` when the value was sealed with another key or altered: the caller treats the
    /// session as signed out.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        self.open_bound(sealed, b"")
    }

    /// Opens a value sealed with [`Sealer::seal_bound`] to `bound_to`; `None` for any other.
    pub fn open_bound(&self, sealed: &str, bound_to: &[u8]) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: bound_to }).ok()
    }
}

/// Where the token-cache key comes from: `SESSION_KEY` (base64 of 32 bytes), `SESSION_KEY_FILE`,
/// or, with neither, a key generated on first run and kept in a file beside the session database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Value(Secret),
    File(PathBuf),
    Generated(PathBuf),
}

pub fn load_key(source: &KeySource) -> Result<[u8; 32], String> {
    let decode = |text: &str, what: &str| -> Result<[u8; 32], String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("{what} is not base64 (make one with: openssl rand -base64 32)"))?;
        <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| format!("{what} must decode to 32 bytes"))
    };
    match source {
        KeySource::Value(v) => decode(v.expose(), "SESSION_KEY"),
        KeySource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("SESSION_KEY_FILE {}: {e}", path.display()))?;
            decode(&text, "SESSION_KEY_FILE")
        }
        KeySource::Generated(path) => match std::fs::read_to_string(path) {
            Ok(text) => decode(&text, &format!("the key file {}", path.display())),
            Err(_) => {
                let mut key = [0u8; 32];
                chacha20poly1305::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut key);
                write_private(path, &STANDARD.encode(key))?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a token-cache key and kept it in a file; set SESSION_KEY (or SESSION_KEY_FILE) in production"
                );
                Ok(key)
            }
        },
    }
}

/// Creates the session database file with mode 0600 when it does not exist, and narrows an
/// existing one to it.
pub(super) fn make_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot create the session database {}: {e}", path.display()))?;
        for p in
            [path.to_path_buf(), crate::config::beside(path, "-wal"), crate::config::beside(path, "-shm")]
        {
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("cannot make {} private: {e}", p.display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn write_private(path: &Path, content: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))?;
        f.write_all(content.as_bytes())
            .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))
    }
    #[cfg(not(unix))]
    std::fs::write(path, content).map_err(|e| format!("cannot write the key file {}: {e}", path.display()))
}
