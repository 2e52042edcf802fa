//! `cargo xtask hook stop|subagent-stop|pre-tool-use`: the gate as Claude
//! Code hooks (installed by `cargo xtask agents`; the protocol is
//! `core::agent_hooks`, the guide specs/guides/agents.md).
//!
//! - stop / subagent-stop: gate the active workspaces at their own phases;
//!   while something fails, block the stop with the findings as the reason,
//!   at most `hook-max-blocks` times in a row (counted in each workspace's
//!   `tmp/stop-hook.json`). A passing result is reused while neither the
//!   documents nor the change since the base differ from what the last gate
//!   measured (the ledger keeps both), so frequent stops do not pay for the
//!   test suite each time.
//! - pre-tool-use: while every active workspace is at prd, deny edits to
//!   files under the source roots.
//!
//! The exit status is always 0: a hook that cannot do its job (no repository,
//! a template that does not parse) tells the person in a `systemMessage` and
//! lets the agent go on, rather than blocking it on something it may not be
//! able to fix.
use std::io::{IsTerminal, Read};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::cli::{ColorChoice, Format, Global, HookEvent};
use crate::context::{find_root, Ctx};
use crate::core::agent_hooks::{self as protocol, Failure, HookInput, StopDecision};
use crate::core::agent_settings::EDIT_TOOLS;
use crate::core::ledger::Entry;
use crate::core::phase::Phase;
use crate::error::{Error, Outcome, Result};
use crate::gate::{self, Request};
use crate::host::changes::Changes;
use crate::host::fs::read_text;
use crate::host::workspaces::{self, inside_specs, Location, WorkspaceDir};

/// Hook input larger than this is not what Claude Code sends.
const MAX_INPUT: u64 = 4 * 1024 * 1024;
/// The reason an agent reads stays well under what Claude Code passes on
/// whole (10,000 characters).
const MAX_REASON: usize = 4_000;

pub fn run(global: &Global, event: HookEvent) -> Result<Outcome> {
    if std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "`cargo xtask hook` reads the JSON Claude Code sends on stdin; install it with `cargo xtask agents`, \
             or check by hand with `cargo xtask gate --active`",
        ));
    }
    let mut text = String::new();
    let read = std::io::stdin().take(MAX_INPUT).read_to_string(&mut text);
    let answer = read
        .map_err(|e| Error::usage(format!("cannot read the hook input on stdin: {e}")))
        .and_then(|_| HookInput::parse(&text).map_err(Error::usage))
        .and_then(|input| answer(global, event, &input));
    let answer = answer.unwrap_or_else(|err| {
        eprintln!("error: {err}");
        Some(protocol::notice(&format!(
            "spec gate hook ({}): {err}. The hook let the agent go on; run `cargo xtask gate` to check by hand.",
            name(event)
        )))
    });
    if let Some(v) = answer {
        crate::outln!("{v}");
    }
    Ok(Outcome::Success)
}

fn name(event: HookEvent) -> &'static str {
    match event {
        HookEvent::Stop => "stop",
        HookEvent::SubagentStop => "subagent-stop",
        HookEvent::PreToolUse => "pre-tool-use",
    }
}

/// What to print: None lets the agent go on as if there were no hook.
fn answer(global: &Global, event: HookEvent, input: &HookInput) -> Result<Option<Value>> {
    let ctx = Ctx::new(&Global {
        root: Some(hook_root(global, input)?),
        color: ColorChoice::Never,
        json: false,
        format: Format::Text,
    })?;
    match event {
        HookEvent::Stop | HookEvent::SubagentStop => stop(&ctx, input),
        HookEvent::PreToolUse => pre_tool_use(&ctx, input),
    }
}

