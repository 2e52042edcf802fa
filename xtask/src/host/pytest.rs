//! pytest from the venv: `python -m pytest` (so the root is on sys.path) with
//! the source roots on PYTHONPATH, xdist when the suite is big enough to gain,
//! and the coverage run of the modified modules.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::core::coverage::CoverageData;
use crate::core::outcomes::Outcomes;
use crate::core::paths::is_test_file;
use crate::core::pytest::{self as verdicts, LastRun, Verdict};
use crate::error::{Error, Result};
use crate::host::settings::Settings;
use crate::host::stream::{self, Sink};
use crate::host::venv::Venv;

/// Lines of pytest output kept for verdicts and messages.
const KEEP: usize = 400;

/// Folders that put a source root's modules on sys.path: the root itself, or
/// its parent when the root is a package (`src/pkg` with `__init__.py`).
pub fn import_dirs(root: &Path, settings: &Settings) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for source in &settings.source_roots {
        let rel = source.clone();
        let rel = if rel == "." { String::new() } else { rel };
        let dir = if root.join(&rel).join("__init__.py").is_file() {
            rel.rsplit_once('/').map(|(parent, _)| parent.to_string()).unwrap_or_default()
        } else {
            rel
        };
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

/// `python -m pytest` from the venv, in the root, with PYTHONPATH starting
/// with the source roots' import folders.
pub fn command(root: &Path, venv: &Venv, settings: &Settings) -> Command {
    let mut cmd = stream::command(&venv.python(), root);
    cmd.args(["-m", "pytest"]);
    venv.activate(&mut cmd);
    let mut paths: Vec<PathBuf> = import_dirs(root, settings).iter().map(|d| root.join(d)).collect();
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        paths.extend(std::env::split_paths(&old));
    }
    if let Ok(joined) = std::env::join_paths(paths) {
        cmd.env("PYTHONPATH", joined);
    }
    cmd
}

/// Whether pytest-xdist is installed in the venv.
pub fn xdist_installed(venv: &Venv) -> bool {
    venv.installed().contains_key("pytest-xdist")
}

fn timings_file(venv: &Venv) -> PathBuf {
    venv.dir.join(".xtask-pytest-times.json")
}

/// The timing of the last full run of `suite` in `root` (kept in the venv).
pub fn last_run(venv: &Venv, root: &Path, suite: &str) -> Option<LastRun> {
    let text = std::fs::read_to_string(timings_file(venv)).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    let entry = &doc[format!("{}::{suite}", root.display())];
    Some(LastRun { wall_seconds: entry["seconds"].as_f64()?, workers: entry["workers"].as_u64()? as usize })
}

/// Remember how long a full run of `suite` took (best effort).
pub fn record_run(venv: &Venv, root: &Path, suite: &str, run: LastRun) {
    let path = timings_file(venv);
    let mut doc: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    doc[format!("{}::{suite}", root.display())] =
        json!({"seconds": run.wall_seconds, "workers": run.workers, "at": now});
    // A venv shared by many checkouts keeps only the most recent timings.
    if let Some(map) = doc.as_object_mut() {
        while map.len() > 64 {
            let oldest = map.iter().min_by_key(|(_, v)| v["at"].as_u64().unwrap_or(0)).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
    }
    let _ = crate::host::fs::write_atomic(&path, doc.to_string().as_bytes());
}

/// Workers `-n auto` starts here (xdist counts CPUs the same way).
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// A root-relative path as a pytest argument: `./` before one that starts
/// with `-`, so that a folder named `--collect-only` is a folder, not an
/// option that would make pytest collect and run nothing.
pub fn path_arg(path: &str) -> String {
    if path.starts_with('-') {
        format!("./{path}")
    } else {
        path.to_string()
    }
}

/// The repository pytest runs in: its root, venv and settings.
#[derive(Clone, Copy)]
pub struct Project<'a> {
    pub root: &'a Path,
    pub venv: &'a Venv,
    pub settings: &'a Settings,
}

/// One suite run the way `test` and the gate's `tests` check do it.
pub struct SuiteRun {
    pub verdict: Verdict,
    pub tail: Vec<String>,
    /// What the outcomes recorder wrote; None when it wrote nothing.
    pub outcomes: Option<Outcomes>,
}

