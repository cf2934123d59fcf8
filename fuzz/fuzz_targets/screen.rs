//! Fuzz target `screen`, the loop policy: a fuzzed mail with a machine-signal header prepended is never screened as human.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = harness::Target::Screen.check(data) {
        panic!("{e}");
    }
});
