//! The gate's repository checks about the Python code: `git-clean` (prd),
//! `tests`, `format`, `lint`, `compile` (implementation), `coverage` (testing) and
//! `api-docs` (docs). Each takes the facts it needs from [`Facts`]: one
//! change, one venv, one test run and one helper process per gate.
use crate::context::Ctx;
use crate::core::checks::{self, api_docs as api_docs_core};
use crate::core::diff::AddedLines;
use crate::core::finding::Finding;
use crate::core::formatting::{self, Target};
use crate::core::toolchain::{Formatter, Linter};
use crate::error::Result;
use crate::gate::facts::Facts;
use crate::host::changes::Changes;
use crate::host::formatter;
use crate::host::fs::{read_bytes, MAX_TEXT_BYTES};
use crate::host::git_status;
use crate::host::pytest::python_files_in;
use crate::host::python::{self, CompileJob, Source};

/// `git-clean`: no tracked file under the source roots is changed.
pub fn git_clean(ctx: &Ctx, _facts: &Facts) -> Result<Vec<Finding>> {
    let roots = &ctx.settings.source_roots;
    Ok(match git_status::tracked_changes(&ctx.root, roots)? {
        Some(entries) => checks::git_clean::check(&entries, roots),
        None => vec![Finding::skip("git-clean", "modified", "not a git work tree: cannot tell which files changed")],
    })
}

/// `tests`: the unit tests pass (from the run coverage shares, when it runs).
pub fn tests(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let unit = &ctx.settings.unit_tests;
    if !ctx.root.join(unit).is_dir() {
        return Ok(vec![Finding::fail(
            "tests",
            "missing",
            format!("no unit test folder {unit}; create it or set `unit-tests` in [workspace.metadata.xtask]"),
        )
        .at(unit.clone(), None)]);
    }
    Ok(vec![facts.test_run()?.tests.clone()])
}

/// `coverage`: every modified module reaches the threshold, measured in the
/// same run as `tests`.
pub fn coverage(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let unit = &ctx.settings.unit_tests;
    if !ctx.root.join(unit).is_dir() {
        return Ok(vec![Finding::fail("coverage", "missing", format!("cannot measure coverage without {unit}"))]);
    }
    Ok(facts.test_run()?.coverage.as_ref().map(|m| m.findings()).unwrap_or_default())
}

/// `format`: the project's formatter (ruff format or black) on the modified
/// Python files, on the lines the change touched where the file existed
/// before.
pub fn format(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let formatter = ctx.settings.toolchain.formatter.tool;
    if formatter == Formatter::None {
        return Ok(vec![Finding::skip("format", "none", "formatter = \"none\": no format check")]);
    }
    let changes = facts.changes()?;
    let files = modified_python(ctx, changes);
    let targets = format_targets(&ctx.root, &files, facts.added_lines()?);
    if targets.is_empty() {
        return Ok(vec![Finding::pass(
            "format",
            formatter.as_str(),
            format!("no modified Python files ({})", changes.describe_base()),
        )]);
    }
    formatter::check(&ctx.root, facts.venv()?, formatter, &targets)
}

/// `lint`: the project's linter (ruff check) on the modified Python files,
/// each finding at its file and line with its code. Every finding of a
/// modified file counts, not only those on added lines: a change that drops
/// the last use of an import makes the import line wrong without touching it.
pub fn lint(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let linter = &ctx.settings.toolchain.linter;
    if linter.tool == Linter::None {
        return Ok(vec![Finding::skip(
            "lint",
            "none",
            "no linter declared (ruff in the dev dependencies or [tool.ruff], or `linter = \"ruff\"`)",
        )]);
    }
    let changes = facts.changes()?;
    let files = modified_python(ctx, changes);
    if files.is_empty() {
        return Ok(vec![Finding::pass(
            "lint",
            "ruff",
            format!("no modified Python files ({})", changes.describe_base()),
        )]);
    }
    let found = formatter::lint(&ctx.root, facts.venv()?, &files)?;
    if found.is_empty() {
        let n = files.len();
        return Ok(vec![Finding::pass(
            "lint",
            "ruff",
            format!("ruff check: no finding in {n} modified Python file{}", if n == 1 { "" } else { "s" }),
        )]);
    }
    Ok(found
        .into_iter()
        .map(|f| Finding::fail("lint", &f.code, format!("{} {}", f.code, f.message)).at(f.path, Some(f.line)))
        .collect())
}

/// The modified `.py` files of the project, whatever folder they are in.
pub fn modified_python(ctx: &Ctx, changes: &Changes) -> Vec<String> {
    changes.files.iter().filter(|f| f.ends_with(".py") && is_project_file(ctx, f)).cloned().collect()
}

