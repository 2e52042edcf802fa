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

    // compile: every Python file under the source roots, one helper process;
    // from the docs phase on the same process lists the definitions of the
    // modified modules for api-docs.
    let documented = if phase >= Phase::Docs { api_docs_files(ctx, &changes) } else { Vec::new() };
    let (compiled, defs) = compile_listing(ctx, &documented)?;
    out.extend(compiled);

    // coverage
    if phase >= Phase::Testing {
        match measured {
            Some(m) => out.extend(m.findings()),
            None => out.push(Finding::fail("coverage", "missing", format!("cannot measure coverage without {unit}"))),
        }
    }

    // api-docs: new public definitions of the modified modules
    if phase >= Phase::Docs {
        out.extend(api_docs(ctx, &changes, &documented, &defs)?);
    }
    Ok(out)
}

/// Modified modules under the source roots, test files left out: the files
/// whose new public definitions need docstrings and type hints.
fn api_docs_files(ctx: &Ctx, changes: &Changes) -> Vec<String> {
    let s = &ctx.settings;
    let tests = [s.unit_tests.trim_matches('/'), s.integration_tests.trim_matches('/')];
    changes
        .under(&s.source_roots)
        .into_iter()
        .filter(|f| f.ends_with(".py"))
        .filter(|f| !tests.iter().any(|t| crate::host::changes::is_under(f, t)))
        .filter(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            !(name.starts_with("test_") || name.ends_with("_test.py") || name == "conftest.py")
        })
        .collect()
}

/// `api-docs` findings for `files`, from the definitions the helper listed.
fn api_docs(ctx: &Ctx, changes: &Changes, files: &[String], defs: &Definitions) -> Result<Vec<Finding>> {
    use crate::spec::checks::api_docs;
    let added = changes.added_lines(&ctx.root, files)?;
    let empty = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for file in files {
        let parsed: Vec<api_docs::Def> =
            defs.get(file).map(|d| d.iter().filter_map(api_docs::Def::from_json).collect()).unwrap_or_default();
        out.extend(api_docs::check(file, &parsed, added.get(file).unwrap_or(&empty)));
    }
    if !out.iter().any(Finding::is_fail) {
        let new = out.len();
        out.clear();
        out.push(Finding::pass(
            api_docs::ID,
            "docstring",
            format!("{new} new public definitions in {} modified modules, all documented and annotated", files.len()),
        ));
    }
    Ok(out)
}

/// Per listed file, the helper's description of each definition.
pub type Definitions = std::collections::BTreeMap<String, Vec<serde_json::Value>>;

/// `compile` findings: one per file that does not compile, or one pass.
pub fn compile(ctx: &Ctx) -> Result<Vec<Finding>> {
    Ok(compile_listing(ctx, &[])?.0)
}

/// [`compile`], with the helper also listing the definitions of `listed`
/// (root-relative paths) in the same process.
pub fn compile_listing(ctx: &Ctx, listed: &[String]) -> Result<(Vec<Finding>, Definitions)> {
    let mut files: Vec<String> = Vec::new();
    for dir in &ctx.settings.source_roots {
        for f in python_files(&ctx.root, dir.trim_matches('/')) {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    for f in listed {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    if files.is_empty() {
        return Ok((
            vec![Finding::pass("compile", "files", "no Python files under the source roots")],
            Default::default(),
        ));
    }
    let interpreter = python::interpreter(&ctx.root)?;
    let jobs: Vec<CompileJob> = files
        .iter()
        .map(|f| {
            let path = ctx.root.join(f);
            let source = if listed.contains(f) { Source::FileDefs(path) } else { Source::File(path) };
            CompileJob { display_path: f.clone(), source, first_line: 0 }
        })
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
    let defs = jobs
        .iter()
        .zip(results)
        .filter(|(job, _)| matches!(job.source, Source::FileDefs(_)))
        .map(|(job, r)| (job.display_path.clone(), r.defs))
        .collect();
    Ok((out, defs))
}
