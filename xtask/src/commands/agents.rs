//! `cargo xtask agents [--dry-run]`: install the gate's Claude Code hooks in
//! `.claude/settings.json` (the project's shared settings). What is there
//! stays, in its order; our hooks are added once (`core::agent_settings`).
use std::path::Path;

use serde_json::json;

use crate::context::Ctx;
use crate::core::agent_settings::{diff, gate_hooks, merge};
use crate::error::{Error, Outcome, Result};
use crate::host::fs::{read_bytes, write_atomic, ReadError, MAX_TEXT_BYTES};
use crate::report::JSON_VERSION;

/// Where the hooks go, relative to the root.
pub const SETTINGS: &str = ".claude/settings.json";
/// How a hook starts the kit from the project folder.
const RUN: &str = "cargo xtask";

pub fn run(ctx: &Ctx, dry_run: bool) -> Result<Outcome> {
    let dir = ctx.root.join(".claude");
    let path = dir.join("settings.json");
    refuse_links(&ctx.root, &dir, &path)?;
    // Regular files only, capped: a FIFO in its place would hang the command.
    let existing = match read_bytes(&path, MAX_TEXT_BYTES) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Error::usage(format!("{SETTINGS}: not UTF-8 text; save it as UTF-8 JSON, then run this again"))
        })?),
        Err(ReadError::Missing) => None,
        Err(e) => {
            return Err(Error::usage(format!(
                "{SETTINGS}: {}; make it a readable JSON file (or move it away), then run this again",
                e.describe()
            )))
        }
    };
    let merged = merge(existing.as_deref(), &gate_hooks(RUN)).map_err(|why| {
        Error::usage(format!("{SETTINGS}: {why}; fix the file (or move it away), then run this again"))
    })?;
    let change = diff(SETTINGS, existing.as_deref().unwrap_or(""), &merged.text);
    if merged.changed() && !dry_run {
        if !dir.is_dir() {
            std::fs::create_dir(&dir)
                .map_err(|e| Error::io(&dir, &e, "create the folder or make the root writable"))?;
        }
        write_atomic(&path, merged.text.as_bytes())?;
    }
    if ctx.json {
        let doc = json!({
            "version": JSON_VERSION,
            "ok": true,
            "path": SETTINGS,
            "dry_run": dry_run,
            "changed": merged.changed(),
            "added": merged.added,
            "timeouts_added": merged.timed,
            "notes": merged.notes,
            "diff": change,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
        return Ok(Outcome::Success);
    }
    if !merged.changed() {
        crate::outln!("{SETTINGS}: the gate's hooks are already installed; nothing to change");
    } else if dry_run {
        crate::out!("{change}");
        crate::outln!("(dry run: {SETTINGS} not written)");
    } else {
        if !merged.added.is_empty() {
            crate::outln!("{SETTINGS}: added the gate's hooks for {}", merged.added.join(", "));
        }
        if !merged.timed.is_empty() {
            crate::outln!(
                "{SETTINGS}: gave the gate's hooks for {} a timeout (installed without one, they could be cancelled \
                 by Claude Code's default)",
                merged.timed.join(", ")
            );
        }
        crate::outln!(
            "Commit it so every Claude Code session in this repository is gated; a session already open loads \
             it on restart (or after a look at /hooks)."
        );
    }
    for note in &merged.notes {
        crate::outln!("note: {note}");
    }
    Ok(Outcome::Success)
}

/// `.claude/` and the settings file are written only where they are: not
/// through a link that leads out of the repository, and a settings file that
/// is itself a link is left to its owner.
fn refuse_links(root: &Path, dir: &Path, path: &Path) -> Result<()> {
    if dir.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        if !dir.canonicalize().is_ok_and(|d| d.starts_with(&root)) {
            return Err(Error::usage(
                ".claude: a symbolic link out of the repository; add the hooks to the file it leads to by hand \
                 (specs/guides/agents.md shows them)",
            ));
        }
    }
    if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::usage(format!(
            "{SETTINGS}: a symbolic link; add the hooks to the file it leads to by hand (specs/guides/agents.md \
             shows them), or replace the link by a file"
        )));
    }
    Ok(())
}
