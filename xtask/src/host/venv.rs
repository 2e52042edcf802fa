//! The host's virtual environment, `ROOT/.venv`, and `setup`, which builds it:
//! first what the project declares (see `core::toolchain`: `uv sync`, PEP 735
//! dependency groups, poetry, pdm, hatch, `make install-dev`, the `dev`
//! extra), then whichever tool the gate needs is still missing (pytest,
//! pytest-cov, pytest-xdist, the project's formatter, ruff for its linter),
//! at the versions pinned in xtask/python/dev-tools.txt. A venv without pip
//! (uv makes those) is installed into with `uv pip`, else after `ensurepip`.
//! Setup then checks that the project itself imports from the venv.
//!
//! A second `setup` that has nothing to do reads a few files and returns: the
//! venv records a fingerprint of what it was built from (our pins, the
//! interpreter version, the project's declaration and its files).
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::core::devtools;
use crate::core::toolchain::{Installer, Toolchain};
use crate::error::{Error, Result};
use crate::host::settings::Settings;
use crate::host::stream::{self, progress, Sink};
use crate::host::{process, uv};

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

    /// Each tool of `needed`, with its version when installed.
    pub fn tools(&self, needed: &[&'static str]) -> Vec<(&'static str, Option<String>)> {
        let installed = self.installed();
        needed.iter().map(|t| (*t, installed.get(*t).cloned())).collect()
    }

    fn stamp(&self) -> PathBuf {
        self.dir.join(".xtask-setup")
    }

    /// What the last setup ran, for `doctor` (see [`SetupDone::record`]).
    pub fn last_setup(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.join(".xtask-setup.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Whether pip is installed in the venv (uv's venvs have none).
    pub fn has_pip(&self) -> bool {
        self.installed().contains_key("pip")
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

/// The tools the gate needs for this project.
pub fn needed(settings: &Settings) -> Vec<&'static str> {
    devtools::needed(settings.toolchain.formatter.tool, settings.toolchain.linter.tool)
}

/// The project files the install plan reads: a change to any of them redoes setup.
fn declaration(root: &Path, toolchain: &Toolchain) -> String {
    let files = declaration_files(toolchain);
    let read =
        |f: &&str| crate::host::fs::read_text(&root.join(f), crate::host::fs::MAX_TEXT_BYTES).unwrap_or_default();
    files.iter().map(read).collect::<Vec<_>>().join("\0")
}

/// The files that declare what setup installs.
fn declaration_files(toolchain: &Toolchain) -> Vec<&str> {
    let mut files = vec!["pyproject.toml"];
    match &toolchain.install.installer {
        Installer::Uv => files.push("uv.lock"),
        Installer::Poetry => files.push("poetry.lock"),
        Installer::Pdm => files.push("pdm.lock"),
        Installer::MakeInstallDev { makefile } => files.push(makefile),
        Installer::Requirements { file } => files.push(file),
        _ => {}
    }
    files
}

fn declared_files(settings: &Settings) -> Vec<String> {
    declaration_files(&settings.toolchain).into_iter().map(str::to_string).collect()
}

/// What `setup` did.
#[derive(Debug, Clone, Default)]
pub struct SetupDone {
    pub created: bool,
    /// The project's install plan, in words.
    pub plan: String,
    /// The commands setup ran for the project, as shown.
    pub ran: Vec<String>,
    /// Requirements we installed.
    pub installed_now: Vec<String>,
    /// Nothing to do.
    pub up_to_date: bool,
    pub tools: Vec<(&'static str, Option<String>)>,
    /// `import <package>` from the venv: Ok(the file it came from) or Err(why not).
    pub import: Option<(String, std::result::Result<String, String>)>,
    pub seconds: f64,
}

impl SetupDone {
    /// Kept in the venv for `doctor`.
    fn record(&self, venv: &Venv) {
        let import = self.import.as_ref().map(|(name, r)| match r {
            Ok(file) => serde_json::json!({"package": name, "ok": true, "from": file}),
            Err(why) => serde_json::json!({"package": name, "ok": false, "error": why}),
        });
        let doc = serde_json::json!({
            "plan": self.plan,
            "ran": self.ran,
            "installed": self.installed_now,
            "import": import,
        });
        let _ = crate::host::fs::write_atomic(&venv.dir.join(".xtask-setup.json"), doc.to_string().as_bytes());
    }
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
            // Only `setup` takes --python; every command that provisions the
            // venv comes here, so the advice names that command.
            Error::usage("python3 not found on PATH; install Python 3 (e.g. `apt-get install python3 python3-venv`) or name one with `cargo xtask setup --python PATH`")
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
            "{}: not a Python 3 interpreter (`--version` said {:?}); name one with `cargo xtask setup --python PATH`",
            python.display(),
            text.trim()
        ))),
    }
}

