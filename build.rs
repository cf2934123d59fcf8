//! Embeds the bundled defaults (the sample mailbox, the default rules with their examples and
//! test mails, the templates) into the binary, so that an installed `deskmail` runs `demo`
//! and classifies without the source tree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const EMBEDDED: &[&str] = &["fixtures/sample-mailbox", "rules", "templates"];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    for dir in EMBEDDED {
        println!("cargo:rerun-if-changed={dir}");
        walk(&root, &root.join(dir), &mut files);
    }
    files.sort();
    let mut out =
        String::from("/// Every bundled file: its path relative to the source tree, and its bytes.\n");
    out.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (relative, absolute) in &files {
        writeln!(out, "    ({relative:?}, include_bytes!({absolute:?})),").expect("write to a String");
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(target, out).expect("write embedded.rs");
}

/// Every file under `dir`, as (path relative to `root` with `/`, absolute path).
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, files);
        } else if path.is_file() {
            let relative = path.strip_prefix(root).expect("under the root");
            let relative = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>();
            files.push((relative.join("/"), path.display().to_string()));
        }
    }
}
