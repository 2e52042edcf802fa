//! `cargo xtask doctor`: which tools are there, which versions, what the
//! project declares and what setup made of it, and the command that fixes
//! what is missing. Warnings (the project does not import from the venv,
//! `specs/` is git-ignored, none of the declared dev dependencies is
//! installed) are listed without failing.
use std::path::Path;

use crate::context::Ctx;
use crate::core::finding::{Finding, Status};
use crate::core::quality_gates;
use crate::core::toolchain::{Formatter, Installer, Linter};
use crate::error::{Outcome, Result};
use crate::host::settings::{GatesFile, Settings};
use crate::host::venv::{self, Venv};
use crate::host::{git, process, uv};
use crate::report::{self, Report};

const SETUP: &str = "run `cargo xtask setup`";

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let checks = diagnose(&ctx.root, &ctx.settings);
    let ok = !checks.iter().any(Finding::is_fail);
    if ctx.json {
        report::emit(&Report { checks, workspaces: Vec::new() }, true, &ctx.style, "doctor");
    } else {
        let mut warnings = 0;
        for f in &checks {
            let status = match f.status {
                _ if is_warning(f) => {
                    warnings += 1;
                    ctx.style.yellow("warn")
                }
                Status::Pass => ctx.style.green("ok  "),
                Status::Fail => ctx.style.red("FAIL"),
                Status::Skip => ctx.style.yellow("skip"),
            };
            let fix = f.extra.get("fix").and_then(|v| v.as_str()).map(|c| format!("  -> {c}")).unwrap_or_default();
            crate::outln!("{status} {:<13} {}{fix}", f.rule, f.message);
        }
        let verdict = if ok { ctx.style.green("ok") } else { ctx.style.red("something is missing") };
        let warned = match warnings {
            0 => String::new(),
            1 => " (1 warning)".to_string(),
            n => format!(" ({n} warnings)"),
        };
        crate::outln!("doctor: {verdict}{warned}");
    }
    Ok(Outcome::from_ok(ok))
}

/// A finding that warns: reported, never failing (`"warning": true` in JSON).
fn warn(rule: &str, message: impl Into<String>) -> Finding {
    Finding::pass("doctor", rule, message).with("warning", true)
}

fn is_warning(f: &Finding) -> bool {
    f.extra.get("warning").and_then(|v| v.as_bool()) == Some(true)
}

