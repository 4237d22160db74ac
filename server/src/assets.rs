//! The built assets' names: with cargo-leptos' `hash-files`, each carries the hash of its content, listed in `hash.txt` beside the server binary.

use leptos::config::LeptosOptions;

/// The stylesheet's path as the pages name it (for the few answers rendered outside Leptos).
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options.hash_files.then(|| hash_of("css")).flatten();
    let name = match hash {
        Some(h) => format!("{}.{h}", options.output_name),
        None => options.output_name.to_string(),
    };
    format!("/{}/{name}.css", options.site_pkg_dir)
}

/// Whether the site was built with hashed names (`LEPTOS_HASH_FILES=true cargo leptos build`):
/// `hash.txt` beside this binary names a wasm file that is really in the site. A `hash.txt` left
/// by an earlier build, or a binary copied without it, means plain names: never a page naming
/// files that are not there.
pub fn hashed_build(options: &LeptosOptions) -> bool {
    hash_of("wasm").is_some_and(|hash| {
        std::path::Path::new(&*options.site_root)
            .join(&*options.site_pkg_dir)
            .join(format!("{}.{hash}.wasm", options.output_name))
            .is_file()
    })
}

/// The hash `hash.txt` lists for one kind of file (`js`, `wasm`, `css`).
fn hash_of(kind: &str) -> Option<String> {
    let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let text = std::fs::read_to_string(dir.join("hash.txt")).ok()?;
    text.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .find(|(k, _)| k.trim() == kind)
        .map(|(_, h)| h.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hashes_the_stylesheet_keeps_its_plain_name() {
        let o = LeptosOptions::builder().output_name("devops-pat-portal").site_pkg_dir("pkg").build();
        assert_eq!(stylesheet_href(&o), "/pkg/devops-pat-portal.css");
    }
}
