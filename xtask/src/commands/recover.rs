//! `cargo xtask recover SLUG`: rewrite the generated parts of recovery.md
//! (last updated, files modified so far, test status from the last gate) and
//! tasks.md (progress tracking), leaving every hand-written line as it was, and
//! print where to resume: phase, next task, blockers, failing checks.
use serde_json::json;

use crate::context::Ctx;
use crate::core::ledger::Entry;
use crate::core::recover::{self, Facts};
use crate::core::tasks;
use crate::core::workspace::{Doc, DocText, WorkspaceTexts};
use crate::error::Outcome;
use crate::error::{Error, Result};
use crate::host::changes::Changes;
use crate::host::fs::{now_utc, write_atomic};
use crate::host::git;
use crate::host::workspaces::{self, WorkspaceDir};
use crate::report::JSON_VERSION;

pub fn run(ctx: &Ctx, slug: &str) -> Result<Outcome> {
    let ws = workspaces::find_active(&ctx.root, slug)?;
    let texts = workspaces::read(&ctx.root, &ws);
    let recovery = doc_text(ctx, &ws, &texts, Doc::Recovery)?;
    let tasks_md = doc_text(ctx, &ws, &texts, Doc::Tasks)?;
    let task_list = tasks::parse(tasks_md);
    let last_gate = texts.ledger.as_deref().and_then(Entry::from_json);
    let stale = last_gate.as_ref().map(|g| g.changed_since(&texts.hashes())).unwrap_or_default();
    let (files_modified, base) = if git::is_repo(&ctx.root) {
        let changes = Changes::collect(&ctx.root, None)?;
        (Some(changes.files.clone()), changes.describe_base())
    } else {
        (None, "no git repository".to_string())
    };
    let facts = Facts { now: now_utc(), files_modified, base, last_gate, stale };

    let mut written = Vec::new();
    for (doc, old, new) in [
        (Doc::Recovery, recovery, recover::recovery_text(recovery, &facts)),
        (Doc::Tasks, tasks_md, recover::tasks_text(tasks_md, &task_list)),
    ] {
        if new != old {
            let rel = &texts.file(doc).expect("every Doc has an entry").rel_path;
            write_atomic(&ws.path.join(rel), new.as_bytes())?;
            written.push(format!("{}/{rel}", ctx.rel(&ws.path)));
        }
    }
    let phase = texts.own_phase().map(|p| p.to_string()).unwrap_or_else(|| "unknown".into());
    let lines = recover::summary(&ws.name, &phase, &task_list, &facts);
    if ctx.json {
        let doc = json!({
            "version": JSON_VERSION,
            "ok": true,
            "slug": ws.name,
            "phase": phase,
            "updated": written,
            "next_task": task_list.current_focus().map(|t| json!({"id": t.id, "line": t.line, "text": t.text})),
            "summary": lines,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
    } else {
        for f in &written {
            crate::outln!("updated {f}");
        }
        for line in lines {
            crate::outln!("{line}");
        }
    }
    Ok(Outcome::Success)
}

fn doc_text<'a>(ctx: &Ctx, ws: &WorkspaceDir, texts: &'a WorkspaceTexts, doc: Doc) -> Result<&'a str> {
    let file = texts.file(doc).expect("every Doc has an entry");
    let path = format!("{}/{}", ctx.rel(&ws.path), file.rel_path);
    match &file.text {
        DocText::Text(t) => Ok(t),
        DocText::Missing => {
            Err(Error::usage(format!("{path}: missing; restore it (the template is templates/{})", doc.rel_path())))
        }
        DocText::NotText { line } => Err(Error::usage(format!("{path}:{line}: not UTF-8 text; fix the file first"))),
        other => Err(Error::usage(format!("{path}: {}; fix the file first", other.problem().unwrap_or_default()))),
    }
}
