//! Shared support code for the integration tests (`mod common;` in a test file).
#![allow(dead_code)]

pub mod mailstack;
pub mod setup;
