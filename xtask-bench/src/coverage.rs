//! `cargo xtask bench coverage`: a generated package of 50 modules with tests
//! for each, one module modified on a branch; prints, from one run, the wall
//! time of bare `python -m pytest`, of `pytest --cov=<whole package>` and of
//! `cargo xtask coverage`, and whether the coverage verdicts agree; then the
//! shape real suites have, a module most test files import (common.py).
//!
//! `cargo xtask bench coverage -- --host DIR --module PATH`: the same on a
//! real repository's unit suite (its `.venv`, its settings; the change is
//! what DIR's checkout holds against `--base`): bare pytest (`--no-cov`),
//! `pytest --cov-reset --cov=<modules>` and `cargo xtask coverage`,
//! interleaved, medians of wall and CPU time, ratios, and whether the
//! verdicts agree with coverage.py's own report of the `--cov` run.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use xtask::context::Ctx;
use xtask::core::coverage::normalize_key;
use xtask::error::Outcome;
use xtask::error::{Error, Result};
use xtask::host::pytest::{self, Project};
use xtask::host::settings::Settings;
use xtask::host::venv::{self, Venv};

const MODULES: usize = 50;
const FUNCTIONS: usize = 8;
/// The module the branch modifies.
const MODIFIED: usize = 17;
/// Loop length in each test: sets how much Python each test runs.
const ITERATIONS: usize = 1500;

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    // The tools come from this repository's venv (built when missing).
    let venv = venv::ensure(&ctx.root, &ctx.settings)?;
    let dir = Scratch::new()?;
    let repo = dir.0.join("repo");
    generate(&repo)?;
    std::os::unix::fs::symlink(&venv.dir, repo.join(".venv"))
        .map_err(|e| Error::io(&repo, &e, "check that the temporary folder is writable"))?;
    let repo = repo.canonicalize().map_err(|e| Error::io(&repo, &e, "check the temporary folder"))?;
    let settings = Settings::default();
    let local = Venv::of(&repo);
    let project = Project { root: &repo, venv: &local, settings: &settings };
    let modified = format!("src/benchpkg/mod_{MODIFIED:02}.py");
    xtask::outln!(
        "bench coverage: {MODULES} modules, {} tests, 1 modified module ({modified}); Python {}, {} CPUs",
        MODULES * FUNCTIONS + 2,
        local.python_version().unwrap_or_default(),
        pytest::cpu_count()
    );

    // Warm the file cache and Python's imports once; not timed.
    timed(&mut bare(project))?;

    // Interleaved rounds, medians reported: the host may be busy with other work.
    let whole_json = dir.0.join("whole.json");
    let (mut bare_t, mut whole_t, mut ours_t) = (Vec::new(), Vec::new(), Vec::new());
    let mut ours = serde_json::Value::Null;
    for _ in 0..ROUNDS {
        bare_t.push(timed(&mut bare(project))?);
        whole_t.push(timed(&mut whole(project, &whole_json))?);
        let (t, doc) = xtask_coverage(&repo)?;
        ours_t.push(t);
        ours = doc;
    }
    let bare_s = median(&bare_t);
    let row = |what: &str, t: &[Timing]| {
        let m = median(t);
        xtask::outln!(
            "  {what:<66} {:>6.2} s {:>5.2}x   cpu {:>5.2} s {:>5.2}x",
            m.wall,
            m.wall / bare_s.wall,
            m.cpu,
            m.cpu / bare_s.cpu.max(1e-9)
        );
    };
    xtask::outln!("  (median of {ROUNDS} interleaved rounds; cpu = user + system time of all processes)");
    row("python -m pytest tests/unit", &bare_t);
    row("python -m pytest --cov=src/benchpkg tests/unit (whole package)", &whole_t);
    row("cargo xtask coverage", &ours_t);
    xtask::outln!("  target: cargo xtask coverage wall time <= 1.25x bare pytest");
    let same = same_verdict(&repo, &modified, &whole_json, &ours)?;

    // The shape of real suites: the modified module is one every test file
    // reaches (GOE's column_metadata.py: 36 of 43 test files).
    git(&repo, &["checkout", "-q", "-b", "shared", "main"])?;
    let common = "src/benchpkg/common.py";
    let text = std::fs::read_to_string(repo.join(common)).unwrap_or_default();
    std::fs::write(repo.join(common), text + "\n\ndef halve(v):\n    return v / 2\n")
        .map_err(|e| Error::io(&repo.join(common), &e, "check the temporary folder"))?;
    let test = repo.join("tests/unit/test_common.py");
    let text = std::fs::read_to_string(&test).unwrap_or_default();
    std::fs::write(&test, text + "\n\ndef test_halve():\n    assert common.halve(3) == 1.5\n")
        .map_err(|e| Error::io(&test, &e, "check the temporary folder"))?;
    git(&repo, &["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-am", "shared"])?;
    let shared_json = dir.0.join("shared.json");
    let one_module = |json: &Path| {
        let mut cmd = bare(project);
        let mut report = std::ffi::OsString::from("--cov-report=json:");
        report.push(json.as_os_str());
        cmd.args(["--cov=benchpkg.common", "--cov-fail-under=0"]).arg(report);
        cmd
    };
    let (mut shared_t, mut one_t) = (Vec::new(), Vec::new());
    let mut shared = serde_json::Value::Null;
    for _ in 0..ROUNDS {
        one_t.push(timed(&mut one_module(&shared_json))?);
        let (t, doc) = xtask_coverage(&repo)?;
        shared_t.push(t);
        shared = doc;
    }
    row("python -m pytest --cov=benchpkg.common tests/unit", &one_t);
    row("cargo xtask coverage, common.py modified: every test file reaches it", &shared_t);
    let same_shared = same_verdict(&repo, common, &shared_json, &shared)?;
    Ok(Outcome::from_ok(same && same_shared))
}

