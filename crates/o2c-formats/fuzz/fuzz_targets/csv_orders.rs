//! Fuzz target: the CSV order decoder never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    o2c_formats::csv_orders::fuzz_check(data);
});
