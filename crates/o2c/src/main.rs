//! The `o2c` command line: serve the hub, run the Odoo sandbox, run the demo,
//! and operate a running installation (keys, DLQ, replay, audit, bench).

mod cli;
mod cmd;
mod logging;
mod samples;
mod settings;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: the hub's hot paths (the jq
/// mappings, JSON, HTTP) allocate many small short-lived values, and glibc's
/// malloc spent about 40 % of a mapping run in malloc/free; `o2c bench map`
/// measured mapping 1.5–2.4× faster with mimalloc (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.log_format());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("o2c: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("o2c: {error:#}");
            ExitCode::FAILURE
        }
    }
}
