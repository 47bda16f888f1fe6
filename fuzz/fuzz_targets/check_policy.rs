//! Arbitrary bytes as porting.toml, through the whole check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portflow_fuzz::{Target, check};

fuzz_target!(|bytes: &[u8]| check(Target::Policy, bytes));
