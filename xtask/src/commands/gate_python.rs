//! The gate's repository checks that need Python tools: `tests`, `format`,
//! `compile` (implementation phase) and `coverage` (testing phase). Tool
//! output goes to stderr: stdout belongs to the gate's report.
use crate::commands::{coverage, fmt};
use crate::context::Ctx;
use crate::error::Result;
use crate::host::changes::Changes;
use crate::host::pytest::{self, python_files};
use crate::host::python::{self, CompileJob, Source};
use crate::host::stream::{self, Sink};
use crate::host::{black, venv};
use crate::spec::finding::Finding;
use crate::spec::phase::Phase;

/// Findings of the Python checks a gate at `phase` runs. `base` is `--base`.
pub fn run(ctx: &Ctx, phase: Phase, base: Option<&str>) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    if phase < Phase::Implementation {
        return Ok(out);
    }
    let s = &ctx.settings;
    let unit = s.unit_tests.trim_matches('/').to_string();
    let unit_exists = ctx.root.join(&unit).is_dir();
    let venv = venv::ensure(&ctx.root, &s.pyproject)?;

    // tests (and, from the testing phase on, coverage from the same run)
    let measured = if phase >= Phase::Testing && unit_exists {
        stream::progress("gate: unit tests with coverage of the modified modules");
        Some(coverage::measure(ctx, base, None, Sink::Stderr)?)
    } else {
        None
    };
    match (&measured, unit_exists) {
        (_, false) => out.push(
            Finding::fail(
                "tests",
                "missing",
                format!("no unit test folder {unit}; create it or set `unit-tests` in [workspace.metadata.xtask]"),
            )
            .at(unit.clone(), None),
        ),
        (Some(m), true) if m.run.is_some() => out.extend(m.tests_finding(ctx)),
        _ => {
            stream::progress("gate: unit tests");
            let project = pytest::Project { root: &ctx.root, venv: &venv, settings: s };
            let run = pytest::run_suite(project, "unit", std::slice::from_ref(&unit), &[], Sink::Stderr, false)?;
            out.push(coverage::tests_finding(&run.verdict, &run.tail, &unit, ctx));
        }
    }

    // format: black --check on the modified Python files
    let changes = Changes::collect(&ctx.root, base)?;
    let files = fmt::modified_python(&changes);
    if files.is_empty() {
        out.push(Finding::pass("format", "black", format!("no modified Python files ({})", changes.describe_base())));
    } else {
        let run = black::check(&ctx.root, &venv, &files)?;
        out.extend(fmt::findings(&files, &run));
    }

    // compile: every Python file under the source roots, one helper process
    out.extend(compile(ctx)?);

    // coverage
    if phase >= Phase::Testing {
        match measured {
            Some(m) => out.extend(m.findings()),
            None => out.push(Finding::fail("coverage", "missing", format!("cannot measure coverage without {unit}"))),
        }
    }
    Ok(out)
}

/// `compile` findings: one per file that does not compile, or one pass.
pub fn compile(ctx: &Ctx) -> Result<Vec<Finding>> {
    let mut files: Vec<String> = Vec::new();
    for dir in &ctx.settings.source_roots {
        for f in python_files(&ctx.root, dir.trim_matches('/')) {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    if files.is_empty() {
        return Ok(vec![Finding::pass("compile", "files", "no Python files under the source roots")]);
    }
    let interpreter = python::interpreter(&ctx.root)?;
    let jobs: Vec<CompileJob> = files
        .iter()
        .map(|f| CompileJob { display_path: f.clone(), source: Source::File(ctx.root.join(f)), first_line: 0 })
        .collect();
    let results = python::compile_all(&interpreter, &jobs, ctx.settings.python_min)?;
    let mut out: Vec<Finding> = jobs
        .iter()
        .zip(&results)
        .filter(|(_, r)| !r.ok)
        .map(|(job, r)| Finding::fail("compile", "syntax", r.message.clone()).at(job.display_path.clone(), r.line))
        .collect();
    if out.is_empty() {
        out.push(Finding::pass(
            "compile",
            "files",
            format!("{} Python files under the source roots compile", files.len()),
        ));
    }
    Ok(out)
}
