//! Fuzz target `compose`: templates rendered with hostile customer fields build mails without injected headers or `<script`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = harness::Target::Compose.check(data) {
        panic!("{e}");
    }
});