/// Rounds of each measurement.
const ROUNDS: usize = 3;

/// Wall and CPU seconds of one command.
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

/// The median wall time, with the CPU time of the same run.
fn median(runs: &[Timing]) -> Timing {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    sorted.get(sorted.len() / 2).copied().unwrap_or(Timing { wall: 0.0, cpu: 0.0 })
}

/// CPU seconds used by the children this process has waited for (Linux:
/// /proc/self/stat `cutime` + `cstime`, which include their own children).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `state` is field 3 of the full line, so cutime (16) and cstime (17) are 13 and 14 here.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(13) + ticks(14)) / 100.0
}

/// `pytest --cov=<whole package>` with a JSON report at `json`.
fn whole(project: Project, json: &Path) -> Command {
    let mut cmd = bare(project);
    let mut report = std::ffi::OsString::from("--cov-report=json:");
    report.push(json.as_os_str());
    cmd.args(["--cov=src/benchpkg", "--cov-fail-under=0"]).arg(report);
    cmd
}

/// Time `xtask coverage --json` (this very binary) in `repo`; its report.
fn xtask_coverage(repo: &Path) -> Result<(Timing, serde_json::Value)> {
    xtask_json(repo, &["coverage".to_string(), "--json".to_string()])
}

/// Whether `xtask coverage` judged `module` as the whole-package run does.
fn same_verdict(repo: &Path, module: &str, whole_json: &Path, ours: &serde_json::Value) -> Result<bool> {
    let full = coverage_py_percent(whole_json, repo, module)?;
    let threshold = Settings::default().coverage_threshold;
    let finding = ours["checks"].as_array().and_then(|c| c.iter().find(|f| f["file"] == module));
    let (status, percent) = match finding {
        Some(f) => (f["status"].as_str().unwrap_or("?").to_string(), f["measured"].as_f64().unwrap_or(-1.0)),
        None => ("absent".to_string(), -1.0),
    };
    let passed = full.is_some_and(|p| p >= threshold);
    let full = full.unwrap_or(0.0);
    let full_status = if passed { "pass" } else { "fail" };
    let same = status == full_status && (percent - full).abs() < 0.01 && ours["ok"] == passed;
    xtask::outln!(
        "  verdict {}: {module}: whole-package run {full_status} {full:.2}%, xtask coverage {status} {percent:.2}%",
        if same { "same" } else { "DIFFERENT" },
    );
    Ok(same)
}

/// coverage.py's own percent for `module` in the JSON report pytest-cov
/// wrote (`summary.percent_covered`: what `coverage report` prints, unrounded);
/// None when the report does not list the module (no test imported it).
fn coverage_py_percent(json: &Path, root: &Path, module: &str) -> Result<Option<f64>> {
    let text = std::fs::read_to_string(json).map_err(|e| Error::io(json, &e, "pytest-cov wrote no report"))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::usage(format!("{}: not a coverage JSON report: {e}", json.display())))?;
    let root = root.to_string_lossy();
    let files = doc["files"].as_object().into_iter().flatten();
    let entry = files.filter(|(key, _)| normalize_key(key, &root) == module).map(|(_, entry)| entry).next();
    Ok(entry.and_then(|e| e["summary"]["percent_covered"].as_f64()))
}