/// Build or complete `ROOT/.venv`. Progress goes to stderr; a failing step is
/// an error naming the step and quoting the tool's last lines.
pub fn setup(root: &Path, settings: &Settings, python: Option<&Path>) -> Result<SetupDone> {
    let started = Instant::now();
    // One setup at a time per repository (two gates started together).
    let _lock = lock_dir(root);
    let venv = Venv::of(root);
    let toolchain = &settings.toolchain;
    let needed = needed(settings);
    let mut done = SetupDone { plan: toolchain.install.describe(), ..SetupDone::default() };

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
        if toolchain.install.installer == Installer::Uv {
            // uv makes the venv itself, with the interpreter the project asks for.
            uv_sync(root, &venv, settings, python, &mut done)?;
        } else {
            create(root, &venv, python)?;
        }
        done.created = true;
    }

    let version = venv.python_version().unwrap_or_default();
    let fingerprint = setup_fingerprint(root, settings, &venv);
    let recorded = std::fs::read_to_string(venv.stamp()).unwrap_or_default();
    if recorded.trim() == fingerprint && devtools::missing(&venv.installed(), &needed).is_empty() {
        done.up_to_date = true;
        done.tools = venv.tools(&needed);
        done.seconds = started.elapsed().as_secs_f64();
        return Ok(done);
    }

    if done.ran.is_empty() {
        install_project(root, &venv, settings, python, &mut done)?;
    }

    let installed = venv.installed();
    let toolchain = &settings.toolchain;
    let missing = devtools::with_project_pins(
        devtools::missing(&installed, &needed),
        &installed,
        &needed,
        &toolchain.tool_pins,
        &toolchain.dev_names,
    );
    if !missing.is_empty() {
        // A tool reinstalled at the project's pin is not held at its old version.
        let repinned: Vec<String> = missing.iter().map(|m| m.split("==").next().unwrap_or(m).to_string()).collect();
        let kept: Vec<&str> = needed.iter().copied().filter(|t| !repinned.iter().any(|r| r == t)).collect();
        install_missing(root, &venv, &installed, &missing, &kept, &mut done)?;
        done.installed_now = missing;
    }
    let optional = devtools::optional_missing(&venv.installed(), &version);
    if !optional.is_empty() {
        // Best effort: without it the coverage run measures with coverage.py's tracer.
        let installed = venv.installed();
        match install_missing(root, &venv, &installed, &optional, &needed, &mut done) {
            Ok(()) => done.installed_now.extend(optional),
            Err(_) => progress(&format!(
                "setup: {} not installed; the coverage run will use coverage.py's slower tracer",
                optional.join(" ")
            )),
        }
    }
    let still: Vec<String> = devtools::missing(&venv.installed(), &needed);
    if !still.is_empty() {
        return Err(Error::usage(format!(
            "setup: the install finished but {} is still missing from {}; run `{} -m pip install {}` to see why",
            still.join(", "),
            venv.dir.display(),
            venv.python().display(),
            still.join(" ")
        )));
    }
    done.import = import_check(root, &venv, settings);
    if let Some((name, Err(why))) = &done.import {
        progress(&format!(
            "setup: warning: `import {name}` fails in .venv ({why}); the project's tests may not find it"
        ));
    }
    done.record(&venv);
    // The fingerprint is written last: an interrupted setup is redone. It is
    // taken again: the install may have written the lock file it covers.
    let _ = std::fs::write(venv.stamp(), format!("{}\n", setup_fingerprint(root, settings, &venv)));
    done.tools = venv.tools(&needed);
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

/// `python -m venv .venv` (with pip).
fn create(root: &Path, venv: &Venv, python: Option<&Path>) -> Result<()> {
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
            "setup failed at `{} -m venv .venv`: {}; install that Python's venv module (e.g. `apt-get install \
             python3-venv`) or pass another with `cargo xtask setup --python PATH`",
            base.display(),
            with_default(run.last_lines(4), "no output")
        )));
    }
    Ok(())
}

