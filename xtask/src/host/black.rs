//! black from the venv (`python -m black`), run in the root so the host's
//! own configuration (`[tool.black]` in pyproject.toml) applies.
use std::path::Path;

use crate::core::black::{self as parse, BlackReport};
use crate::error::{Error, Result};
use crate::host::stream::{self, Sink};
use crate::host::venv::Venv;

/// What `black --check --diff` said.
#[derive(Debug)]
pub struct CheckRun {
    pub code: Option<i32>,
    pub report: BlackReport,
    /// The diff black printed (stdout).
    pub diff: String,
    /// black's own messages (stderr).
    pub messages: String,
}

fn command(root: &Path, venv: &Venv) -> std::process::Command {
    let mut cmd = stream::command(&venv.python(), root);
    cmd.args(["-m", "black"]);
    venv.activate(&mut cmd);
    cmd
}

/// `black --check --diff FILES`: nothing is changed.
pub fn check(root: &Path, venv: &Venv, files: &[String]) -> Result<CheckRun> {
    let mut cmd = command(root, venv);
    cmd.args(["--check", "--diff", "--no-color", "--"]).args(files);
    cmd.stdin(std::process::Stdio::null());
    let out =
        cmd.output().map_err(|e| Error::usage(format!("cannot run {} -m black: {e}", venv.python().display())))?;
    let diff = String::from_utf8_lossy(&out.stdout).into_owned();
    let messages = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    match code {
        Some(0 | 1 | 123) => {}
        _ => {
            return Err(Error::usage(format!(
                "black failed (exit {}): {}; run `cargo xtask doctor`",
                code.map_or("signal".to_string(), |c| c.to_string()),
                crate::host::process::tail(&out.stderr, 3)
            )))
        }
    }
    Ok(CheckRun { code, report: parse::parse(&diff, &messages), diff, messages })
}

/// `black FILES`: reformat in place, black's messages streaming to `sink`.
pub fn format(root: &Path, venv: &Venv, files: &[String], sink: Sink) -> Result<stream::Finished> {
    let mut cmd = command(root, venv);
    cmd.arg("--").args(files);
    stream::run(&mut cmd, sink, 400)
}
