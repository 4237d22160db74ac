//! Loading the WebAssembly that hydrates the islands, in place of Leptos's `HydrationScripts`:
//! `nav.js` loads the module, hydrates every island and only then marks the page hydrated, which
//! Leptos's own islands script cannot tell (it does not say when a lazy island is done).
//!
//! With the `split` feature (`cargo leptos build --split --lib-features split`), the three heavy
//! islands (a token's changes, the new-token form, the inventory) are `#[island(lazy)]`: their
//! code is in wasm chunks of their own, fetched only by a page that shows them. The server names
//! those chunks in the page's head (`<link rel="preload">`, from cargo-leptos' split manifest), so
//! they download beside the main module instead of after it.

use leptos::config::LeptosOptions;
use leptos::prelude::*;

/// The main module's files and the split loader, as the page's head names them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Built {
    pub js: String,
    pub wasm: String,
    /// `__wasm_split.<hash>.js`: the glue that fetches chunks (a split build only).
    pub split_js: Option<String>,
    /// The chunks each lazy function needs, by the name `#[lazy]` gives it
    /// (`token_view_loader_<n>`), as paths under the site root without `.wasm`.
    pub chunks: std::collections::HashMap<String, Vec<String>>,
}

/// The files of this build, read once: `hash.txt` beside the server binary names the hashed
/// ones (`options.hash_files`), the split manifest the chunks.
#[cfg(feature = "ssr")]
pub fn built(options: &LeptosOptions) -> &'static Built {
    static BUILT: std::sync::OnceLock<Built> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| read_built(options, &|kind| hash_of(kind)))
}

#[cfg(feature = "ssr")]
fn read_built(options: &LeptosOptions, hash: &dyn Fn(&str) -> Option<String>) -> Built {
    let hashed = |kind: &str| options.hash_files.then(|| hash(kind)).flatten();
    let name = &options.output_name;
    let pkg = format!("/{}", options.site_pkg_dir);
    let js = match hashed("js") {
        Some(h) => format!("{pkg}/{name}.{h}.js"),
        None => format!("{pkg}/{name}.js"),
    };
    let wasm = match hashed("wasm") {
        Some(h) => format!("{pkg}/{name}.{h}.wasm"),
        // cargo-leptos names the unhashed module after the output name (`LEPTOS_OUTPUT_NAME`);
        // wasm-bindgen's own default adds `_bg`.
        None if option_env!("LEPTOS_OUTPUT_NAME").is_some() => format!("{pkg}/{name}.wasm"),
        None => format!("{pkg}/{name}_bg.wasm"),
    };
    let (split_js, manifest) = match (hashed("split"), hashed("manifest")) {
        (Some(s), Some(m)) => (format!("__wasm_split.{s}.js"), format!("__wasm_split_manifest.{m}.json")),
        _ => ("__wasm_split.______________________.js".into(), "__wasm_split_manifest.json".into()),
    };
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    // No manifest: a build without `--split`, every island in the main module.
    let chunks: Option<std::collections::HashMap<String, Vec<String>>> =
        std::fs::read_to_string(dir.join(&manifest)).ok().and_then(|text| serde_json::from_str(&text).ok());
    Built {
        js,
        wasm,
        split_js: chunks.is_some().then(|| format!("{pkg}/{split_js}")),
        chunks: chunks
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(|stem| format!("{pkg}/{stem}.wasm")).collect()))
            .collect(),
    }
}

/// The hash `hash.txt` (beside this binary, written by cargo-leptos' `hash-files`) lists for one
/// kind of file: `js`, `wasm`, `css`, and in a split build `split` and `manifest`.
#[cfg(feature = "ssr")]
pub fn hash_of(kind: &str) -> Option<String> {
    let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let text = std::fs::read_to_string(dir.join("hash.txt")).ok()?;
    text.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .find(|(k, _)| k.trim() == kind)
        .map(|(_, h)| h.trim().to_string())
}

