//! Helpers shared by the integration tests: fixture loading.

#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a copied X12 fixture.
pub fn x12_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/x12")
        .join(name)
}

/// Bytes of a copied X12 fixture.
pub fn x12(name: &str) -> Vec<u8> {
    std::fs::read(x12_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Names of every X12 fixture, sorted.
pub fn x12_names() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/x12");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".edi"))
        .collect();
    names.sort();
    names
}
