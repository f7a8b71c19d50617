//! The `semaine` binary. Everything it does lives in the library (see `lib.rs`): this file
//! only parses the command line, hands it over, and turns the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    match semaine::run(semaine::cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            semaine::report(&e);
            ExitCode::FAILURE
        }
    }
}
