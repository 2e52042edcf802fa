//! `cargo xtask recover SLUG`: rewrite the generated parts of recovery.md
//! (last updated, files modified so far, test status from the last gate) and
//! tasks.md (progress tracking), leaving every hand-written line as it was, and
//! print where to resume: phase, next task, blockers, failing checks.
use serde_json::json;

use crate::context::Ctx;
use crate::core::ledger::Entry;
use crate::core::markers::Broken;
use crate::core::recover::{self, Facts};
use crate::core::tasks;
use crate::core::workspace::{Doc, DocText, WorkspaceTexts};
use crate::error::Outcome;
use crate::error::{Error, Result};
use crate::host::changes::Changes;
use crate::host::fs::{now_utc, read_text, remove_stale_temporaries, Staged, MAX_TEXT_BYTES};
use crate::host::git;
use crate::host::workspaces::{self, WorkspaceDir};
use crate::report::JSON_VERSION;

pub fn run(ctx: &Ctx, slug: &str) -> Result<Outcome> {
    let ws = workspaces::find_active(&ctx.root, slug)?;
    remove_stale_temporaries(&ws.path);
    let texts = workspaces::read(&ctx.root, &ws);
    let recovery = doc_text(ctx, &ws, &texts, Doc::Recovery)?;
    let tasks_md = doc_text(ctx, &ws, &texts, Doc::Tasks)?;
    let task_list = tasks::parse(tasks_md);
    let last_gate = texts.ledger.as_deref().and_then(Entry::from_json);
    let stale = last_gate.as_ref().map(|g| g.changed_since(&texts.hashes())).unwrap_or_default();
    let (files_modified, base) = if git::is_repo(&ctx.root)? {
        let changes = Changes::collect(&ctx.root, None)?;
        (Some(changes.files.clone()), changes.describe_base())
    } else {
        (None, "no git repository".to_string())
    };
    let facts = Facts { now: now_utc(), files_modified, base, last_gate, stale };

    // Both documents are computed before either is written: a region that
    // cannot be found exactly stops the run with nothing changed.
    let rel = |doc: Doc| texts.file(doc).expect("every Doc has an entry").rel_path.clone();
    let broken = |doc: Doc, b: Broken| {
        Error::usage(format!("{}/{}:{}: {}; recover changed nothing", ctx.rel(&ws.path), rel(doc), b.line, b.message))
    };
    let new_recovery = recover::recovery_text(recovery, &facts).map_err(|b| broken(Doc::Recovery, b))?;
    let new_tasks = recover::tasks_text(tasks_md, &task_list).map_err(|b| broken(Doc::Tasks, b))?;
    let plan: Vec<(Doc, &str, String)> = [(Doc::Recovery, recovery, new_recovery), (Doc::Tasks, tasks_md, new_tasks)]
        .into_iter()
        .filter(|(_, old, new)| new != old)
        .collect();
    // An editor may have saved meanwhile: the new texts are staged first, each
    // file is read again, and only if neither changed are they renamed into
    // place; otherwise nothing is written (the editor's save wins).
    let mut staged = Vec::new();
    for (doc, old, new) in &plan {
        let rel = rel(*doc);
        staged.push((rel.clone(), Staged::write(&ws.path.join(&rel), new.as_bytes())?, *old));
    }
    for (rel, _, old) in &staged {
        if read_text(&ws.path.join(rel), MAX_TEXT_BYTES).as_deref() != Ok(*old) {
            return Err(Error::refused(format!(
                "{}/{rel}: changed while recover ran (saved by another program); recover wrote nothing; run it again",
                ctx.rel(&ws.path)
            )));
        }
    }
    let mut written = Vec::new();
    for (rel, file, _) in staged {
        file.commit()?;
        written.push(format!("{}/{rel}", ctx.rel(&ws.path)));
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
