//! Writing the gate ledger: each gated workspace's result in its
//! `tmp/gate.json` (what `list`, `status` and `recover` read; the format is
//! `core::ledger`). A ledger that cannot be written (a read-only checkout, a
//! workspace archived meanwhile) is a warning, never a failed gate.
use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::core::finding::Finding;
use crate::core::ledger;
use crate::gate::documents::Hashes;
use crate::gate::par_map;
use crate::host::workspaces::inside_specs;
use crate::report::{Report, WorkspaceReport};

/// Record each gated workspace's findings and the repository's, with the hash
/// of each document as gated. `dirs` pairs with `report.workspaces`.
/// `change` is the change fingerprint when the Python checks ran.
pub fn write_all(ctx: &Ctx, dirs: &[(Option<PathBuf>, Hashes)], report: &Report, change: Option<&str>) {
    let now = crate::host::fs::now_utc();
    let items: Vec<(&(Option<PathBuf>, Hashes), &WorkspaceReport)> = dirs.iter().zip(&report.workspaces).collect();
    par_map(&items, |((dir, hashes), ws)| {
        let Some(dir) = dir else { return };
        if let Err(why) = write_one(ctx, dir, &now, hashes, ws, &report.checks, change) {
            eprintln!("warning: {}: gate result not recorded: {why}", ctx.rel(&dir.join(ledger::FILE)));
        }
    });
}

/// A document the kit itself rewrote after the last gate (`archive` sets
/// `**Status**` and `**Current Phase**`): its recorded hash follows, when it
/// was the hash of the text before, so the record does not turn stale by
/// the kit's own hand. Anything unreadable is left as it is.
pub fn follow_rewrite(ctx: &Ctx, dir: &Path, rel_path: &str, before: &str, after: &str) {
    let Ok(tmp) = inside_specs(&ctx.root, dir, &dir.join("tmp")) else { return };
    let path = tmp.join("gate.json");
    let Ok(text) = crate::host::fs::read_text(&path, crate::host::fs::MAX_TEXT_BYTES) else { return };
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&text) else { return };
    // Indexing would panic on a record of another shape: look, don't index.
    let Some(hashes) = v.get_mut("hashes").and_then(serde_json::Value::as_object_mut) else { return };
    let Some(recorded) = hashes.get_mut(rel_path) else { return };
    if recorded.as_str() != Some(ledger::document_hash(before.as_bytes()).as_str()) {
        return;
    }
    *recorded = ledger::document_hash(after.as_bytes()).into();
    if let Err(e) = crate::host::fs::write_atomic(&path, v.to_string().as_bytes()) {
        eprintln!("warning: {}: gate result not updated: {e}", ctx.rel(&path));
    }
}

fn write_one(
    ctx: &Ctx,
    dir: &Path,
    now: &str,
    hashes: &Hashes,
    ws: &WorkspaceReport,
    repo: &[Finding],
    change: Option<&str>,
) -> Result<(), String> {
    // A workspace moved away (archived) while the gate ran: writing its
    // ledger would bring back a ghost folder.
    if !dir.is_dir() {
        return Err("the workspace folder is gone (archived or removed meanwhile)".into());
    }
    let tmp = dir.join("tmp");
    let tmp = inside_specs(&ctx.root, dir, &tmp).map_err(|_| "tmp/ is a symbolic link out of specs/".to_string())?;
    let findings = || ws.checks.iter().chain(repo);
    let entry = ledger::Entry {
        time: now.to_string(),
        phase: ws.phase.clone(),
        ok: !findings().any(Finding::is_fail),
        // Filled in below from the report itself, without copies.
        findings: Vec::new(),
        hashes: hashes.clone(),
        change: change.map(str::to_string),
    };
    let mut json = entry.to_json();
    json["failed"] = findings().filter(|f| f.is_fail()).count().into();
    json["findings"] = findings().map(Finding::to_json).collect::<Vec<_>>().into();
    (|| -> std::io::Result<()> {
        if !tmp.is_dir() {
            // One level only: the workspace folder itself is never created.
            std::fs::create_dir(&tmp)?;
        }
        // The old ledger is removed (a link is removed, not followed), then the
        // new one written, not synced: replacing a file by rename or
        // truncation makes ext4 flush it at once (auto_da_alloc), which cost
        // more than the whole gate of 1,000 workspaces. A torn ledger reads as
        // no record; the next gate rewrites it.
        let path = tmp.join("gate.json");
        let _ = std::fs::remove_file(&path);
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        let mut out = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut out, &json)?;
        out.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    })()
    .map_err(|e| e.to_string())
}
