//! The host's virtual environment, `ROOT/.venv`, and `setup`, which builds it:
//! the host's own dev tools first (`make install-dev`, else the `dev` extra),
//! then whichever of pytest, pytest-cov, pytest-xdist and black is still
//! missing, at the versions pinned in xtask/python/dev-tools.txt.
//!
//! A second `setup` that has nothing to do reads a few files and returns: the
//! venv records a fingerprint of what it was built from (our pins, the
//! interpreter version, the host's declaration and its file).
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::core::devtools::{self, HostStep, TOOLS};
use crate::error::{Error, Result};
use crate::host::process;
use crate::host::stream::{self, progress, Sink};

/// Lines of pip's or make's output kept for error messages.
const KEEP: usize = 200;

/// `ROOT/.venv`.
#[derive(Debug, Clone)]
pub struct Venv {
    pub dir: PathBuf,
}

impl Venv {
    pub fn of(root: &Path) -> Venv {
        Venv { dir: root.join(".venv") }
    }

    pub fn python(&self) -> PathBuf {
        self.dir.join("bin").join("python")
    }

    /// A venv we can run: `.venv/bin/python` is executable.
    pub fn exists(&self) -> bool {
        process::is_executable(&self.python())
    }

    /// The `version` line of pyvenv.cfg (`3.11.7`).
    pub fn python_version(&self) -> Option<String> {
        let cfg = std::fs::read_to_string(self.dir.join("pyvenv.cfg")).ok()?;
        cfg.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_string())
        })
    }

    /// Installed distributions (normalized name -> version), read from the
    /// `*.dist-info` / `*.egg-info` folders of site-packages: no process.
    pub fn installed(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for lib in ["lib", "lib64"] {
            let Ok(entries) = std::fs::read_dir(self.dir.join(lib)) else { continue };
            for entry in entries.flatten() {
                let site = entry.path().join("site-packages");
                let Ok(items) = std::fs::read_dir(&site) else { continue };
                for item in items.flatten() {
                    if let Some((name, version)) = devtools::distribution(&item.file_name().to_string_lossy()) {
                        out.insert(name, version);
                    }
                }
            }
        }
        out
    }

    /// Each tool the gate needs, with its version when installed.
    pub fn tools(&self) -> Vec<(&'static str, Option<String>)> {
        let installed = self.installed();
        TOOLS.iter().map(|t| (*t, installed.get(*t).cloned())).collect()
    }

    fn stamp(&self) -> PathBuf {
        self.dir.join(".xtask-setup")
    }

    /// Environment for tools run "inside" the venv, as if it were activated.
    pub fn activate(&self, cmd: &mut std::process::Command) {
        let bin = self.dir.join("bin");
        let mut path = OsString::from(bin.as_os_str());
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        cmd.env("VIRTUAL_ENV", &self.dir).env("PATH", path).env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        cmd.env_remove("PYTHONHOME");
    }
}

/// How the host declares its dev tools, with the file it is declared in.
pub fn host_step(root: &Path, pyproject: &serde_json::Value) -> (HostStep, String) {
    for name in ["GNUmakefile", "makefile", "Makefile"] {
        if let Ok(text) = std::fs::read_to_string(root.join(name)) {
            if devtools::has_install_dev(&text) {
                return (HostStep::MakeInstallDev { makefile: name.to_string() }, text);
            }
            // make reads only the first of these names that exists.
            break;
        }
    }
    if devtools::has_dev_extra(pyproject) {
        let text = std::fs::read_to_string(root.join("pyproject.toml")).unwrap_or_default();
        return (HostStep::PipDevExtra, text);
    }
    (HostStep::None, String::new())
}