impl Built {
    /// The chunks a lazy island's code needs (`TokenView` → the `token_view_loader_<n>` entry
    /// of the manifest); none in a build without `--split`.
    pub fn chunks_of(&self, island: &str) -> Vec<String> {
        let prefix = format!("{}_loader_", snake_case(island));
        let mut all: Vec<String> = self
            .chunks
            .iter()
            .filter(|(k, _)| k.strip_prefix(&prefix).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// `TokenView` → `token_view`, as Leptos's `#[lazy]` names a function's split.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The head's part: preloads of the module (and of the split loader), then `nav.js`, which
/// loads it and hydrates the islands. Carries this response's nonce.
#[component]
pub fn Boot(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let (js, wasm, split_js) = {
        // Islands: only what is inside an island carries hydration markers.
        if let Some(sc) = Owner::current_shared_context() {
            sc.set_is_hydrating(false);
        }
        let b = built(&options);
        (b.js.clone(), b.wasm.clone(), b.split_js.clone())
    };
    #[cfg(not(feature = "ssr"))]
    let (js, wasm, split_js) = {
        let _ = options;
        (String::new(), String::new(), None::<String>)
    };
    let nonce = leptos::nonce::use_nonce();
    view! {
        <link rel="modulepreload" href=js.clone() crossorigin="" />
        {split_js.map(|s| view! { <link rel="modulepreload" href=s crossorigin="" /> })}
        <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script nonce=nonce data-js=js data-wasm=wasm>{include_str!("nav.js")}</script>
    }
}

/// Put beside a lazy island: the page's head names the chunks its code is in, so the browser
/// fetches them with the main module. Nothing in a build without `--split`.
#[component]
pub fn PreloadIsland(name: &'static str) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        use leptos_meta::Link;
        // The shell provides the build's files to the whole page.
        let chunks = use_context::<&'static Built>().map(|b| b.chunks_of(name)).unwrap_or_default();
        chunks
            .into_iter()
            .map(|href| view! { <Link rel="preload" href=href as_="fetch" type_="application/wasm" crossorigin="" /> })
            .collect_view()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn names_follow_lazy_islands() {
        assert_eq!(snake_case("TokenView"), "token_view");
        assert_eq!(snake_case("NewToken"), "new_token");
        assert_eq!(snake_case("InventoryView"), "inventory_view");
    }

    #[test]
    fn a_build_without_hashes_or_split_names_plain_files() {
        let o =
            LeptosOptions::builder().output_name("p").site_pkg_dir("pkg").site_root("/nonexistent").build();
        let b = read_built(&o, &|_| None);
        assert_eq!(b.js, "/pkg/p.js");
        assert!(b.wasm == "/pkg/p.wasm" || b.wasm == "/pkg/p_bg.wasm", "{}", b.wasm);
        assert_eq!(b.split_js, None);
        assert!(b.chunks_of("TokenView").is_empty());
    }

    #[test]
    fn a_split_build_names_each_lazy_islands_chunks() {
        let dir = std::env::temp_dir().join(format!("boot-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let manifest = r#"{"token_view_loader_123":["chunk_2.AAAAAAAAAAAAAAAAAAAAAA","split_token_view_loader_123.BBBBBBBBBBBBBBBBBBBBBB"],
            "new_token_loader_9":["chunk_2.AAAAAAAAAAAAAAAAAAAAAA"],"token_view_loader_x":["other"]}"#;
        std::fs::write(dir.join("pkg/__wasm_split_manifest.MMMMMMMMMMMMMMMMMMMMMM.json"), manifest).unwrap();
        let o = LeptosOptions::builder()
            .output_name("p")
            .site_pkg_dir("pkg")
            .site_root(dir.to_string_lossy().to_string())
            .hash_files(true)
            .build();
        let hashes = |k: &str| match k {
            "js" => Some("JJJJJJJJJJJJJJJJJJJJJJ".to_string()),
            "wasm" => Some("WWWWWWWWWWWWWWWWWWWWWW".to_string()),
            "split" => Some("SSSSSSSSSSSSSSSSSSSSSS".to_string()),
            "manifest" => Some("MMMMMMMMMMMMMMMMMMMMMM".to_string()),
            _ => None,
        };
        let b = read_built(&o, &hashes);
        assert_eq!(b.js, "/pkg/p.JJJJJJJJJJJJJJJJJJJJJJ.js");
        assert_eq!(b.wasm, "/pkg/p.WWWWWWWWWWWWWWWWWWWWWW.wasm");
        assert_eq!(b.split_js.as_deref(), Some("/pkg/__wasm_split.SSSSSSSSSSSSSSSSSSSSSS.js"));
        assert_eq!(
            b.chunks_of("TokenView"),
            [
                "/pkg/chunk_2.AAAAAAAAAAAAAAAAAAAAAA.wasm",
                "/pkg/split_token_view_loader_123.BBBBBBBBBBBBBBBBBBBBBB.wasm"
            ]
        );
        assert_eq!(b.chunks_of("NewToken"), ["/pkg/chunk_2.AAAAAAAAAAAAAAAAAAAAAA.wasm"]);
        assert!(b.chunks_of("InventoryView").is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
