//! The unit test run, and coverage of the modified modules (Python files
//! under the source roots changed against the base, test code excluded):
//! every one must reach the threshold; changed-line coverage is reported, and
//! gated when `changed-line-threshold` is set. Shared by the gate's `tests`
//! and `coverage` checks and by `cargo xtask coverage`.
use crate::context::Ctx;
use crate::core::coverage::{self as judge, ChangedLines, ModuleVerdict};
use crate::core::diff::AddedLines;
use crate::core::finding::Finding;
use crate::core::outcomes::Outcomes;
use crate::core::pytest::Verdict;
use crate::error::{Error, Result};
use crate::host::changes::Changes;
use crate::host::fs::{read_bytes, MAX_TEXT_BYTES};
use crate::host::pytest::{self, CoverageRun};
use crate::host::stream::Sink;
use crate::host::venv::Venv;

/// What the gate's test run found: the `tests` finding, each test's outcome
/// (None when the recorder wrote nothing) and, when coverage was measured in
/// the same run, the measurement.
pub struct TestRun {
    pub tests: Finding,
    pub outcomes: Option<Outcomes>,
    pub coverage: Option<Measured>,
}

/// The unit tests, once: measured for coverage when `changes` is given (the
/// `coverage` check runs), else plainly.
pub fn test_run(ctx: &Ctx, changes: Option<(&Changes, &AddedLines)>, venv: &Venv, sink: Sink) -> Result<TestRun> {
    let unit = ctx.settings.unit_tests.clone();
    let mut measured = match changes {
        Some((changes, added)) => Some(measure(ctx, changes, added, &|| Ok(venv.clone()), None, sink)?),
        None => None,
    };
    let (tests, outcomes) = match measured.as_mut().and_then(|m| m.run.as_mut()) {
        Some(run) => (tests_finding(&run.verdict, &run.tail, &unit), run.outcomes.take()),
        None => {
            let project = pytest::Project { root: &ctx.root, venv, settings: &ctx.settings };
            let run = pytest::run_suite(project, "unit", std::slice::from_ref(&unit), &[], sink, false)?;
            (tests_finding(&run.verdict, &run.tail, &unit), run.outcomes)
        }
    };
    Ok(TestRun { tests, outcomes, coverage: measured })
}

/// Everything one coverage measurement found.
pub struct Measured {
    /// What the change was measured against, in words.
    pub base: String,
    pub modules: Vec<String>,
    pub threshold: f64,
    pub changed_threshold: Option<f64>,
    pub verdicts: Vec<ModuleVerdict>,
    pub changed: ChangedLines,
    /// None when no module was modified (nothing ran).
    pub run: Option<CoverageRun>,
    pub unit_tests: String,
}

/// The modified modules: `.py` under the source roots, test code excluded
/// (what `coverage` measures and `api-docs` judges).
pub fn modified_modules(ctx: &Ctx, changes: &Changes) -> Vec<String> {
    let s = &ctx.settings;
    changes.under(&s.source_roots).into_iter().filter(|f| f.ends_with(".py") && !s.is_test_code(f)).collect()
}