/// Whether `path` is the project's own, not a file of the kit's folder in a
/// repository that adopted the kit (`Settings::kit_folder`): until the
/// adoption is committed the kit's files count as modified, and the
/// project's formatter, linter and rules would judge code they were never
/// configured for.
pub fn is_project_file(ctx: &Ctx, path: &str) -> bool {
    ctx.settings.kit_folder.as_deref().is_none_or(|kit| !crate::core::paths::is_under(path, kit))
}

/// What to format in each of `files`: the lines the change added, or the
/// whole file when it is new or every line of it changed.
pub fn format_targets(root: &std::path::Path, files: &[String], added: &AddedLines) -> Vec<Target> {
    files
        .iter()
        .filter_map(|f| {
            let total = read_bytes(&root.join(f), MAX_TEXT_BYTES)
                .map(|b| String::from_utf8_lossy(&b).lines().count())
                .unwrap_or(0);
            formatting::target(f, added.get(f), total.max(1))
        })
        .collect()
}

/// `compile`: every Python file under the source roots compiles.
pub fn compile(_ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    Ok(facts.compiled()?.findings.clone())
}

/// `api-docs`: new public definitions of the modified modules have
/// docstrings and type hints.
pub fn api_docs(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let files = facts.modified_modules()?;
    let defs = facts.definitions()?;
    let added = facts.added_lines()?;
    let empty = std::collections::BTreeSet::new();
    // What each file defined at the base, read in one `git cat-file`.
    let at_base: Vec<std::collections::BTreeSet<String>> = match &facts.changes()?.base {
        Some(base) if !files.is_empty() => {
            let specs: Vec<String> = files.iter().map(|f| format!("{}:{f}", base.commit)).collect();
            crate::host::git::cat_files(&ctx.root, &specs)?
                .into_iter()
                .map(|o| match o {
                    crate::host::git::Object::Blob(bytes) => {
                        api_docs_core::defined_names(&String::from_utf8_lossy(&bytes))
                    }
                    _ => Default::default(),
                })
                .collect()
        }
        _ => vec![Default::default(); files.len()],
    };
    let mut out = Vec::new();
    for (file, existing) in files.iter().zip(&at_base) {
        let parsed: Vec<api_docs_core::Def> =
            defs.get(file).map(|d| d.iter().filter_map(api_docs_core::Def::from_json).collect()).unwrap_or_default();
        out.extend(api_docs_core::check(file, &parsed, added.get(file).unwrap_or(&empty), existing));
    }
    if !out.iter().any(Finding::is_fail) {
        let new = out.len();
        out.clear();
        out.push(Finding::pass(
            api_docs_core::ID,
            "docstring",
            format!("{new} new public definitions in {} modified modules, all documented and annotated", files.len()),
        ));
    }
    Ok(out)
}

/// Per listed file, the helper's description of each definition.
pub type Definitions = std::collections::BTreeMap<String, Vec<serde_json::Value>>;

/// What one compile helper run found.
pub struct Compiled {
    /// `compile` findings: one per file that does not compile, or one pass.
    pub findings: Vec<Finding>,
    pub definitions: Definitions,
}

/// Compile every Python file under the source roots in one helper run, the
/// helper also listing the definitions of `listed` (root-relative paths).
pub fn compile_listing(ctx: &Ctx, listed: &[String]) -> Result<Compiled> {
    let mut files = python_files_in(&ctx.root, &ctx.settings.source_roots);
    let known: std::collections::HashSet<String> = files.iter().cloned().collect();
    files.extend(listed.iter().filter(|f| !known.contains(*f)).cloned());
    if files.is_empty() {
        return Ok(Compiled {
            findings: vec![Finding::pass("compile", "files", "no Python files under the source roots")],
            definitions: Default::default(),
        });
    }
    let interpreter = python::interpreter(&ctx.root)?;
    let jobs: Vec<CompileJob> = files
        .iter()
        .map(|f| {
            let path = ctx.root.join(f);
            let source = if listed.contains(f) { Source::FileDefs(path) } else { Source::File(path) };
            CompileJob { display_path: f.clone(), source }
        })
        .collect();
    let results = python::compile_all(&interpreter, &jobs, ctx.settings.python_min)?;
    let mut findings: Vec<Finding> = jobs
        .iter()
        .zip(&results)
        .filter(|(_, r)| !r.ok)
        .map(|(job, r)| Finding::fail("compile", "syntax", r.message.clone()).at(job.display_path.clone(), r.line))
        .collect();
    if findings.is_empty() {
        findings.push(Finding::pass(
            "compile",
            "files",
            format!("{} Python files under the source roots compile", files.len()),
        ));
    }
    let definitions = jobs
        .iter()
        .zip(results)
        .filter(|(job, _)| matches!(job.source, Source::FileDefs(_)))
        .map(|(job, r)| (job.display_path.clone(), r.defs))
        .collect();
    Ok(Compiled { findings, definitions })
}
