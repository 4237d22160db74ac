//! Compression of what the server renders (pages, server-function answers) with brotli or gzip,
//! as the browser asks; built assets come precompressed from disk. Answers that carry a new
//! token's secret are never compressed: a secret in a compressed body beside text an attacker
//! can choose is what BREACH reads, one guessed character at a time.

use app::routes::{api, DEMO_PREFIX};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;

/// Server functions whose answer holds a secret shown once (a new token's value).
pub const SECRET_ANSWERS: [&str; 3] = [api::CREATE_PAT, api::ROTATE_PAT, api::REISSUE_PAT];

/// Marks an answer that must go out as it is.
#[derive(Clone, Copy, Debug)]
struct Uncompressed;

/// Whether the answer to `path` may carry a secret: the server functions above, and the demo
/// identity provider (its token endpoint answers tokens).
pub fn carries_secret(path: &str) -> bool {
    SECRET_ANSWERS.contains(&path) || path.starts_with(DEMO_PREFIX)
}

/// Inside the compression layer: marks the answers of [`carries_secret`] paths.
pub async fn mark_secret_answers(req: Request, next: Next) -> Response {
    let secret = carries_secret(req.uri().path());
    let mut res = next.run(req).await;
    if secret {
        res.extensions_mut().insert(Uncompressed);
    }
    res
}

/// The default predicate (not tiny, not images, not event streams), and not marked.
#[derive(Clone, Default)]
pub struct UnlessSecret(DefaultPredicate);

impl Predicate for UnlessSecret {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response.extensions().get::<Uncompressed>().is_none() && self.0.should_compress(response)
    }
}

/// Brotli and gzip at a quality that costs little per page (level 4 brotli is about as fast as
/// gzip 6 and smaller); precompressed assets pass through untouched (they carry
/// `Content-Encoding` already).
pub fn layer() -> CompressionLayer<UnlessSecret> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .no_deflate()
        .no_zstd()
        .quality(tower_http::CompressionLevel::Precise(4))
        .compress_when(UnlessSecret::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_secret_bearing_answers_are_left_uncompressed() {
        for p in SECRET_ANSWERS {
            assert!(carries_secret(p), "{p}");
        }
        assert!(carries_secret("/demo/entra/token"));
        for p in ["/", "/tokens", api::PATS, api::PAT, api::UPDATE_PAT, api::ME] {
            assert!(!carries_secret(p), "{p}");
        }
    }
}
