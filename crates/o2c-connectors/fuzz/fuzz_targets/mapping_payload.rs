//! Fuzz target: a channel payload read and mapped by the direct evaluator
//! (its own strict JSON reader included) never panics and answers as jaq.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    o2c_connectors::mapping::fuzz_check(data);
});
