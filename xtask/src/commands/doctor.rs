//! `cargo xtask doctor`: which tools are there, which versions, and the
//! command that fixes what is missing.
use std::path::Path;

use crate::context::Ctx;
use crate::core::devtools::HostStep;
use crate::core::finding::{Finding, Status};
use crate::error::Outcome;
use crate::error::Result;
use crate::host::process;
use crate::host::venv::{self, Venv};
use crate::report::{self, Report};

const SETUP: &str = "run `cargo xtask setup`";

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let checks = diagnose(&ctx.root, &ctx.settings.pyproject);
    let ok = !checks.iter().any(Finding::is_fail);
    if ctx.json {
        report::emit(&Report { checks, workspaces: Vec::new() }, true, &ctx.style, "doctor");
    } else {
        for f in &checks {
            let status = match f.status {
                Status::Pass => ctx.style.green("ok  "),
                Status::Fail => ctx.style.red("FAIL"),
                Status::Skip => ctx.style.yellow("skip"),
            };
            let fix = f.extra.get("fix").and_then(|v| v.as_str()).map(|c| format!("  -> {c}")).unwrap_or_default();
            crate::outln!("{status} {:<13} {}{fix}", f.rule, f.message);
        }
        crate::outln!("doctor: {}", if ok { ctx.style.green("ok") } else { ctx.style.red("something is missing") });
    }
    Ok(Outcome::from_ok(ok))
}

/// One finding per tool: `rule` is the tool, `message` its version and path.
pub fn diagnose(root: &Path, pyproject: &serde_json::Value) -> Vec<Finding> {
    let mut out = Vec::new();
    out.push(program("git", &["--version"], "install git (e.g. `apt-get install git`)", true, root));
    let (step, _) = venv::host_step(root, pyproject);
    let needs_make = matches!(step, HostStep::MakeInstallDev { .. });
    out.push(program("make", &["--version"], "install make (e.g. `apt-get install make`)", needs_make, root));
    out.push(program(
        "python3",
        &["--version"],
        "install Python 3 (e.g. `apt-get install python3 python3-venv`)",
        true,
        root,
    ));
    let venv = Venv::of(root);
    let host = Finding::pass("doctor", "host dev tools", step.describe());
    out.push(host);
    if venv.exists() {
        let version = venv.python_version().unwrap_or_else(|| "?".into());
        out.push(
            Finding::pass("doctor", ".venv", format!("Python {version}  {}", venv.python().display()))
                .with("version", version),
        );
    } else {
        out.push(Finding::fail("doctor", ".venv", format!("missing: {}", venv.dir.display())).with("fix", SETUP));
    }
    for (tool, version) in venv.tools() {
        out.push(match version {
            Some(v) => Finding::pass("doctor", tool, v.clone()).with("version", v),
            None => Finding::fail("doctor", tool, "missing from .venv").with("fix", SETUP),
        });
    }
    out
}

/// A program on PATH and the first line of its `--version`.
fn program(name: &str, args: &[&str], fix: &str, required: bool, root: &Path) -> Finding {
    match process::find_on_path(name) {
        Some(path) => {
            let version = process::capture(&path, args, root)
                .ok()
                .map(|o| {
                    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
                    text.lines().next().unwrap_or("").trim().to_string()
                })
                .unwrap_or_default();
            let short = version.rsplit(' ').next().unwrap_or("").to_string();
            Finding::pass("doctor", name, format!("{short}  {}", path.display()))
                .with("version", short)
                .with("path", path.display().to_string())
        }
        None if required => Finding::fail("doctor", name, "not found on PATH").with("fix", fix),
        None => Finding::skip("doctor", name, "not found on PATH (not needed: no install-dev target)").with("fix", fix),
    }
}
