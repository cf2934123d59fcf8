//! The bundled defaults, embedded at build time (`build.rs`): the sample mailbox, the default
//! rules (with their examples and test mails) and templates. `demo` writes them into its own
//! directory; `classify` without a configuration reads them from a private copy. No command
//! reads the source tree the binary was built from.

use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The bundled files under `prefix` (e.g. `"rules"`), as (path below `prefix`, bytes).
pub fn under(prefix: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    FILES.iter().filter_map(move |(path, bytes)| {
        path.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('/')).map(|rest| (rest, *bytes))
    })
}

/// Writes the bundled files under `prefix` into `dir` (created), keeping their layout.
pub fn write(prefix: &str, dir: &Path) -> std::io::Result<()> {
    for (relative, bytes) in under(prefix) {
        let target = dir.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, bytes)?;
    }
    Ok(())
}

/// A private copy of the default rules and templates, removed when dropped.
pub struct Copy {
    pub dir: PathBuf,
}

impl Copy {
    /// Writes `rules/` and `templates/` into a new directory under the system's temp dir.
    pub fn rules_and_templates() -> std::io::Result<Copy> {
        let unique = format!(
            "deskmail-defaults-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        );
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir(&dir)?;
        let copy = Copy { dir };
        write("rules", &copy.dir.join("rules"))?;
        write("templates", &copy.dir.join("templates"))?;
        Ok(copy)
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        // Only the directory this process created and filled.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_hold_rules_templates_and_the_sample_mailbox() {
        assert!(under("rules").any(|(p, _)| p.ends_with(".toml")));
        assert!(under("templates").any(|(p, _)| p == "ack.en.j2"));
        assert!(under("fixtures/sample-mailbox").count() >= 5);
        assert!(under("rule").next().is_none(), "a prefix is a whole path component");
    }
}