/// The repository: `--root`, else the one around the session's `cwd`, else
/// around `$CLAUDE_PROJECT_DIR`, else around the current folder.
fn hook_root(global: &Global, input: &HookInput) -> Result<PathBuf> {
    if let Some(root) = &global.root {
        return Ok(root.clone());
    }
    let candidates = [input.cwd.clone().map(PathBuf::from), std::env::var_os("CLAUDE_PROJECT_DIR").map(PathBuf::from)];
    candidates
        .into_iter()
        .flatten()
        .chain(std::env::current_dir().ok())
        .find_map(|dir| find_root(&dir))
        .ok_or_else(|| Error::usage("no repository around the session's folder (no .git or xtask alias above it)"))
}

fn stop(ctx: &Ctx, input: &HookInput) -> Result<Option<Value>> {
    let active = workspaces::list(&ctx.root, Location::Active)?;
    if active.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = active.iter().map(|w| w.name.clone()).collect();
    let failing_report = if still_passes(ctx, &active) {
        None
    } else {
        let report = gate::run(ctx, &Request { slugs: &names, phase: None, base: None, record: true })?;
        Some(report).filter(|r| !r.ok())
    };
    let key = input.guard_key();
    let guards: Vec<(PathBuf, protocol::Guard)> = active.iter().filter_map(|w| guard_of(ctx, w)).collect();
    let previous = guards.iter().map(|(_, g)| protocol::guard_count(g, &key)).max().unwrap_or(0);
    let limit = ctx.settings.hook_max_blocks;
    let decision = protocol::decide(failing_report.is_some(), input.stop_hook_active, previous, limit);
    let count = match decision {
        StopDecision::Block { count } => count,
        StopDecision::Pass | StopDecision::Release { .. } => 0,
    };
    let mut recorded = false;
    for (path, mut guard) in guards {
        if protocol::guard_count(&guard, &key) == count {
            recorded = true;
            continue;
        }
        protocol::set_guard(&mut guard, &key, count);
        match write_guard(&path, &guard) {
            Ok(()) => recorded = true,
            Err(e) => eprintln!("warning: the stop hook's count not recorded: {e}"),
        }
    }
    // A count that no workspace can keep (every tmp/ leads out of specs/ or
    // cannot be written) would block forever: block once, then let go.
    let decision = match decision {
        StopDecision::Block { count } if input.stop_hook_active && !recorded => {
            eprintln!(
                "warning: the stop hook cannot count its blocks in any active workspace's tmp/; it lets this stop through"
            );
            StopDecision::Release { count: (count - 1).max(1) }
        }
        other => other,
    };
    let Some(report) = failing_report else { return Ok(None) };
    let failures: Vec<Failure> =
        report.placed().filter(|(_, f)| f.is_fail()).map(|(w, f)| (w.map(|w| w.slug.as_str()), f)).collect();
    Ok(Some(match decision {
        StopDecision::Block { count } => {
            let failing: Vec<(&str, &str)> =
                report.workspaces.iter().filter(|w| !w.ok()).map(|w| (w.slug.as_str(), w.phase.as_str())).collect();
            let shown = if failing.is_empty() {
                report.workspaces.iter().map(|w| (w.slug.as_str(), w.phase.as_str())).collect()
            } else {
                failing
            };
            protocol::block(&protocol::stop_reason(&failures, &shown, count, limit, MAX_REASON))
        }
        StopDecision::Release { count } => protocol::notice(&protocol::release_message(count, failures.len())),
        StopDecision::Pass => return Ok(None),
    }))
}

/// Whether every active workspace's last gate passed and nothing it measured
/// differs now: its documents (hashed as read), its phase, and the change
/// since the base (fingerprinted only when the last gate ran the Python
/// checks; at prd the gate is quick and simply runs again).
fn still_passes(ctx: &Ctx, active: &[WorkspaceDir]) -> bool {
    let mut entries = Vec::new();
    for ws in active {
        if workspaces::leads_out(&ctx.root, ws) {
            return false;
        }
        let texts = workspaces::read(&ctx.root, ws);
        let Some(entry) = texts.ledger.as_deref().and_then(Entry::from_json) else { return false };
        let phase = texts.own_phase().unwrap_or(Phase::Prd);
        if !entry.ok
            || entry.phase != phase.as_str()
            || entry.change.is_none()
            || !entry.changed_since(&texts.hashes()).is_empty()
        {
            return false;
        }
        entries.push((entry, texts.hashes(), phase));
    }
    let Ok(change) = Changes::collect(&ctx.root, None).and_then(|c| c.fingerprint(&ctx.root)) else { return false };
    entries.iter().all(|(entry, hashes, phase)| entry.still_passes(phase.as_str(), hashes, &change))
}