/// Run pytest on `folders` (root-relative) plus `user_args`, streaming to
/// `sink`. `-n auto` when it pays (see `core::pytest::use_xdist`); a full run
/// (no user arguments) records its time for that decision.
pub fn run_suite(
    project: Project,
    key: &str,
    folders: &[String],
    user_args: &[String],
    sink: Sink,
    color: bool,
) -> Result<SuiteRun> {
    let Project { root, venv, settings } = project;
    let xdist = verdicts::use_xdist(xdist_installed(venv), user_args, last_run(venv, root, key));
    let scratch = Scratch::new()?;
    let mut cmd = command(root, venv, settings);
    let recorded = scratch.0.join("outcomes.json");
    scratch.load_outcomes(&mut cmd, &recorded, root);
    if color && !user_args.iter().any(|a| a.starts_with("--color")) {
        cmd.arg("--color=yes");
    }
    if xdist {
        cmd.args(["-n", "auto"]);
    }
    if sink == Sink::Stderr {
        // The gate's own runs leave no .pytest_cache behind in the host's tree.
        cmd.args(["-p", "no:cacheprovider"]);
    }
    cmd.args(folders.iter().map(|f| path_arg(f))).args(user_args);
    let finished = stream::run(&mut cmd, sink, KEEP)?;
    let verdict = Verdict::from_exit(finished.code(), &finished.tail);
    if user_args.is_empty() && matches!(verdict, Verdict::Passed | Verdict::Failed) {
        let workers = if xdist { cpu_count() } else { 1 };
        record_run(venv, root, key, LastRun { wall_seconds: finished.seconds, workers });
    }
    let outcomes = read_outcomes(&[recorded]);
    Ok(SuiteRun { verdict, tail: finished.tail, outcomes })
}

/// The outcomes the recorder wrote in `files` (one per pytest process),
/// merged; None when none was written. A file that cannot be read is a
/// warning, never a failed run.
pub fn read_outcomes(files: &[PathBuf]) -> Option<Outcomes> {
    let mut merged: Option<Outcomes> = None;
    for file in files {
        let text = match crate::host::fs::read_text(file, crate::host::fs::MAX_TEXT_BYTES) {
            Ok(text) => text,
            Err(crate::host::fs::ReadError::Missing) => continue,
            Err(e) => {
                stream::progress(&format!("warning: {}: test outcomes not read: {}", file.display(), e.describe()));
                continue;
            }
        };
        match Outcomes::from_json(&text) {
            Ok(o) => merged.get_or_insert_with(Outcomes::default).merge(o),
            Err(e) => stream::progress(&format!("warning: {}: test outcomes not read: {e}", file.display())),
        }
    }
    merged
}

/// Every `.py` file under `dir` (root-relative), skipping hidden folders,
/// caches and virtual environments; symlinks are not followed.
pub fn python_files(root: &Path, dir: &str) -> Vec<String> {
    let base = root.join(dir);
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(&base).follow_links(false).sort_by_file_name().into_iter();
    for entry in walker.filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        e.depth() == 0 || !(name.starts_with('.') || name == "__pycache__" || name == "node_modules")
    }) {
        let Ok(entry) = entry else { continue };
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "py") {
            out.push(crate::context::rel_to(root, entry.path()));
        }
    }
    out
}

/// [`python_files`] of each of `dirs`, each file once, in the order found.
pub fn python_files_in<'d>(root: &Path, dirs: impl IntoIterator<Item = &'d String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for dir in dirs {
        out.extend(python_files(root, dir).into_iter().filter(|f| seen.insert(f.clone())));
    }
    out
}

