//! `cargo xtask fmt [--check] [--all]`: black on the modified Python files
//! (deleted files left out), or on every file under the source roots and
//! tests with `--all`, with the host's black configuration.
use crate::context::Ctx;
use crate::core::finding::Finding;
use crate::error::{Error, Outcome, Result};
use crate::gate::python::{format_findings, modified_python};
use crate::host::black;
use crate::host::changes::Changes;
use crate::host::pytest::python_files;
use crate::host::stream::Sink;
use crate::host::venv;
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, check: bool, all: bool) -> Result<Outcome> {
    let (files, scope) = if all {
        (all_files(ctx), "under the source roots and tests".to_string())
    } else {
        let changes = Changes::collect(&ctx.root, None)?;
        (modified_python(&changes), changes.describe_base())
    };
    if files.is_empty() {
        let message = format!("no Python files to format ({scope})");
        if ctx.json {
            let checks = vec![Finding::pass("format", "black", message)];
            report::emit(&Report { checks, workspaces: Vec::new() }, true, &ctx.style, "fmt");
        } else {
            crate::outln!("fmt: {message}");
        }
        return Ok(Outcome::Success);
    }
    let venv = venv::ensure(&ctx.root, &ctx.settings.pyproject)?;
    if !check {
        let sink = if ctx.json { Sink::Stderr } else { Sink::Stdout };
        let done = black::format(&ctx.root, &venv, &files, sink)?;
        return match done.code() {
            Some(0) => Ok(Outcome::Success),
            Some(123) => Ok(Outcome::Failed),
            code => Err(Error::usage(format!(
                "black failed (exit {}): {}",
                code.map_or("signal".into(), |c| c.to_string()),
                done.last_lines(3)
            ))),
        };
    }
    let run = black::check(&ctx.root, &venv, &files)?;
    let checks = format_findings(&files, &run);
    let report = Report { checks, workspaces: Vec::new() };
    if !ctx.json {
        crate::out!("{}", run.diff);
    }
    report::emit(&report, ctx.json, &ctx.style, "fmt");
    Ok(Outcome::from_ok(report.ok()))
}

/// Every `.py` file under the source roots and the test folders.
fn all_files(ctx: &Ctx) -> Vec<String> {
    let s = &ctx.settings;
    let mut files: Vec<String> = Vec::new();
    let folders = s.source_roots.iter().chain([&s.unit_tests, &s.integration_tests]);
    for folder in folders {
        for f in python_files(&ctx.root, folder.trim_matches('/')) {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    files
}