/// A workspace's guard file and what it holds (None when it must not be
/// written: a link out of specs/).
fn guard_of(ctx: &Ctx, ws: &WorkspaceDir) -> Option<(PathBuf, protocol::Guard)> {
    if workspaces::leads_out(&ctx.root, ws) {
        return None;
    }
    let path = inside_specs(&ctx.root, &ws.path, &ws.path.join(protocol::GUARD_FILE)).ok()?;
    let guard = read_text(&path, 1024 * 1024).map(|t| protocol::read_guard(&t)).unwrap_or_default();
    Some((path, guard))
}

fn write_guard(path: &Path, guard: &protocol::Guard) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.is_dir() {
            std::fs::create_dir(dir).map_err(|e| Error::io(dir, &e, "check that the workspace folder is writable"))?;
        }
    }
    // Renamed into place: a hook cancelled mid-write leaves the old count,
    // never a torn file (and a link at the path is replaced, not followed).
    crate::host::fs::write_atomic(path, protocol::write_guard(guard).as_bytes())
}

fn pre_tool_use(ctx: &Ctx, input: &HookInput) -> Result<Option<Value>> {
    let tool = input.tool_name.as_deref().unwrap_or("");
    if !EDIT_TOOLS.split('|').any(|t| t == tool) {
        return Ok(None);
    }
    let Some(file) = input.file_path.as_deref() else { return Ok(None) };
    let base = input.cwd.as_deref().map(PathBuf::from).unwrap_or_else(|| ctx.root.clone());
    let Some(rel) = relative_to_root(&ctx.root, &base.join(file)) else { return Ok(None) };
    let active: Vec<(String, Phase)> = workspaces::list(&ctx.root, Location::Active)?
        .iter()
        .map(|ws| {
            let phase =
                if workspaces::leads_out(&ctx.root, ws) { None } else { workspaces::read(&ctx.root, ws).own_phase() };
            (ws.name.clone(), phase.unwrap_or(Phase::Prd))
        })
        .collect();
    Ok(protocol::edit_denial(&rel, &ctx.settings.source_roots, &active).map(|reason| protocol::deny(&reason)))
}

/// `path` relative to `root` (canonical) with `/`, or None outside it. The
/// path is cleaned of `.` and `..`, and its longest existing part resolved,
/// so a link or a `..` cannot make a source file look like another.
fn relative_to_root(root: &Path, path: &Path) -> Option<String> {
    let mut clean = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let mut existing = clean.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let resolved = loop {
        if let Ok(canon) = existing.canonicalize() {
            break rest.iter().rev().fold(canon, |p, part| p.join(part));
        }
        rest.push(existing.file_name()?);
        existing = existing.parent()?;
    };
    let rel = resolved.strip_prefix(root).ok()?;
    Some(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relative_to_the_root() {
        let root = std::env::temp_dir().canonicalize().unwrap();
        assert_eq!(relative_to_root(&root, &root.join("src/pkg/new.py")).as_deref(), Some("src/pkg/new.py"));
        assert_eq!(relative_to_root(&root, &root.join("docs/../src/./a.py")).as_deref(), Some("src/a.py"));
        assert_eq!(relative_to_root(&root, Path::new("/elsewhere/src/a.py")), None);
        assert_eq!(relative_to_root(&root, &root.join("../x/src/a.py")), None);
    }

    #[test]
    fn the_guard_file_lives_in_tmp() {
        assert_eq!(protocol::GUARD_FILE, "tmp/stop-hook.json");
        assert!(crate::core::ledger::FILE.starts_with("tmp/"));
    }
}
