//! `cargo xtask archive SLUG [--force] [--dry-run]`: move a finished workspace
//! from specs/active/ to specs/archive/.
//!
//! The steps, and what a crash between them leaves:
//! 1. the qa check runs; on failure (without --force) nothing changes;
//! 2. `archive.md` (date, forced or not, what the qa check said) is written
//!    inside the still-active workspace. A crash here leaves an active workspace
//!    holding a record: `list` points at it, and the next `archive SLUG` simply
//!    overwrites the record and goes on;
//! 3. the folder moves with one rename, so it is wholly in active/ or wholly in
//!    archive/, never split. A crash right after leaves an archived workspace
//!    whose PRD still says Draft: the record is already inside it, so INDEX.md
//!    can be rebuilt, and the next `archive SLUG` finishes step 4;
//! 4. the PRD's `**Status**:` becomes Complete and recovery.md's
//!    `**Current Phase**:` becomes archived (each file rewritten atomically);
//! 5. specs/archive/INDEX.md is rebuilt from the archive folder's contents
//!    alone (temporary file + rename). `list` rebuilds it too, so a lost or stale
//!    index repairs itself.
use serde_json::json;

use crate::context::Ctx;
use crate::core::finding::Finding;
use crate::core::phase::Phase;
use crate::core::workspace::{
    current_phase, field, set_field, ArchiveRecord, Doc, DocText, WorkspaceTexts, ARCHIVE_RECORD,
};
use crate::error::Outcome;
use crate::error::{Error, Result};
use crate::gate::{self, Request};
use crate::host::fs::{remove_stale_temporaries, today_utc, write_atomic};
use crate::host::workspaces::{self, IndexUpdate, Location, WorkspaceDir};
use crate::report::{finding_line, JSON_VERSION};

/// How many failed findings the human output prints.
const SHOWN_FINDINGS: usize = 10;

/// What `archive` did or would do, for the human and JSON outputs.
struct Plan {
    slug: String,
    from: String,
    to: String,
    forced: bool,
    dry_run: bool,
    checks: Vec<Finding>,
    actions: Vec<String>,
}

pub fn run(ctx: &Ctx, slug: &str, force: bool, dry_run: bool) -> Result<Outcome> {
    let active = workspaces::find(&ctx.root, Location::Active, slug)?;
    let archived = workspaces::find(&ctx.root, Location::Archive, slug)?;
    let Some(ws) = active else {
        return match archived {
            Some(done) => finish_interrupted(ctx, &done, dry_run),
            None => Err(Error::usage(format!(
                "specs/active/{slug}: no such workspace; `cargo xtask list` shows the workspaces"
            ))),
        };
    };
    // The folder keeps its name as it is on disk (`ws.name` is only its
    // printable form when that name is not UTF-8).
    let folder = ws.path.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| ws.name.clone().into());
    let target = ctx.root.join("specs").join("archive").join(folder);
    if let Some(existing) = archived {
        return Err(Error::refused(format!(
            "{}/ already exists; nothing moved. Rename or remove one of the two workspaces first",
            ctx.rel(&existing.path)
        )));
    }

    let texts = workspaces::read(&ctx.root, &ws);
    let checks = qa_findings(ctx, &ws, &texts)?;
    let failures = checks.iter().filter(|f| f.is_fail()).count();
    let mut plan = Plan {
        slug: ws.name.clone(),
        from: ctx.rel(&ws.path),
        to: ctx.rel(&target),
        forced: failures > 0 && force,
        dry_run,
        checks,
        actions: Vec::new(),
    };
    if failures > 0 && !force {
        let why = format!(
            "archive {slug} refused: the qa check failed ({failures} finding{}); nothing changed. \
             Fix what `cargo xtask gate {slug} --phase qa` reports, or pass --force to archive anyway (recorded in the archive)",
            if failures == 1 { "" } else { "s" },
            slug = plan.slug,
        );
        print_plan(ctx, &plan, Some(&why));
        return Err(Error::refused(why));
    }

    let record = ArchiveRecord {
        date: Some(today_utc()),
        forced: plan.forced,
        qa: Some(qa_summary(&plan.checks)),
        commit: crate::host::git::head_commit(&ctx.root),
    };
    plan.actions.push(format!(
        "record {}/{ARCHIVE_RECORD}: archived {}, {}",
        plan.to,
        record.date.as_deref().unwrap_or_default(),
        if record.forced { "forced past the failed qa check" } else { "qa check passed" }
    ));
    plan.actions.push(format!("move {}/ -> {}/", plan.from, plan.to));
    plan.actions.extend(finish_actions(&texts));
    plan.actions.push("regenerate specs/archive/INDEX.md".into());
    if dry_run {
        print_plan(ctx, &plan, None);
        return Ok(Outcome::Success);
    }

    // Another `archive` of the same workspace may have moved it while the qa
    // check ran: that is no error of the folder, say so.
    let lost_race = |e: Error| {
        if !ws.path.exists() && target.is_dir() {
            Error::refused(format!(
                "{}/: another process archived it meanwhile (to {}/); nothing more to do",
                plan.from, plan.to
            ))
        } else {
            e
        }
    };
    // Step 2: the record goes in first, so the archive folder explains itself.
    let record_path = ws.path.join(ARCHIVE_RECORD);
    write_atomic(&record_path, record.render(&ws.name).as_bytes()).map_err(lost_race)?;
    // Step 3: one rename moves the whole workspace.
    workspaces::ensure_specs_dir(&ctx.root, Location::Archive)?;
    if let Err(e) = std::fs::rename(&ws.path, &target) {
        let _ = std::fs::remove_file(&record_path);
        return Err(lost_race(Error::io(&ws.path, &e, "nothing moved; check that specs/archive/ is writable")));
    }
    let moved = WorkspaceDir { name: ws.name.clone(), location: Location::Archive, path: target };
    // Steps 4 and 5.
    finish(ctx, &moved)?;
    print_plan(ctx, &plan, None);
    Ok(Outcome::Success)
}