/// What `setup` did.
#[derive(Debug, Clone, Default)]
pub struct SetupDone {
    pub created: bool,
    /// The host's step, when it ran.
    pub host_ran: Option<String>,
    /// Requirements we installed.
    pub installed_now: Vec<String>,
    /// Nothing to do.
    pub up_to_date: bool,
    pub tools: Vec<(&'static str, Option<String>)>,
    pub seconds: f64,
}

/// The interpreter to build the venv with: `--python` (a path, or a name on
/// PATH), else `python3` on PATH.
pub fn base_python(python: Option<&Path>) -> Result<PathBuf> {
    match python {
        Some(p) if process::is_executable(p) => Ok(p.to_path_buf()),
        Some(p) if p.components().count() == 1 => process::find_on_path(&p.to_string_lossy())
            .ok_or_else(|| Error::usage(format!("--python {}: not found on PATH; pass the path of a Python 3 interpreter", p.display()))),
        Some(p) => Err(Error::usage(format!(
            "--python {}: no such executable; pass the path of a Python 3 interpreter",
            p.display()
        ))),
        None => process::find_on_path("python3").ok_or_else(|| {
            Error::usage("python3 not found on PATH; install Python 3 (e.g. `apt-get install python3 python3-venv`) or pass --python PATH")
        }),
    }
}

/// `python --version` -> `3.11.7`.
pub fn version_of(python: &Path, dir: &Path) -> Result<String> {
    let out = process::capture(python, &["--version"], dir)?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let version = text.trim().strip_prefix("Python ").map(str::to_string);
    match version {
        Some(v) if out.status.success() && v.starts_with('3') => Ok(v),
        _ => Err(Error::usage(format!(
            "{}: not a Python 3 interpreter (`--version` said {:?}); pass one with --python",
            python.display(),
            text.trim()
        ))),
    }
}

/// Build or complete `ROOT/.venv`. Progress goes to stderr; a failing step is
/// an error naming the step and quoting the tool's last lines.
pub fn setup(root: &Path, pyproject: &serde_json::Value, python: Option<&Path>) -> Result<SetupDone> {
    let started = Instant::now();
    // One setup at a time per repository (two gates started together).
    let _lock = lock_dir(root);
    let venv = Venv::of(root);
    let mut done = SetupDone::default();

    if venv.exists() {
        if let Some(wanted) = python {
            let wanted_version = version_of(&base_python(Some(wanted))?, root)?;
            if let Some(have) = venv.python_version().filter(|have| *have != wanted_version) {
                return Err(Error::usage(format!(
                    "{}: built with Python {have}, not {wanted_version} as --python asks; remove .venv to rebuild it",
                    venv.dir.display()
                )));
            }
        }
    } else {
        if venv.dir.exists() {
            return Err(Error::usage(format!(
                "{}: exists but has no bin/python; remove it and run `cargo xtask setup` again",
                venv.dir.display()
            )));
        }
        let base = base_python(python)?;
        let version = version_of(&base, root)?;
        progress(&format!("setup: creating .venv with {} (Python {version})", base.display()));
        let mut cmd = stream::command(&base, root);
        cmd.args(["-m", "venv"]).arg(&venv.dir);
        let run = stream::run(&mut cmd, Sink::Stderr, KEEP)?;
        if !run.success() || !venv.exists() {
            // Leave nothing half-built behind: the next run starts over.
            let _ = std::fs::remove_dir_all(&venv.dir);
            return Err(Error::usage(format!(
                "setup failed at `{} -m venv .venv`: {}",
                base.display(),
                with_default(run.last_lines(4), "no output")
            )));
        }
        done.created = true;
    }

    let (step, declaration) = host_step(root, pyproject);
    let version = venv.python_version().unwrap_or_default();
    let fingerprint = devtools::fingerprint(&["v1", devtools::PINNED, &version, &step.describe(), &declaration]);
    let recorded = std::fs::read_to_string(venv.stamp()).unwrap_or_default();
    if recorded.trim() == fingerprint && devtools::missing(&venv.installed()).is_empty() {
        done.up_to_date = true;
        done.tools = venv.tools();
        done.seconds = started.elapsed().as_secs_f64();
        return Ok(done);
    }

    if step != HostStep::None {
        run_host_step(root, &venv, &step)?;
        done.host_ran = Some(step.describe());
    }

    let installed = venv.installed();
    let missing = devtools::missing(&installed);
    if !missing.is_empty() {
        install_missing(root, &venv, &installed, &missing)?;
        done.installed_now = missing;
    }
    let optional = devtools::optional_missing(&venv.installed(), &version);
    if !optional.is_empty() {
        // Best effort: without it the coverage run measures with coverage.py's tracer.
        match install_missing(root, &venv, &venv.installed(), &optional) {
            Ok(()) => done.installed_now.extend(optional),
            Err(_) => progress(&format!(
                "setup: {} not installed; the coverage run will use coverage.py's slower tracer",
                optional.join(" ")
            )),
        }
    }
    let still: Vec<String> = devtools::missing(&venv.installed());
    if !still.is_empty() {
        return Err(Error::usage(format!(
            "setup: pip finished but {} is still missing from {}; run `{} -m pip install {}` to see why",
            still.join(", "),
            venv.dir.display(),
            venv.python().display(),
            still.join(" ")
        )));
    }
    // The fingerprint is written last: an interrupted setup is redone.
    let _ = std::fs::write(venv.stamp(), format!("{fingerprint}\n"));
    done.tools = venv.tools();
    done.seconds = started.elapsed().as_secs_f64();
    Ok(done)
}

fn with_default(text: String, default: &str) -> String {
    if text.is_empty() {
        default.to_string()
    } else {
        text
    }
}

fn run_host_step(root: &Path, venv: &Venv, step: &HostStep) -> Result<()> {
    let (mut cmd, shown) = match step {
        HostStep::MakeInstallDev { makefile } => {
            let make = process::find_on_path("make").ok_or_else(|| {
                Error::usage(format!(
                    "{makefile} has an install-dev target but make is not on PATH; install make (e.g. `apt-get install make`)"
                ))
            })?;
            let mut cmd = stream::command(&make, root);
            cmd.arg("install-dev");
            (cmd, "make install-dev".to_string())
        }
        HostStep::PipDevExtra => {
            let mut cmd = stream::command(&venv.python(), root);
            cmd.args(["-m", "pip", "install", "--progress-bar", "off", "-e", ".[dev]"]);
            (cmd, "pip install -e .[dev]".to_string())
        }
        HostStep::None => return Ok(()),
    };
    venv.activate(&mut cmd);
    progress(&format!("setup: {shown} (the host's own dev tools)"));
    let run = stream::run(&mut cmd, Sink::Stderr, KEEP)?;
    if !run.success() {
        return Err(Error::usage(format!(
            "setup failed at `{shown}` (exit {}): {}",
            run.code().map_or("signal".to_string(), |c| c.to_string()),
            with_default(run.last_lines(5), "no output")
        )));
    }
    Ok(())
}

/// pip install the missing tools at our pins, keeping the versions already
/// there; when the pins do not fit the host (an old Python, an old pytest),
/// let pip choose versions of the missing tools that do.
fn install_missing(root: &Path, venv: &Venv, installed: &BTreeMap<String, String>, missing: &[String]) -> Result<()> {
    let constraints = venv.dir.join(".xtask-constraints.txt");
    std::fs::write(&constraints, devtools::keep_installed(installed))
        .map_err(|e| Error::io(&constraints, &e, "check that .venv is writable"))?;
    let attempt = |requirements: &[String]| -> Result<stream::Finished> {
        progress(&format!("setup: pip install {}", requirements.join(" ")));
        let mut cmd = stream::command(&venv.python(), root);
        cmd.args(["-m", "pip", "install", "--progress-bar", "off", "-c"]).arg(&constraints).args(requirements);
        venv.activate(&mut cmd);
        stream::run(&mut cmd, Sink::Stderr, KEEP)
    };
    let pinned = attempt(missing)?;
    if pinned.success() {
        return Ok(());
    }
    let names: Vec<String> = missing.iter().map(|r| r.split("==").next().unwrap_or(r).to_string()).collect();
    progress("setup: the pinned versions do not fit this environment; letting pip choose compatible ones");
    let loose = attempt(&names)?;
    if loose.success() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "setup failed at `pip install {}` (exit {}): {}",
        names.join(" "),
        loose.code().map_or("signal".to_string(), |c| c.to_string()),
        with_default(loose.last_lines(5), "no output")
    )))
}

/// Hold an exclusive lock on the repository folder while setup runs (flock
/// on the directory itself: no lock file left in the repository).
fn lock_dir(root: &Path) -> Option<std::fs::File> {
    let dir = std::fs::File::open(root).ok()?;
    dir.lock().ok()?;
    Some(dir)
}

/// Make sure the venv can run the gate's tools: run `setup` when `.venv` is
/// missing or lacks one of them. Used by the gate and the commands that need
/// pytest or black.
pub fn ensure(root: &Path, pyproject: &serde_json::Value) -> Result<Venv> {
    let venv = Venv::of(root);
    if !venv.exists() || !devtools::missing(&venv.installed()).is_empty() {
        progress("setup: .venv is missing or incomplete; running `cargo xtask setup` first");
        setup(root, pyproject, None)?;
    }
    Ok(venv)
}
