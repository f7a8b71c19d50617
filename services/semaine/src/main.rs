//! The `semaine` binary. Everything it does lives in the library (see `lib.rs`): this file
//! only parses the command line, hands it over, and turns the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system's allocator: the services allocate many small, short-lived
/// values (events, rows, messages), and glibc's `malloc` and `free` were the largest costs when
/// rebuilding the read models (see `docs/performance.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
