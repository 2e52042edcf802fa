//! pytest from the venv: `python -m pytest` (so the root is on sys.path) with
//! the source roots on PYTHONPATH, xdist when the suite is big enough to gain,
//! and the coverage run of the modified modules.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::core::coverage::CoverageData;
use crate::core::imports::{self, ModuleIndex};
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
        let rel = source.trim_matches('/').trim_start_matches("./").to_string();
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
    pub seconds: f64,
    pub xdist: bool,
}

/// Run pytest on `folders` (root-relative) plus `user_args`, streaming to
/// `sink`. `-n auto` when it pays (see `spec::pytest::use_xdist`); a full run
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
    let mut cmd = command(root, venv, settings);
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
    cmd.args(folders).args(user_args);
    let finished = stream::run(&mut cmd, sink, KEEP)?;
    let verdict = Verdict::from_exit(finished.code(), &finished.tail);
    if user_args.is_empty() && matches!(verdict, Verdict::Passed | Verdict::Failed) {
        let workers = if xdist { cpu_count() } else { 1 };
        record_run(venv, root, key, LastRun { wall_seconds: finished.seconds, workers });
    }
    Ok(SuiteRun { verdict, tail: finished.tail, seconds: finished.seconds, xdist })
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

/// A file of a test folder that is no test module: conftest.py, __init__.py.
fn is_support_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "conftest.py" || name == "__init__.py"
}

/// The dotted name coverage.py knows `module` by (`src/pkg/a.py` -> `pkg.a`,
/// `src/pkg/__init__.py` -> `pkg`), or None when it is not importable by name.
pub fn module_name(module: &str, import_dirs: &[String]) -> Option<String> {
    let dir =
        import_dirs.iter().filter(|d| d.is_empty() || module.starts_with(&format!("{d}/"))).max_by_key(|d| d.len())?;
    let rel = if dir.is_empty() { module } else { &module[dir.len() + 1..] };
    let rel = rel.strip_suffix(".py")?;
    let rel = rel.strip_suffix("/__init__").unwrap_or(rel);
    let name = rel.replace('/', ".");
    let valid = name.split('.').all(|p| {
        p.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_alphanumeric() || c == '_')
    });
    valid.then_some(name)
}

/// The `--cov=` source for each module: its dotted name (coverage then
/// measures that module only), else its folder.
pub fn cov_sources(modules: &[String], import_dirs: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in modules {
        let source = module_name(m, import_dirs)
            .unwrap_or_else(|| m.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_else(|| ".".into()));
        if !out.contains(&source) {
            out.push(source);
        }
    }
    out
}

/// The unit folder's test files split by whether their static imports reach
/// a modified module.
pub struct TestSplit {
    pub reaching: Vec<String>,
    pub others: Vec<String>,
    /// Every `.py` file under the unit folder (tests, helpers, conftest.py).
    pub python: Vec<String>,
}

/// Test files of the unit folder split by whether their static imports reach
/// one of `modules`.
pub fn split_tests(root: &Path, settings: &Settings, modules: &[String]) -> TestSplit {
    let unit = settings.unit_tests.trim_matches('/').to_string();
    let test_side = python_files(root, &unit);
    let tests: Vec<String> = test_side.iter().filter(|p| is_test_file(p)).cloned().collect();
    let import_dirs = import_dirs(root, settings);
    let mut files: BTreeSet<String> = BTreeSet::new();
    for dir in &settings.source_roots {
        files.extend(python_files(root, dir.trim_matches('/')));
    }
    files.extend(test_side.iter().cloned());
    // conftest.py files between the root and the unit folder load too.
    let mut dir = Some(unit.as_str());
    while let Some(d) = dir {
        let conftest = if d.is_empty() { "conftest.py".to_string() } else { format!("{d}/conftest.py") };
        if root.join(&conftest).is_file() {
            files.insert(conftest);
        }
        dir = if d.is_empty() { None } else { Some(d.rsplit_once('/').map_or("", |(p, _)| p)) };
    }
    // sys.path: the import folders, the root (`python -m`), and each test
    // file's base folder (pytest's default `prepend` import mode).
    let mut search_dirs = import_dirs.clone();
    search_dirs.push(String::new());
    for test in &tests {
        let mut base = test.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        while !base.is_empty() && files.contains(&format!("{base}/__init__.py")) {
            base = base.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        }
        if !search_dirs.contains(&base) {
            search_dirs.push(base);
        }
    }
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::read(root.join(f)).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
            )
        })
        .collect();
    let index = ModuleIndex::new(files, search_dirs);
    let graph = imports::graph(&index, &sources);
    let targets: BTreeSet<String> = modules.iter().cloned().collect();
    let (reaching, others) = imports::select_tests(&tests, &graph, &index.files, &targets);
    TestSplit { reaching, others, python: test_side }
}

