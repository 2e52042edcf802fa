//! `quality-gates`: the commands the repository owner declares in
//! `specs/guides/quality-gates.yaml`, each at its phase (implementation,
//! testing, documentation). They are the owner's, like a Makefile's recipes,
//! and the one place the kit runs a shell: `sh -c COMMAND` in the root, with
//! the venv active. Nothing from a workspace document reaches them.
//!
//! A command whose tool (or make target) is missing gives way to its
//! `fallback`; `required: false` reports a failure without failing the gate;
//! `quality-gates-skip` names gates not to run.
use std::path::Path;

use crate::context::Ctx;
use crate::core::finding::Finding;
use crate::core::phase::Phase;
use crate::core::quality_gates::{self, GateCommand, FILE};
use crate::error::Result;
use crate::gate::facts::Facts;
use crate::host::fs::read_text;
use crate::host::settings::GatesFile;
use crate::host::stream::{self, progress, Sink};
use crate::host::{git_status, process, uv};

const ID: &str = "quality-gates";

/// The commands of `implementation_gates`, and what the file holds that the
/// kit cannot act on (reported once, here).
pub fn implementation(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let mut out = match &ctx.settings.quality_gates {
        GatesFile::Absent => return Ok(Vec::new()),
        GatesFile::Broken(p) => {
            return Ok(vec![Finding::fail(ID, "file", format!("{}; the declared gates did not run", p.message))
                .at(FILE, Some(p.line))])
        }
        GatesFile::Read(q) => {
            let mut out: Vec<Finding> = q
                .problems
                .iter()
                .map(|p| Finding::fail(ID, "file", p.message.clone()).at(FILE, Some(p.line)))
                .collect();
            if !q.unchecked.is_empty() {
                let names: Vec<String> = q.unchecked.iter().map(|s| format!("{} ({})", s.name, s.reason)).collect();
                out.push(
                    Finding::skip(ID, "not-checked", format!("not checked by the kit: {}", names.join("; ")))
                        .at(FILE, None),
                );
            }
            out
        }
    };
    out.extend(run_phase(ctx, facts, Phase::Implementation)?);
    Ok(out)
}

/// The commands of `testing_gates`.
pub fn testing(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    run_phase(ctx, facts, Phase::Testing)
}

/// The commands of `documentation_gates`.
pub fn documentation(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    run_phase(ctx, facts, Phase::Docs)
}

fn run_phase(ctx: &Ctx, facts: &Facts, phase: Phase) -> Result<Vec<Finding>> {
    let Some(q) = ctx.settings.quality_gates.gates() else { return Ok(Vec::new()) };
    let commands: Vec<&GateCommand> = q.commands.iter().filter(|c| c.phase == phase).collect();
    if commands.is_empty() {
        return Ok(Vec::new());
    }
    // The commands may use the venv's tools (`pytest`, `ruff`): make sure it is there.
    let venv = facts.venv()?;
    let makefile =
        ["GNUmakefile", "makefile", "Makefile"].iter().find_map(|n| read_text(&ctx.root.join(n), 1024 * 1024).ok());
    let bin = venv.dir.join("bin");
    let uv_dir = uv::find().and_then(|p| p.parent().map(Path::to_path_buf));
    let exists = |program: &str| {
        if program.contains('/') {
            return process::is_executable(&ctx.root.join(program));
        }
        process::is_executable(&bin.join(program))
            || uv_dir.as_ref().is_some_and(|d| process::is_executable(&d.join(program)))
            || process::find_on_path(program).is_some()
    };
    let mut out = Vec::new();
    for c in commands {
        if ctx.settings.quality_gates_skip.contains(&c.name) {
            out.push(Finding::skip(ID, &c.name, "skipped: listed in `quality-gates-skip`").at(FILE, Some(c.line)));
            continue;
        }
        let (command, note) = match quality_gates::missing_tool(&c.command, makefile.as_deref(), exists) {
            None => (c.command.as_str(), String::new()),
            Some(why) => match &c.fallback {
                Some(f) => (f.as_str(), format!(" (fallback: {why} for `{}`)", c.command)),
                None => (c.command.as_str(), String::new()),
            },
        };
        progress(&format!("gate: {} `{command}` ({}){note}", c.name, c.section));
        let mut cmd = stream::command(Path::new("/bin/sh"), &ctx.root);
        cmd.args(["-c", command]);
        venv.activate(&mut cmd);
        if let Some(dir) = &uv_dir {
            // The kit's own uv, for `uv run ...` commands when uv is not on PATH.
            let path = std::env::join_paths(
                std::iter::once(bin.clone())
                    .chain(std::iter::once(dir.clone()))
                    .chain(std::env::var_os("PATH").iter().flat_map(std::env::split_paths)),
            );
            if let Ok(path) = path {
                cmd.env("PATH", path);
            }
        }
        let before = git_status::snapshot(&ctx.root)?;
        let done = stream::run(&mut cmd, Sink::Stderr, 200)?;
        // A declared command may fix what it checks (`make lint` running
        // `ruff --fix`): the gate only checks, so a change it leaves in the
        // working tree is said, not left for the author to find.
        let mut changed_tree = None;
        if let (Some(before), Some(after)) = (before, git_status::snapshot(&ctx.root)?) {
            let changed = git_status::changed_between(&before, &after);
            if !changed.is_empty() {
                let shown: Vec<&str> = changed.iter().take(10).map(String::as_str).collect();
                let more = if changed.len() > shown.len() {
                    format!(" and {} more", changed.len() - shown.len())
                } else {
                    String::new()
                };
                changed_tree = Some(
                    Finding::pass(
                        ID,
                        &c.name,
                        format!(
                            "`{command}` changed the working tree: {}{more}; review the change, or declare a command that only checks",
                            shown.join(", ")
                        ),
                    )
                    .with("warning", true)
                    .with("changed", changed.clone())
                    .at(FILE, Some(c.line)),
                );
            }
        }
        let finding = if done.success() {
            Finding::pass(ID, &c.name, format!("`{command}` passed in {:.1} s{note}", done.seconds))
        } else {
            let why = format!(
                "`{command}` failed (exit {}){note}: {}",
                done.code().map_or("signal".to_string(), |n| n.to_string()),
                done.last_lines(3)
            );
            if c.required {
                Finding::fail(ID, &c.name, why)
            } else {
                Finding::pass(ID, &c.name, format!("optional gate (required: false) {why}")).with("warning", true)
            }
        };
        out.push(finding.at(FILE, Some(c.line)).with("command", command));
        out.extend(changed_tree);
    }
    Ok(out)
}
