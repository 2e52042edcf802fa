//! `cargo xtask list [--json]`: every workspace in specs/active/ and
//! specs/archive/ with its phase, tasks and creation date. Hand-made workspaces
//! (missing files, `RECOVERY.md`, extra files) are listed with notes, never
//! refused. A missing or stale specs/archive/INDEX.md is rewritten on the way.
use serde_json::{json, Map, Value};

use crate::context::Ctx;
use crate::core::workspace::{summarize, Summary};
use crate::error::Outcome;
use crate::error::Result;
use crate::host::workspaces::{self, IndexUpdate, Location, WorkspaceDir};
use crate::report::{Style, JSON_VERSION};

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut left: Vec<String> = Vec::new();
    for location in [Location::Active, Location::Archive] {
        for ws in workspaces::left_behind(&ctx.root, location)? {
            left.push(format!(
                "{}: holds only tmp/, the gate's scratch folder (left by a branch switch?); not a workspace, delete it",
                ctx.rel(&ws.path)
            ));
        }
    }
    let rows: Vec<(WorkspaceDir, Summary)> = workspaces::list_all(&ctx.root)?
        .into_iter()
        .map(|ws| {
            let summary = summarize(&workspaces::read(&ctx.root, &ws));
            (ws, summary)
        })
        .collect();
    // Listing must work in a read-only checkout: a failed rewrite is a warning.
    let index = match workspaces::refresh_index(&ctx.root) {
        Ok(update) => Some(update),
        Err(err) => {
            eprintln!("warning: specs/archive/INDEX.md not regenerated: {err}");
            None
        }
    };
    if ctx.json {
        let doc = json!({
            "version": JSON_VERSION,
            "ok": true,
            "workspaces": rows.iter().map(|(ws, s)| to_json(ctx, ws, s)).collect::<Vec<_>>(),
            "index": {
                "path": "specs/archive/INDEX.md",
                "regenerated": index == Some(IndexUpdate::Written),
            },
            "notes": left,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
    } else {
        crate::out!("{}", render(&rows, &ctx.style));
        for note in &left {
            crate::outln!("note: {note}");
        }
        if index == Some(IndexUpdate::Written) {
            crate::outln!("regenerated specs/archive/INDEX.md");
        }
    }
    Ok(Outcome::Success)
}

/// Notes about a workspace beyond its documents' own problems.
fn notes(ws: &WorkspaceDir, s: &Summary) -> Vec<String> {
    let mut notes = s.problems.clone();
    if ws.location == Location::Active && s.archive.is_some() {
        notes.push(format!(
            "holds an archive record: an archive was interrupted; run `cargo xtask archive {}` again",
            ws.name
        ));
    }
    notes.extend(s.no_phase.clone());
    notes
}

fn to_json(ctx: &Ctx, ws: &WorkspaceDir, s: &Summary) -> Value {
    let mut obj = Map::new();
    obj.insert("slug".into(), json!(ws.name));
    obj.insert("location".into(), json!(ws.location.as_str()));
    obj.insert("path".into(), json!(ctx.rel(&ws.path)));
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            obj.insert(key.into(), v);
        }
    };
    put("title", s.title.as_ref().map(|t| json!(t)));
    put("phase", s.phase.map(|p| json!(p.as_str())));
    put("created", s.created.as_ref().map(|c| json!(c)));
    put("status", s.status.as_ref().map(|c| json!(c)));
    put(
        "tasks",
        s.tasks.map(|t| {
            json!({
                "total": t.total,
                "done": t.done,
                "not_applicable": t.not_applicable,
                "open": t.open,
                "blocked": t.blocked,
            })
        }),
    );
    put(
        "gate",
        s.gate.as_ref().map(|g| {
            json!({
                "time": g.time,
                "phase": g.phase,
                "ok": g.ok,
                "failed": g.failed,
                "stale": !g.changed.is_empty(),
                "changed": g.changed,
            })
        }),
    );
    put(
        "archived",
        s.archive.as_ref().map(|r| {
            let mut rec = Map::new();
            if let Some(date) = &r.date {
                rec.insert("date".into(), json!(date));
            }
            rec.insert("forced".into(), json!(r.forced));
            Value::Object(rec)
        }),
    );
    obj.insert("notes".into(), json!(notes(ws, s)));
    Value::Object(obj)
}

/// A table, one row per workspace, notes indented under their row.
fn render(rows: &[(WorkspaceDir, Summary)], style: &Style) -> String {
    if rows.is_empty() {
        return "no workspaces in specs/active/ or specs/archive/; create one with `cargo xtask new-spec NAME`\n"
            .into();
    }
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|(ws, s)| {
            let tasks = s.tasks.map_or("-".to_string(), |t| format!("{}/{}", t.closed(), t.total));
            let mut title = s.title.clone().unwrap_or_else(|| "-".into());
            if let Some(record) = &s.archive {
                let date = record.date.as_deref().unwrap_or("date unknown");
                title.push_str(&format!(" (archived {date}{})", if record.forced { ", forced" } else { "" }));
            }
            [
                ws.location.as_str().to_string(),
                ws.name.clone(),
                s.phase.map_or("?".to_string(), |p| p.as_str().to_string()),
                tasks,
                gate_cell(s),
                s.created.clone().unwrap_or_else(|| "-".into()),
                title,
            ]
            .map(|c| printable(&c))
        })
        .collect();
    let header = ["WHERE", "SLUG", "PHASE", "TASKS", "GATE", "CREATED", "TITLE"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String; 7]| {
        let mut text = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = style.bold(line(&header).trim_end()) + "\n";
    for ((ws, s), row) in rows.iter().zip(&cells) {
        out.push_str(&line(row));
        for note in notes(ws, s) {
            out.push_str(&format!("    {} {}\n", style.yellow("note:"), printable(&note)));
        }
    }
    let active = rows.iter().filter(|(ws, _)| ws.location == Location::Active).count();
    out.push_str(&format!(
        "{active} active, {} archived; TASKS = done or not applicable / total\n",
        rows.len() - active
    ));
    out
}

/// The last gate run: `ok`, `failed 3`, `-` when never run; `(stale)` when a
/// document changed since.
fn gate_cell(s: &Summary) -> String {
    let Some(g) = &s.gate else { return "-".into() };
    let verdict = if g.ok { "ok".to_string() } else { format!("failed {}", g.failed) };
    if g.changed.is_empty() {
        verdict
    } else {
        format!("{verdict} (stale)")
    }
}

/// Text with control characters replaced, so a hostile title or folder name
/// cannot drive the terminal.
fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}
