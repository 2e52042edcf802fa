//! The project's formatter (ruff format or black) and linter (ruff check),
//! run from the venv in the root so the project's own configuration applies.
//! A file the change touched only in places is formatted, or checked, on the
//! lines it touched: ruff takes one `--range` per call, black many
//! `--line-ranges` for one file per call; new files are taken whole.
use std::path::Path;
use std::process::{Command, Stdio};

use crate::core::black as black_output;
use crate::core::finding::Finding;
use crate::core::formatting::{self, LintFinding, Target};
use crate::core::toolchain::Formatter;
use crate::error::{Error, Result};
use crate::host::stream::{self, Sink};
use crate::host::venv::Venv;

fn tool(root: &Path, venv: &Venv, module: &str) -> Command {
    let mut cmd = stream::command(&venv.python(), root);
    cmd.args(["-m", module]);
    venv.activate(&mut cmd);
    cmd.stdin(Stdio::null());
    cmd
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn output(mut cmd: Command, what: &str, venv: &Venv) -> Result<Out> {
    let out =
        cmd.output().map_err(|e| Error::usage(format!("cannot run {} -m {what}: {e}", venv.python().display())))?;
    Ok(Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn failed(what: &str, out: &Out) -> Error {
    Error::usage(format!(
        "{what} failed (exit {}): {}; run `cargo xtask doctor`",
        out.code.map_or("signal".to_string(), |c| c.to_string()),
        crate::host::process::tail(out.stderr.as_bytes(), 3)
    ))
}

/// `format` findings for `targets`: one failing finding per file the
/// formatter would change (at the first line it would change, with its
/// diff), or one that cannot be parsed; else one pass.
pub fn check(root: &Path, venv: &Venv, formatter: Formatter, targets: &[Target]) -> Result<Vec<Finding>> {
    let name = formatter.as_str();
    let mut out = Vec::new();
    let mut diffs: Vec<(String, String)> = Vec::new();
    let whole: Vec<&str> = targets.iter().filter(|t| t.ranges.is_none()).map(|t| t.path.as_str()).collect();
    match formatter {
        Formatter::None => return Ok(vec![Finding::skip("format", "none", "formatter = \"none\": nothing checked")]),
        Formatter::Ruff => {
            let mut runs: Vec<Command> = Vec::new();
            if !whole.is_empty() {
                let mut cmd = tool(root, venv, "ruff");
                cmd.args(["format", "--diff", "--force-exclude", "--"]).args(&whole);
                runs.push(cmd);
            }
            for t in targets {
                for (a, b) in t.ranges.iter().flatten() {
                    let mut cmd = tool(root, venv, "ruff");
                    // ruff's range end is exclusive: the line after the last.
                    cmd.args(["format", "--diff", "--force-exclude", &format!("--range={a}-{}", b + 1), "--"]);
                    cmd.arg(&t.path);
                    runs.push(cmd);
                }
            }
            for cmd in runs {
                let o = output(cmd, "ruff format", venv)?;
                if !matches!(o.code, Some(0..=2)) || (o.code == Some(2) && !o.stderr.contains("Failed to parse")) {
                    return Err(failed("ruff format", &o));
                }
                for (path, line, reason) in formatting::ruff_parse_errors(&o.stderr) {
                    if !out.iter().any(|f: &Finding| f.file.as_deref() == Some(path.as_str())) {
                        out.push(
                            Finding::fail("format", "parse", format!("ruff cannot parse it: {reason}")).at(path, line),
                        );
                    }
                }
                for (path, diff) in formatting::split_ruff_diffs(&o.stdout) {
                    match diffs.iter_mut().find(|(p, _)| *p == path) {
                        Some((_, d)) => d.push_str(&diff),
                        None => diffs.push((path, diff)),
                    }
                }
            }
        }
        Formatter::Black => {
            let mut runs: Vec<Command> = Vec::new();
            if !whole.is_empty() {
                let mut cmd = tool(root, venv, "black");
                cmd.args(["--check", "--diff", "--no-color", "--"]).args(&whole);
                runs.push(cmd);
            }
            for t in targets {
                let Some(ranges) = &t.ranges else { continue };
                let mut cmd = tool(root, venv, "black");
                cmd.args(["--check", "--diff", "--no-color"]);
                for (a, b) in ranges {
                    cmd.arg(format!("--line-ranges={a}-{b}"));
                }
                cmd.arg("--").arg(&t.path);
                runs.push(cmd);
            }
            for cmd in runs {
                let o = output(cmd, "black", venv)?;
                if !matches!(o.code, Some(0 | 1 | 123)) {
                    return Err(failed("black", &o));
                }
                let report = black_output::parse(&o.stdout, &o.stderr);
                for e in report.parse_errors {
                    out.push(Finding::fail("format", "parse", format!("black {}", e.message)).at(e.path, e.line));
                }
                for path in report.would_reformat {
                    let diff = report.diffs.get(&path).cloned().unwrap_or_default();
                    diffs.push((path, diff));
                }
            }
        }
    }
    for (path, diff) in diffs {
        let line = formatting::first_changed_line(&diff);
        let touched = targets.iter().any(|t| t.path == path && t.ranges.is_some());
        let message = format!(
            "{name} would reformat {}; run `cargo xtask fmt`",
            if touched { "lines this change touched" } else { "this file" }
        );
        out.push(Finding::fail("format", name, message).at(path, line).with("diff", diff));
    }
    if out.is_empty() {
        let n = targets.len();
        let partly = targets.iter().filter(|t| t.ranges.is_some()).count();
        let scope = if partly > 0 { format!(" ({partly} on the lines the change touched)") } else { String::new() };
        out.push(Finding::pass(
            "format",
            name,
            format!("{n} Python file{} formatted by {name}{scope}", if n == 1 { " is" } else { "s are" }),
        ));
    }
    Ok(out)
}

/// Reformat `targets` in place, the formatter's messages streaming to
/// `sink`. Ranges of one file are done last to first, so each range's line
/// numbers still hold when its turn comes. Returns whether every call
/// succeeded (a file that cannot be parsed is left as it is).
pub fn format(root: &Path, venv: &Venv, formatter: Formatter, targets: &[Target], sink: Sink) -> Result<bool> {
    let whole: Vec<&str> = targets.iter().filter(|t| t.ranges.is_none()).map(|t| t.path.as_str()).collect();
    let mut runs: Vec<Command> = Vec::new();
    let module = match formatter {
        Formatter::None => return Ok(true),
        Formatter::Ruff => "ruff",
        Formatter::Black => "black",
    };
    if !whole.is_empty() {
        let mut cmd = tool(root, venv, module);
        if formatter == Formatter::Ruff {
            cmd.args(["format", "--force-exclude"]);
        }
        cmd.arg("--").args(&whole);
        runs.push(cmd);
    }
    for t in targets {
        let Some(ranges) = &t.ranges else { continue };
        match formatter {
            Formatter::Ruff => {
                for (a, b) in ranges.iter().rev() {
                    let mut cmd = tool(root, venv, module);
                    cmd.args(["format", "--force-exclude", &format!("--range={a}-{}", b + 1), "--"]).arg(&t.path);
                    runs.push(cmd);
                }
            }
            _ => {
                let mut cmd = tool(root, venv, module);
                for (a, b) in ranges {
                    cmd.arg(format!("--line-ranges={a}-{b}"));
                }
                cmd.arg("--").arg(&t.path);
                runs.push(cmd);
            }
        }
    }
    let mut ok = true;
    for mut cmd in runs {
        let done = stream::run(&mut cmd, sink, 400)?;
        match done.code() {
            Some(0) => {}
            Some(2 | 123) => ok = false,
            code => {
                return Err(Error::usage(format!(
                    "{module} failed (exit {}): {}; run `cargo xtask doctor`",
                    code.map_or("signal".into(), |c| c.to_string()),
                    done.last_lines(3)
                )))
            }
        }
    }
    Ok(ok)
}

/// `ruff check` on `files`, never fixing (a project's `fix = true` would
/// otherwise rewrite them), its configuration's excludes applied.
pub fn lint(root: &Path, venv: &Venv, files: &[String]) -> Result<Vec<LintFinding>> {
    let mut cmd = tool(root, venv, "ruff");
    cmd.args(["check", "--no-fix", "--output-format=json", "--force-exclude", "--"]).args(files);
    let o = output(cmd, "ruff check", venv)?;
    if !matches!(o.code, Some(0 | 1)) {
        return Err(failed("ruff check", &o));
    }
    formatting::ruff_check_json(&o.stdout, &root.to_string_lossy()).ok_or_else(|| {
        Error::usage(format!(
            "ruff check gave an answer we cannot read: {}; run `cargo xtask doctor` to see which ruff the venv has",
            crate::host::process::tail(o.stdout.as_bytes(), 2)
        ))
    })
}
