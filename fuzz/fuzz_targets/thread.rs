//! Fuzz target `thread`: threading headers and subject tags parse without a panic, tags round-trip, reply headers stay clean.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = harness::Target::Thread.check(data) {
        panic!("{e}");
    }
});
