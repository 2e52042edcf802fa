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
///
/// One call takes every file whole first. A file the formatter leaves as it
/// is whole is left as it is on any of its lines, so only the files it would
/// change that the change touched in places are checked again on those
/// lines. ruff takes one `--range` per call, and a long branch touches
/// hundreds of ranges: calling it once per range for every file took
/// minutes where this takes a second or two.
pub fn check(root: &Path, venv: &Venv, formatter: Formatter, targets: &[Target]) -> Result<Vec<Finding>> {
    let name = formatter.as_str();
    if formatter == Formatter::None {
        return Ok(vec![Finding::skip("format", "none", "formatter = \"none\": nothing checked")]);
    }
    let mut out = Vec::new();
    let all: Vec<&str> = targets.iter().map(|t| t.path.as_str()).collect();
    let mut first = Vec::new();
    check_runs(venv, formatter, vec![check_command(root, venv, formatter, &all, None)], &mut out, &mut first)?;
    let mut diffs: Vec<(String, String)> = Vec::new();
    let mut again: Vec<Command> = Vec::new();
    for (path, diff) in first {
        match targets.iter().find(|t| t.path == path).and_then(|t| t.ranges.as_ref()) {
            Some(ranges) if formatter == Formatter::Ruff => {
                for &range in ranges {
                    again.push(check_command(root, venv, formatter, &[path.as_str()], Some(&[range])));
                }
            }
            Some(ranges) => again.push(check_command(root, venv, formatter, &[path.as_str()], Some(ranges))),
            None => diffs.push((path, diff)),
        }
    }
    check_runs(venv, formatter, again, &mut out, &mut diffs)?;
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

/// The formatter in check mode with a diff, over `paths` whole, or over
/// one path on `ranges` (ruff: one range).
fn check_command(
    root: &Path,
    venv: &Venv,
    formatter: Formatter,
    paths: &[&str],
    ranges: Option<&[(usize, usize)]>,
) -> Command {
    let mut cmd = tool(root, venv, formatter.as_str());
    if formatter == Formatter::Ruff {
        cmd.args(["format", "--diff", "--force-exclude"]);
        for (a, b) in ranges.into_iter().flatten() {
            // ruff's range end is exclusive: the line after the last.
            cmd.arg(format!("--range={a}-{}", b + 1));
        }
    } else {
        cmd.args(["--check", "--diff", "--no-color"]);
        for (a, b) in ranges.into_iter().flatten() {
            cmd.arg(format!("--line-ranges={a}-{b}"));
        }
    }
    cmd.arg("--").args(paths);
    cmd
}

/// Run `cmds`, adding a finding per file that cannot be parsed to `out`
/// (once per file) and each file's diff to `diffs`.
fn check_runs(
    venv: &Venv,
    formatter: Formatter,
    cmds: Vec<Command>,
    out: &mut Vec<Finding>,
    diffs: &mut Vec<(String, String)>,
) -> Result<()> {
    let parsed = |out: &Vec<Finding>, path: &str| out.iter().any(|f| f.file.as_deref() == Some(path));
    for cmd in cmds {
        if formatter == Formatter::Ruff {
            let o = output(cmd, "ruff format", venv)?;
            if !matches!(o.code, Some(0..=2)) || (o.code == Some(2) && !o.stderr.contains("Failed to parse")) {
                return Err(failed("ruff format", &o));
            }
            for (path, line, reason) in formatting::ruff_parse_errors(&o.stderr) {
                if !parsed(out, &path) {
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
        } else {
            let o = output(cmd, "black", venv)?;
            if !matches!(o.code, Some(0 | 1 | 123)) {
                return Err(failed("black", &o));
            }
            let report = black_output::parse(&o.stdout, &o.stderr);
            for e in report.parse_errors {
                if !parsed(out, &e.path) {
                    out.push(Finding::fail("format", "parse", format!("black {}", e.message)).at(e.path, e.line));
                }
            }
            for path in report.would_reformat {
                let diff = report.diffs.get(&path).cloned().unwrap_or_default();
                diffs.push((path, diff));
            }
        }
    }
    Ok(())
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
    // As in `check`: only a file the formatter would change whole can
    // change on its touched lines (or one it cannot parse, whose error the
    // range call then shows).
    let ranged: Vec<&str> = targets.iter().filter(|t| t.ranges.is_some()).map(|t| t.path.as_str()).collect();
    let mut wanted: Vec<String> = Vec::new();
    if !ranged.is_empty() {
        let (mut unparsed, mut diffs) = (Vec::new(), Vec::new());
        check_runs(
            venv,
            formatter,
            vec![check_command(root, venv, formatter, &ranged, None)],
            &mut unparsed,
            &mut diffs,
        )?;
        wanted.extend(diffs.into_iter().map(|(p, _)| p));
        wanted.extend(unparsed.into_iter().filter_map(|f| f.file));
    }
    for t in targets {
        let Some(ranges) = &t.ranges else { continue };
        if !wanted.contains(&t.path) {
            continue;
        }
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