/// Measure the modified modules of `changes` (see `host::pytest::measure`),
/// whose added lines are in `added`, in the venv `venv` gives (asked only
/// when there is something to measure). Tool output goes to `sink`.
pub fn measure(
    ctx: &Ctx,
    changes: &Changes,
    added: &AddedLines,
    venv: &dyn Fn() -> Result<Venv>,
    threshold: Option<f64>,
    sink: Sink,
) -> Result<Measured> {
    let s = &ctx.settings;
    let threshold = threshold.unwrap_or(s.coverage_threshold);
    let modules = modified_modules(ctx, changes);
    let unit_tests = s.unit_tests.clone();
    let mut m = Measured {
        base: changes.describe_base(),
        modules,
        threshold,
        changed_threshold: s.changed_line_threshold,
        verdicts: Vec::new(),
        changed: ChangedLines::default(),
        run: None,
        unit_tests,
    };
    if m.modules.is_empty() {
        return Ok(m);
    }
    if !ctx.root.join(&m.unit_tests).is_dir() {
        return Err(Error::usage(format!(
            "{}: no such folder in {}; create it or set `unit-tests` in [workspace.metadata.xtask] of Cargo.toml",
            m.unit_tests,
            ctx.root.display()
        )));
    }
    let venv = venv()?;
    let root = ctx.root.clone();
    let absent = move |path: &str| {
        read_bytes(&root.join(path), MAX_TEXT_BYTES).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let project = pytest::Project { root: &ctx.root, venv: &venv, settings: s };
    let run = pytest::measure(project, &m.modules, sink)?;
    // A module the project's own coverage settings leave out is not gated.
    let gated: Vec<String> = m.modules.iter().filter(|p| !run.left_out.contains_key(*p)).cloned().collect();
    m.verdicts = judge::judge(&gated, &run.data, added, threshold, &absent);
    m.changed = judge::changed_total(&m.verdicts);
    m.run = Some(run);
    Ok(m)
}

impl Measured {
    /// `coverage: 1 modified module against main (merge base ...); threshold 90%; ...`
    pub fn headline(&self) -> String {
        format!(
            "coverage: {} modified module{}, {}; threshold {}%",
            self.modules.len(),
            if self.modules.len() == 1 { "" } else { "s" },
            self.base,
            number(self.threshold)
        )
    }

    /// The `coverage` findings: how the tests ran under coverage, one per
    /// modified module (those the project's settings omit are not gated),
    /// then changed lines.
    pub fn findings(&self) -> Vec<Finding> {
        if self.modules.is_empty() {
            return vec![Finding::pass(
                "coverage",
                "modules",
                format!("no modified Python modules under the source roots ({})", self.base),
            )];
        }
        let mut out = Vec::new();
        if let Some(run) = &self.run {
            // A run that collected nothing or stopped (an import error while
            // collecting) measured only what importing ran: no figure is shown.
            let stopped = match &run.verdict {
                Verdict::Error(reason) => Some(format!("pytest could not run the tests: {reason}")),
                Verdict::NoTests => Some(format!("no tests collected in {}", self.unit_tests)),
                Verdict::Passed | Verdict::Failed => None,
            };
            if let Some(why) = stopped {
                return vec![Finding::fail(
                    "coverage",
                    "run",
                    format!(
                        "coverage not measured: {why}; make the tests run (the `tests` finding), then measure again"
                    ),
                )
                .at(self.unit_tests.clone(), None)];
            }
            let f = Finding::pass("coverage", "run", run_summary(run, &self.unit_tests))
                .with("test_files", run.test_files)
                .with("workers", run.workers)
                .with("core", run.core.clone())
                .with("branch", run.branch)
                .with("seconds", (run.seconds * 100.0).round() / 100.0);
            out.push(f);
        }
        let branch = self.run.as_ref().is_some_and(|r| r.branch);
        for path in &self.modules {
            let Some(setting) = self.run.as_ref().and_then(|r| r.left_out.get(path)) else { continue };
            // A skip, shown in the text report: a stale setting (a `source`
            // naming a package long gone) silently left the change unmeasured.
            out.push(
                Finding::skip(
                    "coverage",
                    "omitted",
                    format!(
                        "not gated: omitted by the project's coverage settings (`{setting}`); if this module \
                         should be measured, fix that setting"
                    ),
                )
                .at(path.clone(), None)
                .with("omitted_by", setting.clone()),
            );
        }
        for v in &self.verdicts {
            let shown = judge::show_percent(v.percent, self.threshold);
            let mut message = if v.imported && branch {
                format!(
                    "{shown}% of statements and branches covered ({}/{} statements, {}/{} branches)",
                    v.covered, v.statements, v.covered_branches, v.branches
                )
            } else if v.imported {
                format!("{shown}% covered ({}/{} statements)", v.covered, v.statements)
            } else if v.percent >= 100.0 {
                "no statements to cover".to_string()
            } else {
                format!("{shown}%: no unit test imports this module")
            };
            if !v.passed {
                message.push_str(&format!(", needs {}%", number(self.threshold)));
                if !v.missing_ranges.is_empty() {
                    message.push_str(&format!("; missing lines {}", v.missing_ranges));
                }
            }
            if v.changed.total > 0 {
                message.push_str(&format!("; changed lines {}/{} covered", v.changed.covered, v.changed.total));
            }
            let mut f = if v.passed {
                Finding::pass("coverage", "module", message)
            } else {
                Finding::fail("coverage", "module", message)
            };
            f = f.at(v.path.clone(), None).measure(round2(v.percent), self.threshold);
            if !v.missing_ranges.is_empty() {
                f = f.with("missing_lines", v.missing_ranges.clone());
            }
            if branch && v.imported {
                f = f.with("branches", serde_json::json!({"covered": v.covered_branches, "total": v.branches}));
            }
            f = f.with("changed_lines", serde_json::json!({"covered": v.changed.covered, "total": v.changed.total}));
            out.push(f);
        }
        let c = &self.changed;
        let percent = c.percent();
        let shown = judge::show_percent(percent, self.changed_threshold.unwrap_or(100.0));
        let base = if c.total == 0 {
            "changed lines: none measured (no changed line of a gated module is a statement)".to_string()
        } else {
            format!("changed lines: {}/{} covered ({shown}%)", c.covered, c.total)
        };
        let f = match self.changed_threshold {
            Some(t) if percent < t => {
                Finding::fail("coverage", "changed-lines", format!("{base}, needs {}%", number(t)))
                    .measure(round2(percent), t)
            }
            Some(t) => Finding::pass("coverage", "changed-lines", base).measure(round2(percent), t),
            None => {
                let mut f = Finding::pass(
                    "coverage",
                    "changed-lines",
                    format!("{base}; not gated (set changed-line-threshold in [workspace.metadata.xtask] to gate)"),
                );
                f.measured = Some(round2(percent));
                f
            }
        };
        out.push(f.with("covered", c.covered).with("total", c.total));
        out
    }

    /// The unit tests' verdict from the same run, as a `tests` finding.
    pub fn tests_finding(&self) -> Option<Finding> {
        let run = self.run.as_ref()?;
        Some(tests_finding(&run.verdict, &run.tail, &self.unit_tests))
    }
}

/// `all 43 test files of tests/unit ran under coverage (slipcover, 1 worker)`:
/// what the measurement cost, and why.
fn run_summary(run: &CoverageRun, unit: &str) -> String {
    let what = match run.core.as_str() {
        "sysmon" => "coverage.py, sys.monitoring core",
        "slipcover" => "slipcover probes in the modified files, coverage.py's figures",
        "ctrace" => "coverage.py, sys.settrace core",
        "pytrace" => "coverage.py, Python tracer",
        "none" => "nothing measured",
        other => other,
    };
    format!(
        "all {} test file{} of {unit} ran under coverage ({what}; {} worker{}; {:.1} s)",
        run.test_files,
        if run.test_files == 1 { "" } else { "s" },
        run.workers,
        if run.workers == 1 { "" } else { "s" },
        run.seconds
    )
}

/// A `tests` finding from a pytest verdict.
pub fn tests_finding(verdict: &Verdict, tail: &[String], folder: &str) -> Finding {
    let summary = crate::core::pytest::summary(tail).unwrap_or_default();
    match verdict {
        Verdict::Passed => Finding::pass("tests", "pytest", format!("unit tests pass ({folder})")),
        Verdict::Failed => {
            // Each failing test's node id, with its file and line when pytest names them.
            let failed: Vec<serde_json::Value> = crate::core::pytest::failed_tests(tail)
                .into_iter()
                .map(|t| {
                    let mut v = serde_json::json!({"node_id": t.node_id, "file": t.file, "message": t.message});
                    if let Some(line) = t.line {
                        v["line"] = line.into();
                    }
                    v
                })
                .collect();
            Finding::fail("tests", "failed", format!("unit tests failed: {summary}"))
                .at(folder, None)
                .with("failed", failed)
        }
        Verdict::NoTests => {
            Finding::fail("tests", "no-tests", format!("no tests collected in {folder}")).at(folder, None)
        }
        Verdict::Error(reason) => {
            let hint = crate::core::pytest::missing_module_hint(reason).map(|h| format!("; {h}")).unwrap_or_default();
            Finding::fail("tests", "error", format!("pytest could not run the tests: {reason}{hint}")).at(folder, None)
        }
    }
}

/// Percentages in findings keep two decimals: enough to compare, short to read.
fn round2(x: f64) -> f64 {
    (x * 100.0).floor() / 100.0
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}