/// The result of measuring the modified modules.
pub struct CoverageRun {
    /// The tests' verdict over the whole unit suite.
    pub verdict: Verdict,
    /// Tail of pytest's output, for messages.
    pub tail: Vec<String>,
    pub data: CoverageData,
    /// Test files measured (their imports reach a modified module), and the others.
    pub measured: Vec<String>,
    pub others: Vec<String>,
    /// Modules whose first verdict failed and were measured again with the
    /// other test files too.
    pub confirmed: Vec<String>,
    pub seconds: f64,
}

/// Our pytest plugin (xtask/python/xtask_coverage_plugin.py), loaded from a
/// scratch folder under its own module name so it never shadows the copy in
/// this repository's source root.
const PLUGIN: &str = include_str!("../../python/xtask_coverage_plugin.py");
const PLUGIN_MODULE: &str = "_xtask_coverage";

/// A scratch folder for the plugin and coverage files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("xtask-cov-{}-{}", std::process::id(), crate::host::fs::unique()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(&dir, &e, "check that the temporary folder is writable"))?;
        let plugin = dir.join(format!("{PLUGIN_MODULE}.py"));
        std::fs::write(&plugin, format!("{PLUGIN}\n\nactivate()\n"))
            .map_err(|e| Error::io(&plugin, &e, "check that the temporary folder is writable"))?;
        Ok(Scratch(dir))
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

/// Measure `modules` with the unit tests in ONE pytest run: our plugin
/// measures them (the host's coverage configuration applies; pytest-cov and
/// a host's own `--cov`/`fail_under` are switched off with `--no-cov`) while
/// pytest imports the tests and while the test files whose static imports
/// reach a modified module run; for the other tests the tracer is paused, so
/// they run at full speed. Fewer traced tests can only lower coverage, so a
/// pass is final; for the modules `still_failing` names, the other test files
/// run again with the tracer on and the measurements merge: the verdict is
/// the one of measuring the whole suite.
pub fn measure(
    project: Project,
    modules: &[String],
    sink: Sink,
    still_failing: &dyn Fn(&CoverageData) -> Vec<String>,
) -> Result<CoverageRun> {
    let Project { root, venv, settings } = project;
    let unit = settings.unit_tests.trim_matches('/').to_string();
    let import_dirs = import_dirs(root, settings);
    let TestSplit { reaching: measured, others, python } = split_tests(root, settings, modules);
    let scratch = Scratch::new()?;
    let root_str = root.to_string_lossy().into_owned();

    // Tracing costs: count the measured share of the suite at the tracer's
    // price when deciding whether xdist pays.
    let weight = |f: &String| std::fs::metadata(root.join(f)).map_or(1, |m| m.len().max(1)) as f64;
    let measured_weight: f64 = measured.iter().map(weight).sum();
    let total_weight = measured_weight + others.iter().map(weight).sum::<f64>();
    let share = if total_weight > 0.0 { measured_weight / total_weight } else { 0.0 };
    let last = last_run(venv, root, "unit").map(|l| LastRun {
        wall_seconds: l.wall_seconds * (1.0 + (verdicts::TRACER_FACTOR - 1.0) * share),
        workers: l.workers,
    });
    let xdist = verdicts::use_xdist(xdist_installed(venv), &[], last);

    let plugin_cmd = |sources: &[String], tests: Option<&Path>, out: &Path| {
        let mut cmd = command(root, venv, settings);
        let mut paths = vec![scratch.0.clone()];
        if let Some(old) = cmd.get_envs().find(|(k, _)| *k == "PYTHONPATH").and_then(|(_, v)| v) {
            paths.extend(std::env::split_paths(old));
        }
        if let Ok(joined) = std::env::join_paths(paths) {
            cmd.env("PYTHONPATH", joined);
        }
        cmd.args(["-p", "no:cacheprovider", "--no-cov", "-p", PLUGIN_MODULE]);
        cmd.env("XTASK_COV_OUT", out).env("XTASK_COV_SOURCES", sources.join("\n"));
        match tests {
            Some(listing) => cmd.env("XTASK_COV_TESTS", listing),
            None => cmd.env_remove("XTASK_COV_TESTS"),
        };
        if xdist {
            cmd.args(["-n", "auto"]);
        }
        cmd
    };

    // Every test file measured: no list, the tracer simply stays on.
    let listing = scratch.0.join("measured-tests.txt");
    std::fs::write(&listing, measured.join("\n"))
        .map_err(|e| Error::io(&listing, &e, "check that the temporary folder is writable"))?;
    let listing = (!others.is_empty()).then_some(listing.as_path());
    let sources = cov_sources(modules, &import_dirs);

    // When most of the suite runs traced and xdist does not run (a suite too
    // small for its start-up), spread the test files over one pytest per CPU.
    let tests: Vec<(String, u64)> = measured.iter().chain(&others).map(|f| (f.clone(), weight(f) as u64)).collect();
    let procs = if !xdist && share > 0.5 && tests.len() >= 2 * cpu_count() { cpu_count() } else { 1 };
    let groups = verdicts::balance(&tests, procs);
    let mut running = Vec::new();
    let mut reports = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        let out = scratch.reports(&format!("first-{i}"))?;
        let mut cmd = plugin_cmd(&sources, listing, &out);
        cmd.arg(&unit);
        if groups.len() > 1 {
            // The first group also runs whatever else pytest finds there
            // (files a host's own `python_files` pattern names).
            let others_groups = groups.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, g)| g);
            let ignored: Vec<&String> = if i == 0 {
                others_groups.collect()
            } else {
                python.iter().filter(|f| !group.contains(f) && !is_support_file(f)).collect()
            };
            cmd.args(ignored.iter().map(|f| format!("--ignore={f}")));
        }
        let streams = i == 0;
        running.push((stream::spawn(&mut cmd, if streams { sink } else { Sink::Quiet }, KEEP)?, streams));
        reports.push(out);
    }
    let mut parts = Vec::new();
    let mut tail = Vec::new();
    let mut seconds: f64 = 0.0;
    for (run, streamed) in running {
        let done = run.wait()?;
        seconds = seconds.max(done.seconds);
        let verdict = Verdict::from_exit(done.code(), &done.tail);
        if !streamed && sink != Sink::Quiet && verdict != Verdict::Passed {
            // Show what a quiet part said when it did not pass.
            let shown: Vec<&String> = done.tail.iter().rev().take(60).collect();
            for line in shown.into_iter().rev() {
                stream::progress(line);
            }
        }
        if tail.is_empty() && (verdict != Verdict::Passed || streamed) {
            tail = done.tail.clone();
        }
        parts.push(verdict);
    }
    let verdict = Verdict::combine(&parts);
    let mut data = CoverageData::default();
    for out in &reports {
        data.merge(&read_reports(out, &root_str)?);
    }

    // Confirm failing verdicts with the test files that ran untraced.
    let failing = still_failing(&data);
    let mut confirmed = Vec::new();
    if !failing.is_empty() && !others.is_empty() && !matches!(verdict, Verdict::Error(_)) {
        stream::progress(&format!(
            "coverage: {} below the threshold with the {} test file(s) that import it; measuring the other {} test file(s) too",
            failing.join(", "),
            measured.len(),
            others.len()
        ));
        let second = scratch.reports("second")?;
        let mut cmd = plugin_cmd(&cov_sources(&failing, &import_dirs), None, &second);
        cmd.arg(&unit).args(measured.iter().map(|f| format!("--ignore={f}")));
        let again = stream::run(&mut cmd, Sink::Quiet, KEEP)?;
        seconds += again.seconds;
        data.merge(&read_reports(&second, &root_str)?);
        confirmed = failing;
    }
    Ok(CoverageRun { verdict, tail, data, measured, others, confirmed, seconds })
}