/// The qa check archive runs: exactly `cargo xtask gate SLUG --phase qa` (its
/// workspace checks and the repository checks of every phase), so a passing
/// `gate --phase qa` means archive will not refuse.
fn qa_findings(ctx: &Ctx, ws: &WorkspaceDir, _texts: &WorkspaceTexts) -> Result<Vec<Finding>> {
    let slugs = [ws.name.clone()];
    let report = gate::run(ctx, &Request { slugs: &slugs, phase: Some(Phase::Qa), base: None, record: false })?;
    Ok(report.workspaces.into_iter().flat_map(|w| w.checks).chain(report.checks).collect())
}

fn qa_summary(checks: &[Finding]) -> String {
    let failed: Vec<&Finding> = checks.iter().filter(|f| f.is_fail()).collect();
    if failed.is_empty() {
        format!("`gate --phase qa` passed ({} checks)", checks.len())
    } else {
        format!("failed, {} finding{}: {}", failed.len(), if failed.len() == 1 { "" } else { "s" }, failed[0].message)
    }
}

/// What steps 4 and 5 will change in a workspace, for the plan.
fn finish_actions(texts: &WorkspaceTexts) -> Vec<String> {
    let mut actions = Vec::new();
    match texts.file(Doc::Prd) {
        Some(f) if matches!(f.text, DocText::Text(_)) => {
            actions.push(format!("set {} **Status**: Complete", f.rel_path))
        }
        Some(f) => actions.push(format!("leave {} as it is (not readable text)", f.rel_path)),
        None => {}
    }
    match texts.file(Doc::Recovery) {
        Some(f) if matches!(f.text, DocText::Text(_)) => {
            actions.push(format!("set {} **Current Phase**: archived", f.rel_path))
        }
        Some(f) => actions.push(format!("leave {} as it is (not readable text)", f.rel_path)),
        None => {}
    }
    actions
}

/// Steps 4 and 5 on an archived workspace; idempotent.
fn finish(ctx: &Ctx, ws: &WorkspaceDir) -> Result<()> {
    // What a killed or losing run left inside (it moved with the folder).
    remove_stale_temporaries(&ws.path);
    let texts = workspaces::read(&ctx.root, ws);
    for (doc, label, value) in [(Doc::Prd, "Status", "Complete"), (Doc::Recovery, "Current Phase", "archived")] {
        let (Some(file), Some(text)) = (texts.file(doc), texts.text(doc)) else { continue };
        let updated = set_field(text, label, value);
        if updated != text {
            let path = ws.path.join(&file.rel_path);
            write_atomic(&path, updated.as_bytes())?;
            crate::gate::ledger::follow_rewrite(ctx, &ws.path, &file.rel_path, text, &updated);
        }
    }
    workspaces::refresh_index(&ctx.root)?;
    Ok(())
}

