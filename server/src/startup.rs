//! Why the server would not start: each case names the setting or resource to fix.

/// A startup failure; `main` prints it and exits with status 1.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("PUBLIC_URL: {0}")]
    PublicUrl(String),
    #[error("CLIENT_CERTIFICATE_PATH: {0}")]
    Certificate(String),
    #[error("CLIENT_SECRET or CLIENT_CERTIFICATE_PATH is required")]
    NoClientCredential,
    #[error("session key: {0}")]
    SessionKey(String),
    #[error("session store: {0}")]
    SessionStore(String),
    #[error("demo stack: {0}")]
    Demo(String),
}
