//! `cargo xtask`: parse the command line, run one command, exit with its status.
use std::process::ExitCode;

fn main() -> ExitCode {
    let invocation = match xtask::cli::parse(std::env::args_os()) {
        Ok(invocation) => invocation,
        Err(code) => return code,
    };
    match xtask::commands::run(invocation) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}