fn bare(project: Project) -> Command {
    let mut cmd = pytest::command(project.root, project.venv, project.settings);
    cmd.args(["-q", "-p", "no:cacheprovider", "tests/unit"]);
    cmd
}

/// Wall and CPU time of one run; its output is dropped, a failure is an error.
fn timed(cmd: &mut Command) -> Result<Timing> {
    let cpu = children_cpu();
    let started = Instant::now();
    let out = cmd.output().map_err(|e| Error::usage(format!("cannot run pytest: {e}")))?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "the benchmark's pytest run failed: {}",
            xtask::host::process::tail(&out.stdout, 5)
        )));
    }
    Ok(Timing { wall: started.elapsed().as_secs_f64(), cpu: children_cpu() - cpu })
}

/// The package: `common.py` used by every module, 50 modules of 8 functions,
/// a test file per module; committed on `main`, then the branch `feature`
/// adds a tested function to one module.
fn generate(repo: &Path) -> Result<()> {
    let write = |rel: &str, text: &str| -> Result<()> {
        let path = repo.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e, "check the temporary folder"))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io(&path, &e, "check the temporary folder"))
    };
    write(".gitignore", ".venv\n__pycache__/\n")?;
    write("src/benchpkg/__init__.py", "")?;
    write(
        "src/benchpkg/common.py",
        "def weight(v):\n    if v % 2:\n        return v + 1\n    return v // 2\n\n\ndef clip(v, low, high):\n    return max(low, min(high, v))\n",
    )?;
    write("tests/unit/test_common.py", "from benchpkg import common\n\n\ndef test_weight():\n    assert common.weight(3) == 4\n    assert common.weight(4) == 2\n    assert common.clip(9, 0, 5) == 5\n")?;
    for m in 0..MODULES {
        write(&format!("src/benchpkg/mod_{m:02}.py"), &module(m, false))?;
        write(&format!("tests/unit/test_mod_{m:02}.py"), &tests(m, false))?;
    }
    git(repo, &["init", "-q", "-b", "main"])?;
    git(repo, &["add", "-A"])?;
    git(repo, &["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "package"])?;
    git(repo, &["checkout", "-q", "-b", "feature"])?;
    write(&format!("src/benchpkg/mod_{MODIFIED:02}.py"), &module(MODIFIED, true))?;
    write(&format!("tests/unit/test_mod_{MODIFIED:02}.py"), &tests(MODIFIED, true))?;
    git(repo, &["add", "-A"])?;
    git(repo, &["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "feature"])
}

fn module(m: usize, extra: bool) -> String {
    let mut text = format!("\"\"\"Module {m} of the coverage benchmark.\"\"\"\nfrom benchpkg import common\n");
    for f in 0..FUNCTIONS {
        text.push_str(&format!(
            "\n\ndef score_{f}(values):\n    total = 0\n    for v in values:\n        if v % 3 == {r}:\n            total += common.weight(v)\n        elif v % 3 == {s}:\n            total -= v\n        else:\n            total += v * {f}\n    return common.clip(total, -(10**9), 10**9)\n",
            r = f % 3,
            s = (f + 1) % 3
        ));
    }
    if extra {
        text.push_str("\n\ndef spread(values):\n    return max(values) - min(values) if values else 0\n");
    }
    text
}

fn tests(m: usize, extra: bool) -> String {
    let mut text = format!("from benchpkg import mod_{m:02} as mod\n");
    for f in 0..FUNCTIONS {
        text.push_str(&format!(
            "\n\ndef test_score_{f}():\n    assert isinstance(mod.score_{f}(range({ITERATIONS})), int)\n"
        ));
    }
    if extra {
        text.push_str(
            "\n\ndef test_spread():\n    assert mod.spread([3, 1, 4]) == 3\n    assert mod.spread([]) == 0\n",
        );
    }
    text
}

fn git(repo: &Path, args: &[&str]) -> Result<()> {
    let out = xtask::host::git::run(repo, args)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::usage(format!("git {} failed: {}", args.join(" "), xtask::host::process::tail(&out.stderr, 3))))
    }
}

/// A temporary folder removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!(
            "xtask-bench-coverage-{}-{}",
            std::process::id(),
            xtask::host::fs::unique()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(&dir, &e, "check that the temporary folder is writable"))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real-suite mode's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct RealSuite {
    pub host: PathBuf,
    pub modules: Vec<String>,
    pub base: Option<String>,
    pub threshold: Option<f64>,
}