/// The result of measuring the modified modules.
pub struct CoverageRun {
    /// The tests' verdict over the whole unit suite.
    pub verdict: Verdict,
    /// Tail of pytest's output, for messages.
    pub tail: Vec<String>,
    pub data: CoverageData,
    /// The test files of the unit folder; every one ran under coverage.
    pub test_files: usize,
    /// pytest processes that ran the tests (xdist workers, or 1).
    pub workers: usize,
    /// What measured: `sysmon`, `slipcover`, `ctrace` or `pytrace` (the
    /// plugin's report; see xtask/python/xtask_coverage_plugin.py).
    pub core: String,
    /// Whether the project's coverage settings count branches.
    pub branch: bool,
    /// Modified modules the project's coverage settings leave out, with the
    /// setting that does (`omit`, `include` or `source`).
    pub left_out: BTreeMap<String, String>,
    pub seconds: f64,
    /// What the outcomes recorder wrote; None when it wrote nothing.
    pub outcomes: Option<Outcomes>,
}

/// Our pytest plugin (xtask/python/xtask_coverage_plugin.py), loaded from a
/// scratch folder under its own module name so it never shadows the copy in
/// this repository's source root.
const PLUGIN: &str = include_str!("../../python/xtask_coverage_plugin.py");
const PLUGIN_MODULE: &str = "_xtask_coverage";

/// The outcomes recorder (xtask/python/xtask_outcomes.py), loaded the same
/// way into every pytest process the kit starts: each test's outcome, file
/// and line, from the run the gate already makes.
const OUTCOMES: &str = include_str!("../../python/xtask_outcomes.py");
const OUTCOMES_MODULE: &str = "_xtask_outcomes";

/// A scratch folder for the plugins, coverage and outcomes files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("xtask-cov-{}-{}", std::process::id(), crate::host::fs::unique()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(&dir, &e, "check that the temporary folder is writable"))?;
        let plugin = dir.join(format!("{PLUGIN_MODULE}.py"));
        std::fs::write(&plugin, format!("{PLUGIN}\n\nactivate()\n"))
            .map_err(|e| Error::io(&plugin, &e, "check that the temporary folder is writable"))?;
        let recorder = dir.join(format!("{OUTCOMES_MODULE}.py"));
        std::fs::write(&recorder, OUTCOMES)
            .map_err(|e| Error::io(&recorder, &e, "check that the temporary folder is writable"))?;
        Ok(Scratch(dir))
    }

    /// Put this folder first on the command's PYTHONPATH (once).
    fn on_path(&self, cmd: &mut Command) {
        let old: Vec<PathBuf> = cmd
            .get_envs()
            .find(|(k, _)| *k == "PYTHONPATH")
            .and_then(|(_, v)| v)
            .map(|v| std::env::split_paths(v).collect())
            .unwrap_or_default();
        if old.first() == Some(&self.0) {
            return;
        }
        let paths = std::iter::once(self.0.clone()).chain(old);
        if let Ok(joined) = std::env::join_paths(paths) {
            cmd.env("PYTHONPATH", joined);
        }
    }

    /// Load the outcomes recorder into `cmd`, writing to `out`; ids relative to `root`.
    fn load_outcomes(&self, cmd: &mut Command, out: &Path, root: &Path) {
        self.on_path(cmd);
        cmd.args(["-p", OUTCOMES_MODULE]).env("XTASK_OUTCOMES_OUT", out).env("XTASK_OUTCOMES_ROOT", root);
    }

    /// A fresh folder for one run's reports.
    fn reports(&self, name: &str) -> Result<PathBuf> {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(&dir, &e, "check that the temporary folder is writable"))?;
        Ok(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Measure `modules` with the unit tests in ONE pytest run, every test
/// under coverage: our plugin measures the modified files only, with the
/// cheapest measurer that gives coverage.py's figures under the project's
/// own coverage settings (pytest-cov and a host's own `--cov`/`fail_under`
/// are switched off with `--no-cov`). xdist runs it when it would run the
/// plain suite, or when the slow tracer must measure a suite big enough to
/// gain; each worker reports its share and the shares merge.
pub fn measure(project: Project, modules: &[String], sink: Sink) -> Result<CoverageRun> {
    let Project { root, venv, settings } = project;
    let unit = settings.unit_tests.clone();
    let test_files = python_files(root, &unit).iter().filter(|p| is_test_file(p)).count();
    let scratch = Scratch::new()?;
    let root_str = root.to_string_lossy().into_owned();

    let traced = slow_tracer_expected(venv, settings);
    let last = last_run(venv, root, "unit").map(|l| LastRun {
        wall_seconds: if traced { l.wall_seconds * verdicts::TRACER_FACTOR } else { l.wall_seconds },
        workers: l.workers,
    });
    let xdist = verdicts::use_xdist(xdist_installed(venv), &[], last);

    let out = scratch.reports("reports")?;
    let mut cmd = command(root, venv, settings);
    scratch.on_path(&mut cmd);
    cmd.args(["-p", "no:cacheprovider", "--no-cov", "-p", PLUGIN_MODULE]);
    // Beside, not inside, the coverage reports' folder: every JSON file
    // there is read as a coverage report.
    let recorded = scratch.0.join("outcomes.json");
    scratch.load_outcomes(&mut cmd, &recorded, root);
    cmd.env("XTASK_COV_OUT", &out).env("XTASK_COV_FILES", modules.join("\n"));
    for stale in ["XTASK_COV_TESTS", "XTASK_COV_SOURCES"] {
        cmd.env_remove(stale);
    }
    if xdist {
        cmd.args(["-n", "auto"]);
    }
    cmd.arg(path_arg(&unit));
    let done = stream::run(&mut cmd, sink, KEEP)?;
    let verdict = Verdict::from_exit(done.code(), &done.tail);
    let reports = read_reports(&out, &root_str)?;
    Ok(CoverageRun {
        verdict,
        tail: done.tail,
        data: reports.data,
        test_files,
        workers: if xdist { cpu_count() } else { 1 },
        core: reports.core.unwrap_or_else(|| "none".into()),
        branch: reports.branch,
        left_out: reports.left_out,
        seconds: done.seconds,
        outcomes: read_outcomes(&[recorded]),
    })
}

/// Whether coverage.py's `sys.settrace` tracer will likely measure (it makes
/// every call of the suite slower, so xdist pays sooner): Python before 3.12
/// without slipcover, or branches counted before 3.14. Only the worker count
/// depends on this guess; the plugin makes the real choice.
fn slow_tracer_expected(venv: &Venv, settings: &Settings) -> bool {
    let version = venv.python_version().unwrap_or_default();
    let mut parts = version.split('.').filter_map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().unwrap_or(3), parts.next().unwrap_or(0));
    let branch = settings.pyproject["tool"]["coverage"]["run"]["branch"].as_bool().unwrap_or(false);
    let sysmon = (major, minor) >= (3, 12) && (!branch || (major, minor) >= (3, 14));
    let slipcover = !branch && venv.installed().contains_key("slipcover");
    !(sysmon || slipcover)
}