/// Every JSON report in `dir` (one per process), merged.
fn read_reports(dir: &Path, root: &str) -> Result<CoverageData> {
    let mut data = CoverageData::default();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(data) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") {
            data.merge(&read_report(&path, root)?);
        }
    }
    Ok(data)
}

/// A coverage JSON report; no file means no data (no module was imported).
fn read_report(path: &Path, root: &str) -> Result<CoverageData> {
    match std::fs::read_to_string(path) {
        Ok(text) => CoverageData::from_json(&text, root).map_err(|e| Error::usage(format!("{}: {e}", path.display()))),
        Err(_) => Ok(CoverageData::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_for_coverage() {
        let dirs = vec!["src".to_string(), "xtask/python".to_string()];
        assert_eq!(module_name("src/pkg/a.py", &dirs).as_deref(), Some("pkg.a"));
        assert_eq!(module_name("src/pkg/__init__.py", &dirs).as_deref(), Some("pkg"));
        assert_eq!(module_name("xtask/python/spec_gate_helper.py", &dirs).as_deref(), Some("spec_gate_helper"));
        assert_eq!(module_name("src/my-pkg/a.py", &dirs), None);
        assert_eq!(module_name("other/a.py", &dirs), None);
        assert_eq!(
            cov_sources(&["src/my-pkg/a.py".into(), "src/pkg/b.py".into(), "src/my-pkg/c.py".into()], &dirs),
            ["src/my-pkg", "pkg.b"]
        );
    }

    #[test]
    fn test_file_names() {
        assert!(is_test_file("tests/unit/test_a.py"));
        assert!(is_test_file("tests/unit/a_test.py"));
        assert!(!is_test_file("tests/unit/conftest.py"));
        assert!(!is_test_file("tests/unit/helpers.py"));
    }
}