impl RealSuite {
    pub fn parse(args: &[String]) -> std::result::Result<RealSuite, String> {
        let usage = "coverage on a real suite: --host DIR --module PATH [--module PATH] [--base REV] [--threshold N]";
        let mut suite = RealSuite { host: PathBuf::new(), modules: Vec::new(), base: None, threshold: None };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value; {usage}"))?;
            match flag.as_str() {
                "--host" => suite.host = PathBuf::from(value),
                "--module" => suite.modules.push(value.trim_start_matches("./").to_string()),
                "--base" => suite.base = Some(value.clone()),
                "--threshold" => {
                    suite.threshold =
                        Some(value.parse().map_err(|_| format!("--threshold {value}: expected a number"))?)
                }
                other => return Err(format!("unknown argument {other}; {usage}")),
            }
        }
        if suite.host.as_os_str().is_empty() || suite.modules.is_empty() {
            return Err(usage.to_string());
        }
        Ok(suite)
    }
}

/// The real-suite mode: bare pytest, `pytest --cov=<modules>` and `xtask
/// coverage` on the host's unit suite, `ROUNDS` interleaved rounds.
pub fn run_real(_ctx: &Ctx, suite: &RealSuite) -> Result<Outcome> {
    let host = suite.host.canonicalize().map_err(|e| Error::io(&suite.host, &e, "pass an existing repository"))?;
    let settings = Settings::load(&host)?;
    let venv = Venv::of(&host);
    if !venv.exists() {
        return Err(Error::usage(format!(
            "{}: no .venv; run `cargo xtask setup` (or the project's own install) there first",
            host.display()
        )));
    }
    let project = Project { root: &host, venv: &venv, settings: &settings };
    let unit = settings.unit_tests.trim_matches('/').to_string();
    let threshold = suite.threshold.unwrap_or(settings.coverage_threshold);
    let dirs = pytest::import_dirs(&host, &settings);
    let names: Vec<String> = suite.modules.iter().map(|m| dotted(m, &dirs)).collect();
    let scratch = Scratch::new()?;
    let cov_json = scratch.0.join("pytest-cov.json");
    xtask::outln!(
        "bench coverage (real suite): {} ({unit}); module{} {}; Python {}, {} CPUs, load average {}",
        host.display(),
        if names.len() == 1 { "" } else { "s" },
        suite.modules.join(", "),
        venv.python_version().unwrap_or_default(),
        pytest::cpu_count(),
        load_average()
    );
    // A host's own `--cov` options in its pytest addopts would make "bare"
    // a coverage run of its whole package, and add its package to the
    // `--cov=<module>` run: bare pytest runs with `--no-cov` (pytest-cov
    // off), the `--cov` run with `--cov-reset` first (the sources the
    // addopts named dropped; other addopts kept).
    let pytest_cov = venv.installed().contains_key("pytest-cov");
    let bare_args: Vec<&str> = if pytest_cov { vec!["--no-cov"] } else { Vec::new() };
    let plain = || {
        let mut cmd = pytest::command(&host, &venv, &settings);
        cmd.args(["-q", "-p", "no:cacheprovider"]).args(&bare_args).arg(&unit);
        cmd
    };
    let with_cov = || {
        let mut cmd = pytest::command(project.root, project.venv, project.settings);
        cmd.args(["-q", "-p", "no:cacheprovider", "--cov-fail-under=0", "--cov-reset"]);
        cmd.args(names.iter().map(|n| format!("--cov={n}")));
        let mut report = std::ffi::OsString::from("--cov-report=json:");
        report.push(cov_json.as_os_str());
        cmd.arg(report).arg(&unit);
        cmd
    };
    let mut kit_args = vec!["coverage".to_string(), "--json".into()];
    if let Some(base) = &suite.base {
        kit_args.extend(["--base".to_string(), base.clone()]);
    }
    if let Some(t) = suite.threshold {
        kit_args.extend(["--threshold".to_string(), t.to_string()]);
    }
    // Warm the file cache and Python's imports once; not timed.
    run_any(&mut plain())?;
    let (mut bare_t, mut cov_t, mut kit_t) = (Vec::new(), Vec::new(), Vec::new());
    let mut kit_doc = serde_json::Value::Null;
    for _ in 0..ROUNDS {
        bare_t.push(run_any(&mut plain())?);
        cov_t.push(run_any(&mut with_cov())?);
        let (t, doc) = xtask_json(&host, &kit_args)?;
        kit_t.push(t);
        kit_doc = doc;
    }
    let (bare_w, bare_c) = medians(&bare_t);
    xtask::outln!("  (median of {ROUNDS} interleaved rounds each; cpu = user + system time of all processes)");
    xtask::outln!("  | run | wall s | CPU s | wall vs bare | CPU vs bare |");
    xtask::outln!("  |---|---|---|---|---|");
    let row = |what: &str, t: &[Timing]| {
        let (w, c) = medians(t);
        xtask::outln!("  | {what} | {w:.1} | {c:.1} | {:.2}x | {:.2}x |", w / bare_w, c / bare_c.max(1e-9));
    };
    let bare_flags: String = bare_args.iter().map(|a| format!(" {a}")).collect();
    row(&format!("python -m pytest{bare_flags} {unit}"), &bare_t);
    row(&format!("python -m pytest --cov-reset --cov={} {unit}", names.join(" --cov=")), &cov_t);
    row(&format!("cargo xtask coverage {}", kit_args[2..].join(" ")), &kit_t);
    if cov_addopts(&host, &settings) {
        xtask::outln!(
            "  the host's pytest addopts carry --cov options: bare ran with --no-cov; the --cov run dropped their sources with --cov-reset, and still wrote the reports they ask for (--cov-report)"
        );
    }
    let info =
        kit_doc["checks"].as_array().and_then(|c| c.iter().find(|f| f["id"] == "coverage" && f["rule"] == "run"));
    if let Some(info) = info {
        xtask::outln!("  xtask coverage: {}", info["message"].as_str().unwrap_or(""));
    }
    let (kit_w, _) = medians(&kit_t);
    let (cov_w, _) = medians(&cov_t);
    xtask::outln!(
        "  target: xtask coverage <= 1.25x bare wall ({}), never slower than pytest --cov ({}); load average now {}",
        if kit_w <= 1.25 * bare_w { "met" } else { "MISSED" },
        if kit_w <= cov_w { "met" } else { "MISSED" },
        load_average()
    );
    let mut same = true;
    for module in &suite.modules {
        let theirs = coverage_py_percent(&cov_json, &host, module)?;
        same &= same_as(module, theirs, threshold, &kit_doc);
    }
    Ok(Outcome::from_ok(same))
}

