//! The kit's benchmarks, for its contributors: performance comparisons on
//! generated corpora, printed from one run. They live outside the `xtask`
//! crate so that an adopter's first `cargo xtask` does not compile them;
//! `cargo xtask bench WHAT` builds and runs this program.
use std::path::PathBuf;
use std::process::ExitCode;

use xtask::cli::{ColorChoice, Global};
use xtask::context::Ctx;
use xtask::error::{Error, Outcome, Result};

mod coverage;
mod gate_docs;
mod hostile;
mod snippets;

const USAGE: &str = "usage: xtask-bench snippets|gate-docs|coverage|hostile [--root DIR] [coverage: --host DIR --module PATH [--module PATH] [--base REV] [--threshold N]]";

fn main() -> ExitCode {
    match run() {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

fn run() -> Result<Outcome> {
    let mut args = std::env::args().skip(1);
    let what = args.next().ok_or_else(|| Error::usage(USAGE))?;
    let mut rest: Vec<String> = args.collect();
    let root = match rest.first().map(String::as_str) {
        Some("--root") if rest.len() >= 2 => {
            let dir = PathBuf::from(rest.remove(1));
            rest.remove(0);
            Some(dir)
        }
        _ => None,
    };
    let ctx = Ctx::new(&Global { root, json: false, color: ColorChoice::Auto, format: Default::default() })?;
    match (what.as_str(), rest.is_empty()) {
        ("snippets", true) => snippets::run(&ctx),
        ("gate-docs", true) => gate_docs::run(&ctx),
        ("coverage", true) => coverage::run(&ctx),
        ("coverage", false) => coverage::run_real(&ctx, &coverage::RealSuite::parse(&rest).map_err(Error::usage)?),
        ("hostile", true) => hostile::run(&ctx),
        (other, true) => Err(Error::usage(format!("unknown benchmark `{other}`; {USAGE}"))),
        _ => Err(Error::usage(USAGE)),
    }
}

/// The xtask binary under test: `XTASK_BIN` (set by `cargo xtask bench`).
pub fn xtask_binary() -> Result<PathBuf> {
    std::env::var_os("XTASK_BIN").map(PathBuf::from).filter(|p| p.is_file()).ok_or_else(|| {
        Error::usage("XTASK_BIN is not set to the xtask binary; run the benchmarks with `cargo xtask bench WHAT`")
    })
}
