//! Runs one shipped mapping on one payload many times, on one thread, for
//! an instruction profiler: the mapping alone (payload read, evaluation,
//! result to JSON), without the hub's validation that `o2c bench map`
//! adds. `docs/benchmarks.md` gives the callgrind command.
//!
//! `cargo run --release -p o2c-connectors --example map_profile -- CHANNEL|FILE.jq PAYLOAD.json [RUNS]`
//!
//! A `.jq` file instead of a channel runs that program, to weigh a change
//! to a mapping before shipping it as a new version.

use std::process::ExitCode;

use o2c_connectors::{MappingProgram, MappingSet};

/// The allocator the `o2c` binary runs the mappings with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(channel), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: map_profile CHANNEL PAYLOAD.json [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let payload = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    let set;
    let from_file;
    let (name, program) = if channel.ends_with(".jq") {
        let compiled = std::fs::read_to_string(channel)
            .map_err(|e| e.to_string())
            .and_then(|source| {
                MappingProgram::compile(channel, &source).map_err(|e| e.to_string())
            });
        match compiled {
            Ok(program) => {
                from_file = program;
                (channel.clone(), &from_file)
            }
            Err(error) => {
                eprintln!("{channel}: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        set = match MappingSet::shipped() {
            Ok(set) => set,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        };
        match set.get(channel, None) {
            Ok(mapping) => (mapping.name(), &mapping.program),
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        }
    };
    let started = std::time::Instant::now();
    let mut outputs = 0;
    for _ in 0..runs {
        match program.run(&payload, "shop-1", "2026-11-27T00:00:00Z") {
            Ok(orders) => outputs += orders.len(),
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} ({}): {runs} runs, {outputs} outputs, {:.0} runs/s, direct: {}",
        name,
        path,
        runs as f64 / seconds,
        program.is_direct()
    );
    ExitCode::SUCCESS
}