/// Whether xtask coverage's finding for `module` has the percent and verdict
/// of coverage.py's own report of the `--cov` run (`theirs`; None: not in it).
fn same_as(module: &str, theirs: Option<f64>, threshold: f64, ours: &serde_json::Value) -> bool {
    let passed = theirs.is_some_and(|p| p >= threshold);
    // Cut to two decimals as the kit's `measured` is, never rounded up.
    let theirs = (theirs.unwrap_or(0.0) * 100.0).floor() / 100.0;
    let finding = ours["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["id"] == "coverage" && f["file"] == module && f["rule"] == "module"));
    let (status, percent) = match finding {
        Some(f) => (f["status"].as_str().unwrap_or("?").to_string(), f["measured"].as_f64().unwrap_or(-1.0)),
        None => ("absent".to_string(), -1.0),
    };
    let full_status = if passed { "pass" } else { "fail" };
    let same = status == full_status && (percent - theirs).abs() < 0.005;
    xtask::outln!(
        "  verdict {}: {module}: coverage.py's report of pytest --cov {full_status} {theirs:.2}%, xtask coverage {status} {percent:.2}%",
        if same { "same" } else { "DIFFERENT" },
    );
    same
}

/// Whether the host's pytest configuration adds `--cov` options to every
/// run (`addopts` of `[tool.pytest.ini_options]`, or any mention in
/// pytest.ini, .pytest.ini, tox.ini or setup.cfg: this only words a note).
fn cov_addopts(host: &Path, settings: &Settings) -> bool {
    let addopts = &settings.pyproject["tool"]["pytest"]["ini_options"]["addopts"];
    let in_pyproject = match addopts {
        serde_json::Value::String(s) => s.contains("--cov"),
        serde_json::Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(|s| s.contains("--cov"))),
        _ => false,
    };
    in_pyproject
        || ["pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"]
            .iter()
            .any(|f| std::fs::read_to_string(host.join(f)).is_ok_and(|t| t.contains("addopts") && t.contains("--cov")))
}

