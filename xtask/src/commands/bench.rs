//! `cargo xtask bench WHAT`: the kit's benchmarks. They are a separate package
//! (`xtask-bench/` in the kit's own repository) so that an adopter's first
//! build does not compile them; this command builds that package in release
//! mode and runs it against this very binary; arguments after `--` go to it.
use std::process::Command;

use crate::context::Ctx;
use crate::error::{Error, Outcome, Result};

pub fn run(ctx: &Ctx, what: &str, args: &[String]) -> Result<Outcome> {
    let manifest = ctx.root.join("xtask-bench").join("Cargo.toml");
    if !manifest.is_file() {
        return Err(Error::usage(
            "the benchmarks are for the kit's contributors and ship only with its own repository (xtask-bench/); run them there",
        ));
    }
    let exe = std::env::current_exe().map_err(|e| Error::usage(format!("cannot find this program: {e}")))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["run", "--quiet", "--release", "--manifest-path"])
        .arg(&manifest)
        .args(["--", what, "--root"])
        .arg(&ctx.root)
        .args(args)
        .env("XTASK_BIN", &exe)
        .status()
        .map_err(|e| {
            Error::usage(format!(
                "cannot run cargo ({e}); run `cargo run --release -p xtask-bench -- {what}` with XTASK_BIN set"
            ))
        })?;
    match status.code() {
        Some(0) => Ok(Outcome::Success),
        Some(1) => Ok(Outcome::Failed),
        _ => Err(Error::usage(format!("the benchmark `{what}` failed ({status})"))),
    }
}