/// What the plugin's reports say, merged over the processes that wrote one.
#[derive(Default)]
struct Reports {
    data: CoverageData,
    core: Option<String>,
    branch: bool,
    left_out: BTreeMap<String, String>,
}

/// Every JSON report in `dir` (one per process), merged. A process that
/// measured nothing may have written none.
fn read_reports(dir: &Path, root: &str) -> Result<Reports> {
    let mut reports = Reports::default();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(reports) };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e, "check the temporary folder"))?;
        let data =
            CoverageData::from_json(&text, root).map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
        reports.data.merge(&data);
        let doc: Value = serde_json::from_str(&text).unwrap_or_default();
        let extra = &doc["xtask"];
        if let Some(core) = extra["core"].as_str() {
            // Workers measure alike; a process that measured nothing says so
            // with the core it chose, which a measuring one overrides.
            if reports.core.is_none() || doc["files"].as_object().is_some_and(|f| !f.is_empty()) {
                reports.core = Some(core.to_string());
            }
        }
        reports.branch |= extra["branch"].as_bool().unwrap_or(false);
        if let Some(map) = extra["left_out"].as_object() {
            for (path, why) in map {
                reports.left_out.insert(path.clone(), why.as_str().unwrap_or("omit").to_string());
            }
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_file_names() {
        assert!(is_test_file("tests/unit/test_a.py"));
        assert!(is_test_file("tests/unit/a_test.py"));
        assert!(!is_test_file("tests/unit/conftest.py"));
        assert!(!is_test_file("tests/unit/helpers.py"));
    }
}
