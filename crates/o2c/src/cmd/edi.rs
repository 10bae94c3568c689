//! `o2c edi parse|render`: X12 to JSON and back, for looking at a trading
//! partner's file or preparing one. Errors name the segment (1-based in the
//! file) and element, and exit with 2.

use std::process::ExitCode;

use anyhow::Result;
use o2c_formats::x12::{self, ParseOptions, X12File};
use serde_json::json;

use super::EXIT_BAD_INPUT;
use crate::cli::EdiCommand;

fn fail(message: impl std::fmt::Display, detail: serde_json::Value) -> Result<ExitCode> {
    eprintln!("o2c: {message}");
    println!("{}", serde_json::to_string_pretty(&detail)?);
    Ok(ExitCode::from(EXIT_BAD_INPUT))
}

pub fn run(command: EdiCommand) -> Result<ExitCode> {
    match command {
        EdiCommand::Parse { file, lenient } => {
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(error) => {
                    return fail(
                        format!("cannot read {}: {error}", file.display()),
                        json!({ "error": error.to_string() }),
                    );
                }
            };
            let options = if lenient {
                ParseOptions::lenient()
            } else {
                ParseOptions::strict()
            };
            match x12::parse_with(&bytes, &options) {
                Ok(parsed) => {
                    for warning in &parsed.warnings {
                        eprintln!("o2c: warning: {warning}");
                    }
                    println!("{}", serde_json::to_string_pretty(&parsed.file)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => fail(
                    &error,
                    json!({ "error": error.to_string(), "position": error.position, "kind": error.kind }),
                ),
            }
        }
        EdiCommand::Render { file } => {
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(error) => {
                    return fail(
                        format!("cannot read {}: {error}", file.display()),
                        json!({ "error": error.to_string() }),
                    );
                }
            };
            let model: X12File = match serde_json::from_str(&text) {
                Ok(model) => model,
                Err(error) => {
                    return fail(
                        format!(
                            "{} is not the JSON `o2c edi parse` prints: {error}",
                            file.display()
                        ),
                        json!({ "error": error.to_string(), "line": error.line(), "column": error.column() }),
                    );
                }
            };
            match x12::render(&model) {
                Ok(x12_text) => {
                    print!("{x12_text}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => fail(
                    &error,
                    json!({ "error": error.to_string(), "position": error.position }),
                ),
            }
        }
    }
}