/// The dotted name `--cov=` takes for a module path (`src/pkg/a.py` ->
/// `pkg.a`), else the path itself.
fn dotted(module: &str, import_dirs: &[String]) -> String {
    let dir =
        import_dirs.iter().filter(|d| d.is_empty() || module.starts_with(&format!("{d}/"))).max_by_key(|d| d.len());
    let Some(dir) = dir else { return module.to_string() };
    let rel = if dir.is_empty() { module } else { &module[dir.len() + 1..] };
    let rel = rel.strip_suffix(".py").unwrap_or(rel);
    let rel = rel.strip_suffix("/__init__").unwrap_or(rel);
    rel.replace('/', ".")
}

/// Wall and CPU time of one run, whatever its exit code (a real suite may
/// have failing tests; the verdicts are compared separately).
fn run_any(cmd: &mut Command) -> Result<Timing> {
    let cpu = children_cpu();
    let started = Instant::now();
    cmd.output().map_err(|e| Error::usage(format!("cannot run pytest: {e}")))?;
    Ok(Timing { wall: started.elapsed().as_secs_f64(), cpu: children_cpu() - cpu })
}

/// Time `xtask --root HOST <args>` (this very binary); its JSON report.
fn xtask_json(host: &Path, args: &[String]) -> Result<(Timing, serde_json::Value)> {
    let exe = crate::xtask_binary()?;
    let mut cmd = Command::new(&exe);
    cmd.arg("--root").arg(host).args(args).current_dir(host);
    let cpu = children_cpu();
    let started = Instant::now();
    let out = cmd.output().map_err(|e| Error::usage(format!("cannot run {}: {e}", exe.display())))?;
    let seconds = Timing { wall: started.elapsed().as_secs_f64(), cpu: children_cpu() - cpu };
    let doc = serde_json::from_slice(&out.stdout).map_err(|e| {
        Error::usage(format!(
            "`xtask coverage --json` did not print JSON ({e}): {}",
            xtask::host::process::tail(&out.stderr, 5)
        ))
    })?;
    Ok((seconds, doc))
}

/// Median wall time and median CPU time, each over all runs.
fn medians(runs: &[Timing]) -> (f64, f64) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    (median(runs.iter().map(|t| t.wall).collect()), median(runs.iter().map(|t| t.cpu).collect()))
}

/// `/proc/loadavg`'s three figures.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_real_suite_arguments() {
        let args = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let suite =
            RealSuite::parse(&args("--host /r --module ./src/a.py --module src/b.py --base main --threshold 80"))
                .unwrap();
        assert_eq!(suite.modules, ["src/a.py", "src/b.py"]);
        assert_eq!((suite.base.as_deref(), suite.threshold), (Some("main"), Some(80.0)));
        assert!(RealSuite::parse(&args("--host /r")).is_err());
        assert!(RealSuite::parse(&args("--module a.py")).is_err());
        assert!(RealSuite::parse(&args("--host /r --module a.py --threshold x")).is_err());
        assert!(RealSuite::parse(&args("--host /r --module")).is_err());
    }

    #[test]
    fn notices_cov_options_in_the_hosts_pytest_addopts() {
        let dir = Scratch::new().unwrap();
        let mut settings = Settings::default();
        assert!(!cov_addopts(&dir.0, &settings));
        settings.pyproject =
            serde_json::json!({"tool": {"pytest": {"ini_options": {"addopts": ["-ra", "--cov=pkg"]}}}});
        assert!(cov_addopts(&dir.0, &settings));
        settings.pyproject =
            serde_json::json!({"tool": {"pytest": {"ini_options": {"addopts": "-ra --strict-markers"}}}});
        assert!(!cov_addopts(&dir.0, &settings));
        std::fs::write(dir.0.join("tox.ini"), "[pytest]\naddopts = --cov=pkg --cov-report=xml\n").unwrap();
        assert!(cov_addopts(&dir.0, &settings));
    }

    #[test]
    fn dotted_names_for_cov() {
        let dirs = vec!["src".to_string(), String::new()];
        assert_eq!(dotted("src/pkg/a.py", &dirs), "pkg.a");
        assert_eq!(dotted("src/pkg/__init__.py", &dirs), "pkg");
        assert_eq!(dotted("tool.py", &dirs), "tool");
        assert_eq!(dotted("lib/x.py", &["src".to_string()]), "lib/x.py");
    }
}
