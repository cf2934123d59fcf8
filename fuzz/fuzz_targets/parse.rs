//! Fuzz target `parse`: raw bytes through `deskmail::parse::parse`, checked against what `Inbound` promises.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = harness::Target::Parse.check(data) {
        panic!("{e}");
    }
});
