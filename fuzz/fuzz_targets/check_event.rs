//! Arbitrary bytes as a port's next event file, through the whole check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portflow_fuzz::{Target, check};

fuzz_target!(|bytes: &[u8]| check(Target::Event, bytes));