/// One finding per tool and per fact: `rule` names it, `message` says what
/// was found.
pub fn diagnose(root: &Path, settings: &Settings) -> Vec<Finding> {
    let toolchain = &settings.toolchain;
    let mut out = Vec::new();
    out.push(program("git", "install git (e.g. `apt-get install git`)", true, root));
    let needs_make = matches!(toolchain.install.installer, Installer::MakeInstallDev { .. })
        || settings.quality_gates.gates().is_some_and(|q| q.commands.iter().any(|c| c.command.starts_with("make ")));
    out.push(program("make", "install make (e.g. `apt-get install make`)", needs_make, root));
    out.push(program("python3", "install Python 3 (e.g. `apt-get install python3 python3-venv`)", true, root));

    // What the project declares.
    out.push(Finding::pass("doctor", "install", toolchain.install.describe()));
    if toolchain.install.installer == Installer::Uv {
        out.push(match uv::find() {
            Some(path) => {
                let version = version_line(&path, root);
                Finding::pass("doctor", "uv", format!("{version}  {}", path.display())).with("version", version)
            }
            None => Finding::skip(
                "doctor",
                "uv",
                format!("not on PATH; setup installs it from PyPI into {}", uv::tools_dir().display()),
            ),
        });
    }
    let f = &toolchain.formatter;
    let formatter = match f.tool {
        Formatter::None => "none: the format check is off".to_string(),
        tool => format!("{} (from {})", tool.as_str(), f.evidence),
    };
    out.push(Finding::pass("doctor", "formatter", formatter));
    let l = &toolchain.linter;
    out.push(Finding::pass(
        "doctor",
        "linter",
        match l.tool {
            Linter::None => "none declared: the lint check is skipped".to_string(),
            tool => format!("{} (from {})", tool.as_str(), l.evidence),
        },
    ));
    if let Some(kit) = &settings.kit_folder {
        out.push(Finding::pass(
            "doctor",
            "kit",
            format!("{kit}/: the kit's own folder; its Python is left out of format, lint, rules and env-templates"),
        ));
    }
    out.push(gates_summary(settings));
    out.extend(layout(root, settings));

    // The venv and what setup made of it.
    let venv = Venv::of(root);
    if venv.exists() {
        let version = venv.python_version().unwrap_or_else(|| "?".into());
        let pip = if venv.has_pip() { "" } else { " (no pip: installs go through uv pip)" };
        out.push(
            Finding::pass("doctor", ".venv", format!("Python {version}  {}{pip}", venv.python().display()))
                .with("version", version),
        );
        if let Some(last) = venv.last_setup() {
            let ran: Vec<&str> = last["ran"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
            let message = if ran.is_empty() { "nothing to run".to_string() } else { ran.join("; ") };
            out.push(Finding::pass("doctor", "last setup", message));
        }
    } else {
        out.push(Finding::fail("doctor", ".venv", format!("missing: {}", venv.dir.display())).with("fix", SETUP));
    }
    for (tool, version) in venv.tools(&venv::needed(settings)) {
        out.push(match version {
            Some(v) => Finding::pass("doctor", tool, v.clone()).with("version", v),
            None => Finding::fail("doctor", tool, "missing from .venv").with("fix", SETUP),
        });
    }
    if venv.exists() {
        out.extend(warnings(root, &venv, settings));
    }
    if specs_ignored(root) {
        out.push(
            warn("specs", "specs/ is git-ignored: no workspace can be committed, or gated in CI").with(
                "fix",
                "remove the ignore rule for specs/ (`git check-ignore -v specs/active/x/prd.md` names it)",
            ),
        );
    }
    out
}

/// The folders the settings name exist: the source roots and the unit tests
/// (the defaults, `src` and `tests/unit`, often do not).
fn layout(root: &Path, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    let missing: Vec<&String> = settings.source_roots.iter().filter(|r| !root.join(r).is_dir()).collect();
    if missing.is_empty() {
        out.push(Finding::pass("doctor", "source roots", settings.source_roots.join(", ")));
    } else {
        let names: Vec<&str> = missing.iter().map(|r| r.as_str()).collect();
        out.push(
            warn("source roots", format!("{}: no such folder; the gate checks no code there", names.join(", ")))
                .with("fix", "set `source-roots` in [workspace.metadata.xtask] to the folders of your package"),
        );
    }
    let unit = &settings.unit_tests;
    if root.join(unit).is_dir() {
        out.push(Finding::pass("doctor", "unit tests", unit.clone()));
    } else {
        // pytest's own setting, when the project has one, is the likely answer.
        let testpaths = &settings.pyproject["tool"]["pytest"]["ini_options"]["testpaths"];
        let named: Vec<&str> = match testpaths {
            serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
            serde_json::Value::String(one) => vec![one.as_str()],
            _ => Vec::new(),
        };
        let hint =
            if named.is_empty() { String::new() } else { format!(" (pytest's testpaths: {})", named.join(", ")) };
        out.push(
            warn("unit tests", format!("{unit}: no such folder; the gate's tests and coverage checks fail"))
                .with("fix", format!("set `unit-tests` in [workspace.metadata.xtask] to the unit test folder{hint}")),
        );
    }
    out
}

/// The project imports from the venv; some declared dev dependency is installed.
fn warnings(root: &Path, venv: &Venv, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    match venv::import_check(root, venv, settings) {
        Some((name, Ok(file))) => out.push(Finding::pass("doctor", "import", format!("import {name}: {file}"))),
        Some((name, Err(why))) => out.push(
            warn("import", format!("`import {name}` fails in .venv: {why}; the project's tests will not find it"))
                .with("fix", "run `cargo xtask setup`, or install the project into .venv (`pip install -e .`)"),
        ),
        None => {}
    }
    let declared = &settings.toolchain.dev_names;
    if !declared.is_empty() {
        let installed = venv.installed();
        let have = declared.iter().filter(|n| installed.contains_key(*n)).count();
        if have == 0 {
            let shown: Vec<&str> = declared.iter().take(5).map(String::as_str).collect();
            out.push(
                warn(
                    "dev deps",
                    format!(
                        "none of the {} dev dependencies the project declares ({}{}) is installed in .venv",
                        declared.len(),
                        shown.join(", "),
                        if declared.len() > 5 { ", ..." } else { "" }
                    ),
                )
                .with("fix", SETUP),
            );
        } else {
            // Those not there, by name (a group left out on purpose, or one
            // that failed to install).
            let absent: Vec<&str> =
                declared.iter().filter(|n| !installed.contains_key(*n)).map(String::as_str).collect();
            out.push(
                Finding::pass(
                    "doctor",
                    "dev deps",
                    format!("{have} of the {} dev dependencies the project declares are installed", declared.len()),
                )
                .with("missing", absent),
            );
        }
    }
    out
}

/// What the kit reads from specs/guides/quality-gates.yaml.
fn gates_summary(settings: &Settings) -> Finding {
    let q = match &settings.quality_gates {
        GatesFile::Absent => return Finding::skip("doctor", "quality-gates", format!("no {}", quality_gates::FILE)),
        GatesFile::Broken(p) => {
            return Finding::fail(
                "doctor",
                "quality-gates",
                format!("{}:{}: {}", quality_gates::FILE, p.line, p.message),
            )
            .with("fix", "fix the file (YAML) at that line")
        }
        GatesFile::Read(q) => q,
    };
    let mut parts = vec![format!("{} command(s)", q.commands.len())];
    if let Some(t) = &q.threshold {
        parts.push(format!("coverage threshold {}% (`{}`)", t.percent, t.name));
    }
    parts.push(format!("{} rule(s)", q.rules.len()));
    if !q.skipped_rules.is_empty() {
        let names: Vec<&str> = q.skipped_rules.iter().map(|s| s.name.as_str()).collect();
        parts.push(format!("{} rule(s) skipped ({})", names.len(), names.join(", ")));
    }
    let f = Finding::pass("doctor", "quality-gates", format!("{}: {}", quality_gates::FILE, parts.join(", ")));
    if q.problems.is_empty() {
        f
    } else {
        let p = &q.problems[0];
        Finding::fail("doctor", "quality-gates", format!("{}:{}: {}", quality_gates::FILE, p.line, p.message))
            .with("fix", "fix the file at that line")
    }
}

/// Whether a workspace file would be ignored by git.
fn specs_ignored(root: &Path) -> bool {
    git::is_ignored(root, "specs/active/x/prd.md")
}

/// The last word of the first line of `program --version`.
fn version_line(path: &Path, root: &Path) -> String {
    process::capture(path, &["--version"], root)
        .ok()
        .map(|o| {
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            let first = text.lines().next().unwrap_or("").trim().to_string();
            first.split_whitespace().nth(1).map(str::to_string).unwrap_or(first)
        })
        .unwrap_or_default()
}

/// A program on PATH and the version its `--version` gives.
fn program(name: &str, fix: &str, required: bool, root: &Path) -> Finding {
    match process::find_on_path(name) {
        Some(path) => {
            let text = process::capture(&path, &["--version"], root)
                .ok()
                .map(|o| {
                    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
                    text.lines().next().unwrap_or("").trim().to_string()
                })
                .unwrap_or_default();
            let short = text.rsplit(' ').next().unwrap_or("").to_string();
            Finding::pass("doctor", name, format!("{short}  {}", path.display()))
                .with("version", short)
                .with("path", path.display().to_string())
        }
        None if required => Finding::fail("doctor", name, "not found on PATH").with("fix", fix),
        None => Finding::skip("doctor", name, "not found on PATH (not needed: no install-dev target)").with("fix", fix),
    }
}
