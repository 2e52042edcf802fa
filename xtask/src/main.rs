//! `cargo xtask`: parse the command line, run one command, exit with its status.
use std::process::ExitCode;

fn main() -> ExitCode {
    let invocation = match xtask::cli::parse(std::env::args_os()) {
        Ok(invocation) => invocation,
        Err(code) => return code,
    };
    let json = invocation.global.json;
    match xtask::commands::run(invocation) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("error: {err}");
            if json && !xtask::STDOUT_USED.load(std::sync::atomic::Ordering::Relaxed) {
                // A reader of stdout gets one JSON document whatever happened.
                let doc = xtask::report::json::error(&err);
                xtask::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
            }
            err.exit_code()
        }
    }
}
