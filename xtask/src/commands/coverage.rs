//! `cargo xtask coverage [--base REV] [--threshold N] [--json]`: every
//! modified module must reach the threshold; changed-line coverage is
//! reported, and gated when `changed-line-threshold` is set. The measuring is
//! the gate's own (`crate::gate::coverage`).
use crate::context::Ctx;
use crate::error::{Error, Outcome, Result};
use crate::gate::coverage::{measure, modified_modules};
use crate::host::changes::Changes;
use crate::host::stream::Sink;
use crate::host::venv;
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, base: Option<&str>, threshold: Option<f64>) -> Result<Outcome> {
    if let Some(t) = threshold.filter(|t| !(0.0..=100.0).contains(t)) {
        return Err(Error::usage(format!("--threshold {t}: expected a percent from 0 to 100")));
    }
    let sink = if ctx.json { Sink::Stderr } else { Sink::Stdout };
    let changes = Changes::collect(&ctx.root, base)?;
    let added = changes.added_lines(&ctx.root, &modified_modules(ctx, &changes))?;
    let venv = || venv::ensure(&ctx.root, &ctx.settings);
    let measured = measure(ctx, &changes, &added, &venv, threshold, sink)?;
    let mut checks = measured.findings();
    if let Some(tests) = measured.tests_finding() {
        if tests.is_fail() {
            checks.insert(0, tests);
        }
    }
    let report = Report { checks, workspaces: Vec::new() };
    if ctx.json {
        report::emit(&report, true, &ctx.style, "coverage");
    } else {
        crate::outln!("{}", measured.headline());
        for f in &report.checks {
            crate::outln!("{}", report::finding_line(&ctx.style, f));
        }
        let verdict = if report.ok() { ctx.style.green("ok") } else { ctx.style.red("FAILED") };
        crate::outln!("coverage: {verdict}");
        if report::in_github_actions() {
            crate::out!("{}", report::github_annotations(&report));
        }
    }
    Ok(Outcome::from_ok(report.ok()))
}