/// Run one step of setup, streaming to stderr; a failure is an error naming it.
fn run_step(mut cmd: std::process::Command, venv: &Venv, shown: &str, done: &mut SetupDone) -> Result<()> {
    venv.activate(&mut cmd);
    progress(&format!("setup: {shown}"));
    let run = stream::run(&mut cmd, Sink::Stderr, KEEP)?;
    done.ran.push(shown.to_string());
    if !run.success() {
        let hint = devtools::failure_hint(&run.last_lines(KEEP)).map(|h| format!("; {h}")).unwrap_or_default();
        return Err(Error::usage(format!(
            "setup failed at `{shown}` (exit {}): {}{hint}; fix what it says (its whole output is above), then run \
             `cargo xtask setup` again",
            run.code().map_or("signal".to_string(), |c| c.to_string()),
            with_default(run.last_lines(5), "no output")
        )));
    }
    Ok(())
}

/// A Python to run uv's own installer with: the venv's, else python3.
fn any_python(venv: &Venv, python: Option<&Path>) -> Result<PathBuf> {
    if venv.exists() {
        return Ok(venv.python());
    }
    base_python(python)
}

/// `uv sync` into `.venv` (the arguments: `InstallPlan::uv_sync_args`).
fn uv_sync(root: &Path, venv: &Venv, settings: &Settings, python: Option<&Path>, done: &mut SetupDone) -> Result<()> {
    let plan = &settings.toolchain.install;
    let uv = uv::find_or_install(&any_python(venv, python)?)?;
    let mut cmd = stream::command(&uv, root);
    let mut shown = vec!["uv".to_string()];
    shown.extend(plan.uv_sync_args(root.join("uv.lock").is_file()));
    if let Some(p) = python {
        shown.extend(["--python".to_string(), base_python(Some(p))?.display().to_string()]);
    }
    cmd.args(&shown[1..]);
    cmd.env("UV_PROJECT_ENVIRONMENT", &venv.dir);
    let result = run_step(cmd, venv, &shown.join(" "), done);
    if result.is_err() && !venv.exists() {
        let _ = std::fs::remove_dir_all(&venv.dir);
    }
    result
}

/// Install the project the way it declares (see `core::toolchain`).
fn install_project(
    root: &Path,
    venv: &Venv,
    settings: &Settings,
    python: Option<&Path>,
    done: &mut SetupDone,
) -> Result<()> {
    let plan = &settings.toolchain.install;
    match &plan.installer {
        Installer::Uv => uv_sync(root, venv, settings, python, done),
        Installer::MakeInstallDev { makefile } => {
            let make = process::find_on_path("make").ok_or_else(|| {
                Error::usage(format!(
                    "{makefile} has an install-dev target but make is not on PATH; install make (e.g. `apt-get install make`)"
                ))
            })?;
            let mut cmd = stream::command(&make, root);
            cmd.arg("install-dev");
            run_step(cmd, venv, "make install-dev", done)
        }
        Installer::Poetry if process::find_on_path("poetry").is_some() => {
            let mut cmd = stream::command(&process::find_on_path("poetry").unwrap_or_default(), root);
            cmd.args(["install", "--no-interaction", "--with", "dev"]);
            if plan.extras.is_none() {
                cmd.arg("--all-extras");
            }
            run_step(cmd, venv, "poetry install --with dev", done)
        }
        Installer::Pdm if process::find_on_path("pdm").is_some() => {
            let mut cmd = stream::command(&process::find_on_path("pdm").unwrap_or_default(), root);
            cmd.args(["install", "--dev"]);
            run_step(cmd, venv, "pdm install --dev", done)
        }
        Installer::DevExtra => pip_install(root, venv, &["-e".into(), ".[dev]".into()], done),
        // Two steps: a file with `--hash` lines puts pip in a mode that
        // refuses an editable project beside it, and what the file declares
        // is required while the project itself building is not (as with
        // nothing declared, below).
        Installer::Requirements { file } => {
            pip_install(root, venv, &["-r".to_string(), file.clone()], done)?;
            if plan.installable {
                install_itself(root, venv, settings, done);
            }
            Ok(())
        }
        Installer::Groups | Installer::Poetry | Installer::Pdm | Installer::Hatch => {
            let mut args = Vec::new();
            if plan.installable {
                let extras = match &plan.extras {
                    Some(e) => e.clone(),
                    None => declared_extras(&settings.pyproject),
                };
                let spec = if extras.is_empty() { ".".to_string() } else { format!(".[{}]", extras.join(",")) };
                args.extend(["-e".to_string(), spec]);
            }
            args.extend(plan.requirements.iter().cloned());
            if args.is_empty() {
                return Ok(());
            }
            pip_install(root, venv, &args, done)
        }
        // Nothing dev declared, but the project is a package: install it, so
        // its tests import what was built, as with every other installer.
        // Nothing was declared, so a project that does not build is no reason
        // to stop: say why, and the tests import it from the source roots.
        Installer::None if plan.installable => {
            install_itself(root, venv, settings, done);
            Ok(())
        }
        Installer::None => Ok(()),
    }
}

