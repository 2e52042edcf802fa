//! `cargo xtask fmt [--check] [--all]`: the project's formatter (ruff format
//! or black, see `core::toolchain`) on the modified Python files (deleted
//! files left out), on the lines the change touched where the file existed
//! before; or on every file under the source roots and tests with `--all`.
//! The project's own formatter configuration applies.
use crate::context::Ctx;
use crate::core::finding::Finding;
use crate::core::formatting::Target;
use crate::error::{Outcome, Result};
use crate::gate::python::{format_targets, modified_python};
use crate::host::changes::Changes;
use crate::host::formatter;
use crate::host::pytest::python_files_in;
use crate::host::stream::Sink;
use crate::host::venv;
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, check: bool, all: bool) -> Result<Outcome> {
    let formatter = ctx.settings.toolchain.formatter.tool;
    let (targets, scope) = if all {
        let whole = all_files(ctx).into_iter().map(|path| Target { path, ranges: None }).collect();
        (whole, "under the source roots and tests".to_string())
    } else {
        let changes = Changes::collect(&ctx.root, None)?;
        let files = modified_python(ctx, &changes);
        let added = changes.added_lines(&ctx.root, &files)?;
        (format_targets(&ctx.root, &files, &added), changes.describe_base())
    };
    if targets.is_empty() {
        let message = format!("no Python files to format ({scope})");
        if ctx.json {
            let checks = vec![Finding::pass("format", formatter.as_str(), message)];
            report::emit(&Report { checks, workspaces: Vec::new() }, true, &ctx.style, "fmt");
        } else {
            crate::outln!("fmt: {message}");
        }
        return Ok(Outcome::Success);
    }
    let venv = venv::ensure(&ctx.root, &ctx.settings)?;
    if !check {
        let sink = if ctx.json { Sink::Stderr } else { Sink::Stdout };
        // What changed is told by the files themselves: the formatters say
        // little (nothing at all when a ranged run changes nothing).
        let hashes = || -> Vec<Option<String>> {
            targets.iter().map(|t| crate::host::fs::content_hash(&ctx.root.join(&t.path))).collect()
        };
        let before = hashes();
        let ok = formatter::format(&ctx.root, &venv, formatter, &targets, sink)?;
        let after = hashes();
        let changed: Vec<&str> = targets
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(t, _)| t.path.as_str())
            .collect();
        let message = match changed.len() {
            0 => format!("{} file{} checked ({scope}), nothing to change", targets.len(), plural(targets.len())),
            n => format!(
                "reformatted {n} of {} file{} ({scope}): {}",
                targets.len(),
                plural(targets.len()),
                changed.join(", ")
            ),
        };
        if ctx.json {
            let finding = if ok {
                Finding::pass("format", formatter.as_str(), message)
            } else {
                Finding::fail(
                    "format",
                    formatter.as_str(),
                    format!("{message}; the formatter failed (its output is on stderr)"),
                )
            };
            let checks = vec![finding.with("reformatted", changed.clone())];
            report::emit(&Report { checks, workspaces: Vec::new() }, true, &ctx.style, "fmt");
        } else {
            crate::outln!("fmt: {message}");
        }
        return Ok(Outcome::from_ok(ok));
    }
    let checks = formatter::check(&ctx.root, &venv, formatter, &targets)?;
    if !ctx.json {
        for f in &checks {
            if let Some(diff) = f.extra.get("diff").and_then(|d| d.as_str()) {
                crate::out!("{diff}");
            }
        }
    }
    let report = Report { checks, workspaces: Vec::new() };
    report::emit(&report, ctx.json, &ctx.style, "fmt");
    Ok(Outcome::from_ok(report.ok()))
}

/// Every `.py` file under the source roots and the test folders.
fn all_files(ctx: &Ctx) -> Vec<String> {
    let s = &ctx.settings;
    python_files_in(&ctx.root, s.source_roots.iter().chain([&s.unit_tests, &s.integration_tests]))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
