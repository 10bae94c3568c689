//! Fuzz target: the X12 decoder never panics, and whatever it accepts
//! renders and re-parses to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    o2c_formats::x12::fuzz_check(data);
});