/// Whether steps 4 and 5 still have work to do on an archived workspace.
fn unfinished(texts: &WorkspaceTexts) -> bool {
    let status_done = texts
        .text(Doc::Prd)
        .is_none_or(|t| field(t, "Status").is_some_and(|(v, _)| v.eq_ignore_ascii_case("complete")));
    let phase_done =
        texts.text(Doc::Recovery).is_none_or(|t| current_phase(t).is_some_and(|(p, _)| p == Phase::Archived));
    !(status_done && phase_done)
}

/// `archive SLUG` on a workspace already in specs/archive/: finish an
/// interrupted archive (its record is there but step 4 is not done), else refuse.
fn finish_interrupted(ctx: &Ctx, ws: &WorkspaceDir, dry_run: bool) -> Result<Outcome> {
    let texts = workspaces::read(&ctx.root, ws);
    let rel = ctx.rel(&ws.path);
    if texts.archive_record.is_none() || !unfinished(&texts) {
        if !dry_run {
            // Still worth doing: a lost index comes back.
            if workspaces::refresh_index(&ctx.root)? == IndexUpdate::Written {
                eprintln!("regenerated specs/archive/INDEX.md");
            }
        }
        return Err(Error::refused(format!("{rel}/ is already archived; nothing to do")));
    }
    let mut actions = finish_actions(&texts);
    actions.push("regenerate specs/archive/INDEX.md".into());
    let record = texts.archive_record.as_deref().map(ArchiveRecord::parse).unwrap_or_default();
    let plan = Plan {
        slug: ws.name.clone(),
        from: rel.clone(),
        to: rel,
        forced: record.forced,
        dry_run,
        checks: Vec::new(),
        actions: actions.into_iter().map(|a| format!("finish the interrupted archive: {a}")).collect(),
    };
    if !dry_run {
        finish(ctx, ws)?;
    }
    print_plan(ctx, &plan, None);
    Ok(Outcome::Success)
}

/// The plan, and when `refused` says why, that nothing was done.
fn print_plan(ctx: &Ctx, plan: &Plan, refused: Option<&str>) {
    let ok = refused.is_none();
    if ctx.json {
        let mut doc = json!({
            "version": JSON_VERSION,
            "ok": ok,
            "slug": plan.slug,
            "from": plan.from,
            "to": plan.to,
            "forced": plan.forced,
            "dry_run": plan.dry_run,
            "actions": if ok { plan.actions.clone() } else { Vec::new() },
            "checks": plan.checks.iter().map(Finding::to_json).collect::<Vec<_>>(),
        });
        if let Some(why) = refused {
            doc["refused"] = why.into();
        }
        crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
        return;
    }
    // A fresh task list has dozens of open tasks: show the first few.
    let failed: Vec<&Finding> = plan.checks.iter().filter(|f| f.is_fail()).collect();
    for f in failed.iter().take(SHOWN_FINDINGS) {
        crate::outln!("{}", finding_line(&ctx.style, f));
    }
    if failed.len() > SHOWN_FINDINGS {
        crate::outln!("... and {} more (`--json` lists them all)", failed.len() - SHOWN_FINDINGS);
    }
    if !ok {
        return;
    }
    let verb = if plan.dry_run { "would" } else { "did" };
    for action in &plan.actions {
        crate::outln!("{verb}: {action}");
    }
    let done = if plan.dry_run {
        format!("dry run: nothing changed; run without --dry-run to archive {}", plan.slug)
    } else if plan.forced {
        format!("archived {} to {}/ (forced past the failed qa check; recorded)", plan.slug, plan.to)
    } else {
        format!("archived {} to {}/", plan.slug, plan.to)
    };
    crate::outln!("{}", ctx.style.green(&done));
}
