//! Compression as the browser asks (brotli, else gzip) for pages and server-function answers,
//! never for an answer that carries a new token's secret (BREACH), and the cache policy of
//! everything that is not a built asset. Built assets (precompressed, content-hashed names,
//! cached for a year) are checked against the release build in `end2end/tests/assets.spec.ts`.

mod common;

use app::model::{Expiry, PatForm};
use common::*;
use reqwest::header::HeaderMap;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, VARY};
use reqwest::Client;

/// A GET with `Accept-Encoding` as given (none when `None`): the headers and the raw body (this
/// client decompresses nothing).
async fn fetch(c: &Client, url: &str, accept: &str, encodings: Option<&str>) -> (HeaderMap, Vec<u8>) {
    let mut req = c.get(url).header(ACCEPT, accept);
    if let Some(e) = encodings {
        req = req.header(ACCEPT_ENCODING, e);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{url}: {}", res.status());
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

fn encoding(headers: &HeaderMap) -> &str {
    headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("identity")
}

#[tokio::test]
async fn pages_and_reads_are_compressed_as_the_browser_asks() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let page = app.url("/tokens");

    let (plain, plain_body) = fetch(&c, &page, "text/html", None).await;
    assert_eq!(encoding(&plain), "identity");
    assert!(plain_body.starts_with(b"<!DOCTYPE html>"), "uncompressed when not asked");

    let (br, br_body) = fetch(&c, &page, "text/html", Some("gzip, deflate, br, zstd")).await;
    assert_eq!(encoding(&br), "br", "brotli when the browser accepts it");
    assert!(!br_body.starts_with(b"<!"), "the body is brotli, not HTML");
    // At least halved (a page is mostly markup, with the inline hydration and navigation scripts).
    assert!(br_body.len() * 2 < plain_body.len(), "{} of {} bytes", br_body.len(), plain_body.len());
    assert_eq!(br.get(CACHE_CONTROL).unwrap(), "no-store", "pages are never kept");
    assert!(br.get(VARY).is_some_and(|v| v.to_str().unwrap().contains("accept-encoding")));

    let (gz, gz_body) = fetch(&c, &page, "text/html", Some("gzip")).await;
    assert_eq!(encoding(&gz), "gzip");
    assert_eq!(&gz_body[..2], &[0x1f, 0x8b], "a gzip stream");

    let (read, _) = fetch(&c, &app.url("/api/pats?filter=all"), "application/json", Some("br")).await;
    assert_eq!(encoding(&read), "br", "server-function reads are compressed too");
    assert_eq!(read.get(CACHE_CONTROL).unwrap(), "no-store");
    app.shutdown().await;
}

#[tokio::test]
async fn a_new_tokens_secret_is_never_sent_compressed() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let form = PatForm {
        name: "Breach probe".into(),
        scopes: vec!["vso.code".into()],
        expiry: Expiry::Days(7),
        all_orgs: false,
    };
    let post = |path: &'static str, body: serde_json::Value| {
        c.post(app.url(path))
            .header("content-type", "application/json")
            .header(ACCEPT, "application/json")
            .header(ACCEPT_ENCODING, "br, gzip")
            .body(body.to_string())
            .send()
    };
    let created =
        post(app::routes::api::CREATE_PAT, serde_json::json!({ "org": null, "form": form })).await.unwrap();
    assert_eq!(encoding(created.headers()), "identity", "the answer with the secret goes out as it is");
    let created: app::model::CreatedPat = serde_json::from_str(&created.text().await.unwrap()).unwrap();
    assert_eq!(created.secret.len(), 84, "and it carries the secret");

    let id = created.token.authorization_id.clone();
    let rotated = post(
        app::routes::api::ROTATE_PAT,
        serde_json::json!({ "org": null, "id": id, "expiry": Expiry::Days(7) }),
    )
    .await
    .unwrap();
    assert_eq!(encoding(rotated.headers()), "identity", "rotation answers a new secret too");
    assert!(rotated.status().is_success());
    app.shutdown().await;
}