/// `pip install -e .` with the project's extras, when nothing else declared
/// installs it: a project that does not build is said, not fatal.
fn install_itself(root: &Path, venv: &Venv, settings: &Settings, done: &mut SetupDone) {
    let extras = settings.toolchain.install.extras.clone().unwrap_or_else(|| declared_extras(&settings.pyproject));
    let spec = if extras.is_empty() { ".".to_string() } else { format!(".[{}]", extras.join(",")) };
    if let Err(e) = pip_install(root, venv, &["-e".to_string(), spec], done) {
        eprintln!("warning: the project itself could not be installed into .venv, so setup goes on without it: {e}");
    }
}

/// The extras `[project.optional-dependencies]` (or poetry's `extras`) declares.
fn declared_extras(pyproject: &serde_json::Value) -> Vec<String> {
    let table = if pyproject["project"]["optional-dependencies"].is_object() {
        &pyproject["project"]["optional-dependencies"]
    } else {
        &pyproject["tool"]["poetry"]["extras"]
    };
    table.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

/// `pip install ARGS` into the venv: its own pip when it has one, else
/// `uv pip` (uv on PATH or the kit's copy), else pip after `ensurepip`.
fn pip_install(root: &Path, venv: &Venv, args: &[String], done: &mut SetupDone) -> Result<()> {
    let (cmd, shown) = pip_command(root, venv, args, done)?;
    run_step(cmd, venv, &shown, done)
}

fn pip_command(
    root: &Path,
    venv: &Venv,
    args: &[String],
    done: &mut SetupDone,
) -> Result<(std::process::Command, String)> {
    let words = args.join(" ");
    if !venv.has_pip() {
        if let Some(uv) = uv::find() {
            let mut cmd = stream::command(&uv, root);
            cmd.args(["pip", "install", "--python"]).arg(venv.python()).args(args);
            return Ok((cmd, format!("uv pip install {words}")));
        }
        let mut ensure = stream::command(&venv.python(), root);
        ensure.args(["-m", "ensurepip", "--default-pip"]);
        if run_step(ensure, venv, "python -m ensurepip (the venv has no pip)", done).is_err() {
            let uv = uv::find_or_install(&venv.python())?;
            let mut cmd = stream::command(&uv, root);
            cmd.args(["pip", "install", "--python"]).arg(venv.python()).args(args);
            return Ok((cmd, format!("uv pip install {words}")));
        }
    }
    let mut cmd = stream::command(&venv.python(), root);
    cmd.args(["-m", "pip", "install", "--progress-bar", "off"]).args(args);
    Ok((cmd, format!("pip install {words}")))
}

/// Install the missing tools at our pins, keeping the versions already
/// there; when the pins do not fit the host (an old Python, an old pytest),
/// let the installer choose versions of the missing tools that do.
fn install_missing(
    root: &Path,
    venv: &Venv,
    installed: &BTreeMap<String, String>,
    missing: &[String],
    needed: &[&str],
    done: &mut SetupDone,
) -> Result<()> {
    let constraints = venv.dir.join(".xtask-constraints.txt");
    std::fs::write(&constraints, devtools::keep_installed(installed, needed))
        .map_err(|e| Error::io(&constraints, &e, "check that .venv is writable"))?;
    let mut pinned: Vec<String> = vec!["-c".into(), constraints.display().to_string()];
    pinned.extend(missing.iter().cloned());
    let (mut cmd, shown) = pip_command(root, venv, &pinned, done)?;
    venv.activate(&mut cmd);
    progress(&format!("setup: {shown}"));
    if stream::run(&mut cmd, Sink::Stderr, KEEP)?.success() {
        done.ran.push(shown);
        return Ok(());
    }
    let mut loose: Vec<String> = vec!["-c".into(), constraints.display().to_string()];
    loose.extend(missing.iter().map(|r| r.split("==").next().unwrap_or(r).to_string()));
    progress("setup: the pinned versions do not fit this environment; letting the installer choose compatible ones");
    pip_install(root, venv, &loose, done)
}

/// `import <package>` with the venv's Python in the root, as the tests
/// import it (without the source roots the kit adds to PYTHONPATH): the
/// file it comes from, or the error's last line.
pub fn import_check(
    root: &Path,
    venv: &Venv,
    settings: &Settings,
) -> Option<(String, std::result::Result<String, String>)> {
    let name = settings.toolchain.import_name.clone()?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let mut cmd = stream::command(&venv.python(), root);
    cmd.args(["-c", &format!("import {name}; print(getattr({name}, '__file__', None) or '(namespace package)')")]);
    venv.activate(&mut cmd);
    cmd.env_remove("PYTHONPATH").stdin(std::process::Stdio::null());
    let result = match cmd.output() {
        Err(e) => Err(e.to_string()),
        Ok(out) if out.status.success() => {
            let file = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let shown = Path::new(&file).strip_prefix(root).map(|p| p.display().to_string()).unwrap_or(file);
            Ok(shown)
        }
        Ok(out) => Err(process::tail(&out.stderr, 1)),
    };
    Some((name, result))
}

/// Hold an exclusive lock on the repository folder while setup runs (flock
/// on the directory itself: no lock file left in the repository).
fn lock_dir(root: &Path) -> Option<std::fs::File> {
    let dir = std::fs::File::open(root).ok()?;
    dir.lock().ok()?;
    Some(dir)
}

/// What setup installs from: the kit's pins, the interpreter, the install
/// plan, the tools needed and the project's declaration (pyproject.toml and
/// its lock file or Makefile). Recorded in the venv when setup ends.
fn setup_fingerprint(root: &Path, settings: &Settings, venv: &Venv) -> String {
    let toolchain = &settings.toolchain;
    let p = &toolchain.install;
    // The plan without the evidence that chose it: a uv.lock the first sync
    // writes changes the evidence, not what is installed.
    let mut plan = format!("{:?} {:?} {:?} {:?} {}", p.installer, p.groups, p.extras, p.requirements, p.installable);
    if !toolchain.tool_pins.is_empty() {
        // Only when there are: a venv set up before they were read stays
        // up to date.
        plan.push_str(&format!(" {:?}", toolchain.tool_pins));
    }
    if p.installer == Installer::None && p.installable {
        // Setup of earlier kits did not install such a project: set it up
        // once more, and only it.
        plan.push_str(" installs itself");
    }
    devtools::fingerprint(&[
        "v3",
        devtools::PINNED,
        &venv.python_version().unwrap_or_default(),
        &plan,
        &needed(settings).join(","),
        &declaration(root, toolchain),
    ])
}

/// The last setup's record, when `.venv` is this repository's own folder: a
/// link to an environment elsewhere (shared between checkouts) is kept by
/// whoever made it, and another checkout's record would never match.
fn own_stamp(venv: &Venv) -> Option<String> {
    let own = std::fs::symlink_metadata(&venv.dir).is_ok_and(|m| m.is_dir());
    own.then(|| std::fs::read_to_string(venv.stamp()).ok()).flatten()
}

/// Make sure the venv can run the gate's tools: run `setup` when `.venv` is
/// missing or lacks one of them, or when what the kit's last setup installed
/// from has changed since (a pull or a branch switch that moved uv.lock or
/// pyproject.toml: the tests would otherwise run against the old
/// dependencies). Used by the gate and the commands that need pytest or the
/// formatter.
pub fn ensure(root: &Path, settings: &Settings) -> Result<Venv> {
    let venv = Venv::of(root);
    if !venv.exists() || !devtools::missing(&venv.installed(), &needed(settings)).is_empty() {
        progress("setup: .venv is missing or incomplete; running `cargo xtask setup` first");
        setup(root, settings, None)?;
    } else if let Some(recorded) = own_stamp(&venv) {
        if recorded.trim() != setup_fingerprint(root, settings, &venv) {
            progress(&format!(
                "setup: what the last setup installed from changed ({}, or the kit's pins); running `cargo xtask setup` first",
                declared_files(settings).join(", ")
            ));
            setup(root, settings, None)?;
        }
    }
    Ok(venv)
}
