//! `cargo xtask fmt [--check] [--all]`: black on the modified Python files
//! (deleted files left out), or on every file under the source roots and
//! tests with `--all`, with the host's black configuration.
use crate::commands::Outcome;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::host::black::{self, CheckRun};
use crate::host::changes::Changes;
use crate::host::pytest::python_files;
use crate::host::stream::Sink;
use crate::host::venv;
use crate::report::{self, Report};
use crate::spec::finding::Finding;

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
    let checks = findings(&files, &run);
    let report = Report { checks, workspaces: Vec::new() };
    if !ctx.json {
        crate::out!("{}", run.diff);
    }
    report::emit(&report, ctx.json, &ctx.style, "fmt");
    Ok(Outcome::from_ok(report.ok()))
}

/// The modified `.py` files, whatever folder they are in.
pub fn modified_python(changes: &Changes) -> Vec<String> {
    changes.files.iter().filter(|f| f.ends_with(".py")).cloned().collect()
}

/// Every `.py` file under the source roots and the test folders.
pub fn all_files(ctx: &Ctx) -> Vec<String> {
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

/// `format` findings: one per file black would change or cannot parse, or
/// one pass naming how many files were checked.
pub fn findings(files: &[String], run: &CheckRun) -> Vec<Finding> {
    let mut out = Vec::new();
    for path in &run.report.would_reformat {
        let mut f = Finding::fail("format", "black", "black would reformat this file; run `cargo xtask fmt`")
            .at(path.clone(), None);
        if let Some(diff) = run.report.diffs.get(path) {
            f = f.with("diff", diff.clone());
        }
        out.push(f);
    }
    for e in &run.report.parse_errors {
        out.push(Finding::fail("format", "parse", format!("black {}", e.message)).at(e.path.clone(), e.line));
    }
    if out.is_empty() && run.code != Some(0) {
        // black failed without naming a file: say what it said.
        out.push(Finding::fail("format", "black", format!("black --check failed: {}", run.messages.trim())));
    }
    if out.is_empty() {
        out.push(Finding::pass(
            "format",
            "black",
            format!("{} Python file{} formatted", files.len(), if files.len() == 1 { " is" } else { "s are" }),
        ));
    }
    out
}
