//! Fuzz target `rules`: a fuzzed rule file through the checker never panics; every problem is on a line of the file.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = harness::Target::Rules.check(data) {
        panic!("{e}");
    }
});
