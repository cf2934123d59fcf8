//! Replays every kept fuzz input — `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` —
//! through the same harness the cargo-fuzz targets run, so the stable test suite keeps each
//! crash libFuzzer found fixed without needing cargo-fuzz.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use harness::Target;

/// The files of `fuzz/<kind>/<target>/`, in name order (none when the folder is absent).
fn inputs(kind: &str, target: Target) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind).join(target.name());
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.expect("entry").path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    paths
}

/// Runs every input of `kind` through each target; failures are collected so that one run
/// names every broken file, not only the first.
fn replay(kind: &str) -> usize {
    let mut failures = Vec::new();
    let mut count = 0;
    for target in Target::ALL {
        for path in inputs(kind, target) {
            count += 1;
            let data = std::fs::read(&path).expect("read input");
            let outcome = catch_unwind(AssertUnwindSafe(|| target.check(&data)));
            let failure = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(broken)) => broken,
                Err(panic) => panic_text(&panic),
            };
            failures.push(format!("{}: {failure}", path.display()));
        }
    }
    harness::remove_rules_dir();
    assert!(failures.is_empty(), "{} of {count} inputs fail:\n{}", failures.len(), failures.join("\n\n"));
    count
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    let text =
        panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied());
    format!("panicked: {}", text.unwrap_or("(no message)"))
}

#[test]
fn every_seed_passes_its_target() {
    // Each target has seeds: an empty folder would make its fuzzing start from nothing.
    for target in Target::ALL {
        assert!(!inputs("seeds", target).is_empty(), "no seeds for {}", target.name());
    }
    replay("seeds");
}

#[test]
fn every_kept_crash_stays_fixed() {
    replay("regressions");
}
