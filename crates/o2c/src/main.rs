//! The `o2c` command line: serve the hub, run the Odoo sandbox, run the demo,
//! and operate a running installation (keys, DLQ, replay, audit, bench).

mod cli;
mod cmd;
mod logging;
mod samples;
mod settings;

use std::process::ExitCode;

use clap::Parser;

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
