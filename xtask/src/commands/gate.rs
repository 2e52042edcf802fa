//! `cargo xtask gate [SLUG...] [--phase P] [--base REV]`: the checks of a phase
//! on workspaces and the repository, every shortfall at a file and line.
//!
//! The orchestration: templates -> rules (once); each workspace's documents are
//! read and checked on every core; the python blocks of all of them compile in
//! one helper run; then the repository checks. Adding a check is one line in
//! one of the tables below.
use std::path::{Path, PathBuf};

use crate::commands::snippets::{check_docs_with, early_pool, par_map, read_text_bom, SnippetDoc, MAX_READ_BYTES};
use crate::commands::Outcome;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::host::{git_status, templates};
use crate::report::{self, Report, WorkspaceReport};
use crate::spec::checks::structure::{self, DocSlot, DocState};
use crate::spec::checks::{self, snippets as snippet_core, DocInput};
use crate::spec::finding::Finding;
use crate::spec::ledger;
use crate::spec::markdown::Markdown;
use crate::spec::phase::Phase;
use crate::spec::rules::{Rule, TemplateRules};
use crate::spec::tasks::{self, TaskList};
use crate::spec::workspace::{current_phase, Doc};

/// A check of one filled document against its template's rules.
type DocCheck = fn(&DocInput) -> Vec<Finding>;

/// Document checks, with the phase from which each runs.
const DOC_CHECKS: &[(Phase, DocCheck)] = &[
    (Phase::Prd, checks::residue::check),
    (Phase::Prd, checks::words::check),
    (Phase::Prd, checks::criteria::check),
    (Phase::Prd, checks::diagram::check),
    (Phase::Prd, checks::research::check),
];

/// A gated workspace's slug and folder.
type WorkspaceDirs = (String, PathBuf);

/// (document path inside the workspace, ledger hash) of each document read.
type Hashes = Vec<(String, String)>;

/// A check of a whole workspace (its documents as read).
type WorkspaceCheck = fn(&Workspace) -> Vec<Finding>;

/// Workspace checks, with the phase from which each runs. (`tasks` joins here.)
const WORKSPACE_CHECKS: &[(Phase, WorkspaceCheck)] = &[(Phase::Prd, structure_check), (Phase::Research, tasks_check)];

/// A repository check: findings for the top-level `checks`.
type RepoCheck = fn(&Ctx, &RepoGate) -> Result<Vec<Finding>>;

/// Repository checks, with the phase from which each runs. Each decides
/// itself what its phase range means (git-clean runs only at prd).
const REPO_CHECKS: &[(Phase, RepoCheck)] = &[
    (Phase::Prd, git_clean_check),
    (Phase::Prd, python_checks),
    (Phase::Docs, crate::commands::gate_later::guides),
    (Phase::Qa, crate::commands::gate_later::rules),
    (Phase::Qa, crate::commands::gate_later::env_templates),
    (Phase::Qa, crate::commands::gate_later::archived_snippets),
];

/// What the repository checks are run for.
pub struct RepoGate<'a> {
    /// The phase of each gated workspace.
    pub phases: Vec<Phase>,
    /// The highest phase gated: repository checks of every phase up to it run.
    pub highest: Phase,
    pub base: Option<&'a str>,
    /// The main job: no slug and no phase given.
    pub bare: bool,
}

pub fn run(ctx: &Ctx, slugs: &[String], phase: Option<&str>, base: Option<&str>) -> Result<Outcome> {
    let phase = match phase {
        Some(p) => Some(Phase::parse(p).ok_or_else(|| {
            Error::usage(format!("unknown phase `{p}`; use prd, research, implementation, testing, docs or qa"))
        })?),
        None => None,
    };
    let report = gate(ctx, slugs, phase, base, true)?;
    report::emit(&report, ctx.json, &ctx.style, "gate");
    let ok = report.ok();
    // The process ends here: freeing thousands of findings one by one only
    // costs time.
    std::mem::forget(report);
    Ok(Outcome::from_ok(ok))
}

/// The gate of one workspace at `phase` (its own when None), with the
/// repository checks of the phases up to it: what `archive` runs at qa. It
/// records nothing (a refused archive leaves every file as it was).
pub fn gate_workspace(ctx: &Ctx, slug: &str, phase: Option<Phase>, base: Option<&str>) -> Result<Report> {
    gate(ctx, &[slug.to_string()], phase, base, false)
}

/// The gate: `slugs` (every active workspace when empty) at `phase` (each its
/// own when None). A bare gate (no slug, no phase) runs every repository check.
/// With `record`, each workspace's result goes to its ledger (`tmp/gate.json`).
pub fn gate(ctx: &Ctx, slugs: &[String], phase: Option<Phase>, base: Option<&str>, record: bool) -> Result<Report> {
    let (dirs, gated) = gate_all_documents(ctx, slugs, phase, record)?;
    let hashes: Vec<Option<Hashes>> = gated.iter().map(|g| g.hashes.clone()).collect();
    let phases: Vec<Phase> = gated.iter().map(|g| g.phase).collect();
    let highest = match phase {
        Some(p) => p,
        // The main job: every repository check.
        None if slugs.is_empty() => Phase::Qa,
        None => phases.iter().copied().max().unwrap_or(Phase::Prd),
    };
    let repo = RepoGate { phases, highest, base, bare: slugs.is_empty() && phase.is_none() };
    let mut report = Report { checks: Vec::new(), workspaces: gated.into_iter().map(|g| g.report).collect() };
    for (from, check) in REPO_CHECKS {
        if highest >= *from {
            report.checks.extend(check(ctx, &repo)?);
        }
    }
    if record {
        write_ledgers(ctx, &dirs, &hashes, &report);
    }
    Ok(report)
}

/// The document and workspace checks of `slugs` (every active workspace when
/// empty), python blocks compiled in one helper run.
/// With `hash`, each workspace keeps the ledger's hash of each document read.
fn gate_all_documents(
    ctx: &Ctx,
    slugs: &[String],
    phase: Option<Phase>,
    hash: bool,
) -> Result<(Vec<WorkspaceDirs>, Vec<Gated>)> {
    let rules = load_rules(&ctx.root)?;
    let dirs = if slugs.is_empty() { active_workspaces(ctx)? } else { named_workspaces(ctx, slugs)? };
    let pool = early_pool(ctx, dirs.len() * Doc::ALL.len());
    let mut gated: Vec<Gated> = par_map(&dirs, |(slug, dir)| gate_documents(ctx, &rules, slug, dir, phase, hash));
    // One helper run for the python blocks of every workspace.
    let docs: Vec<SnippetDoc> = gated.iter_mut().flat_map(|g| std::mem::take(&mut g.snippet_docs)).collect();
    let mut per_doc = check_docs_with(ctx, &docs, pool)?.into_iter();
    for g in &mut gated {
        for _ in 0..g.snippet_doc_count {
            g.report.checks.extend(per_doc.next().unwrap_or_default());
        }
        order_findings(&mut g.report.checks);
    }
    Ok((dirs, gated))
}

/// One workspace's document and workspace checks at `phase` (its own when
/// None), without the repository checks and without touching its ledger:
/// what `status` shows live.
pub fn document_report(ctx: &Ctx, slug: &str, phase: Option<Phase>) -> Result<WorkspaceReport> {
    let (_, mut gated) = gate_all_documents(ctx, &[slug.to_string()], phase, false)?;
    Ok(gated.pop().map(|g| g.report).unwrap_or_default())
}

/// Record each gated workspace's result in its `tmp/gate.json` (the ledger
/// `list`, `status` and `recover` read): its findings and the repository's,
/// and a hash of each document as gated. A ledger that cannot be written
/// (a read-only checkout) is a warning, never a failed gate.
fn write_ledgers(ctx: &Ctx, dirs: &[WorkspaceDirs], hashes: &[Option<Hashes>], report: &Report) {
    let now = crate::host::fs::now_utc();
    let items: Vec<(&WorkspaceDirs, &WorkspaceReport, &Option<Hashes>)> =
        dirs.iter().zip(&report.workspaces).zip(hashes).map(|((d, w), h)| (d, w, h)).collect();
    par_map(&items, |((_, dir), ws, hashes)| {
        if links_out_of_specs(ctx, dir).is_some() {
            // Nothing is written through a link out of specs/.
            return;
        }
        // The hashes of the documents as the gate read them; a workspace with
        // an odd document (not text, a link) is read again the ledger's way.
        let hashes = match hashes {
            Some(h) => h.clone(),
            None => crate::host::workspaces::read(
                &ctx.root,
                &crate::host::workspaces::WorkspaceDir {
                    name: ws.slug.clone(),
                    location: crate::host::workspaces::Location::Active,
                    path: dir.clone(),
                },
            )
            .hashes(),
        };
        let findings = || ws.checks.iter().chain(&report.checks);
        let entry = ledger::Entry {
            time: now.clone(),
            phase: ws.phase.clone(),
            ok: !findings().any(Finding::is_fail),
            // Filled in below from the report itself, without copies.
            findings: Vec::new(),
            hashes,
        };
        let mut json = entry.to_json();
        json["failed"] = findings().filter(|f| f.is_fail()).count().into();
        json["findings"] = findings().map(Finding::to_json).collect::<Vec<_>>().into();
        let tmp = dir.join("tmp");
        let written = (|| -> std::io::Result<()> {
            if !tmp.is_dir() {
                std::fs::create_dir_all(&tmp)?;
            }
            // The old ledger is removed, then the new one written, not synced:
            // replacing a file by rename or truncation makes ext4 flush it at
            // once (auto_da_alloc), which cost more than the whole gate of
            // 1,000 workspaces. A torn ledger reads as no record; the next
            // gate rewrites it.
            let path = tmp.join("gate.json");
            let _ = std::fs::remove_file(&path);
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            serde_json::to_writer(&mut out, &json)?;
            out.into_inner().map_err(|e| e.into_error())?;
            Ok(())
        })();
        if let Err(e) = written {
            eprintln!("warning: {}: gate result not recorded: {e}", ctx.rel(&tmp.join("gate.json")));
        }
    });
}

/// The rules of each document's template; a template that does not parse is
/// an error naming its file and line.
pub fn load_rules(root: &Path) -> Result<Vec<(Doc, TemplateRules)>> {
    Doc::ALL
        .iter()
        .map(|&doc| {
            let t = templates::load(root, doc)?;
            let source =
                if t.source == "built-in" { format!("built-in template {}", doc.rel_path()) } else { t.source.clone() };
            TemplateRules::parse(&source, &t.text).map(|r| (doc, r)).map_err(|e| {
                let fix = if t.source == "built-in" {
                    format!("the kit's built-in template is wrong: put a fixed copy in templates/{}", doc.rel_path())
                } else {
                    "fix the template (or delete it to use the built-in one)".to_string()
                };
                Error::usage(format!("{source}:{}: {}; {fix}", e.line, e.message))
            })
        })
        .collect()
}

/// Every folder in specs/active/ (sorted; hidden entries skipped).
fn active_workspaces(ctx: &Ctx) -> Result<Vec<(String, PathBuf)>> {
    let active = ctx.specs().join("active");
    let entries = match std::fs::read_dir(&active) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&active, &e, "make specs/active readable")),
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.path().is_dir() || e.file_type().is_ok_and(|t| t.is_symlink()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    Ok(out)
}

/// The folders of the named workspaces; an unknown slug is a usage error.
fn named_workspaces(ctx: &Ctx, slugs: &[String]) -> Result<Vec<(String, PathBuf)>> {
    let active = ctx.specs().join("active");
    let mut out = Vec::new();
    for slug in slugs {
        let plain = !slug.is_empty() && !slug.contains(['/', '\\']) && slug != "." && slug != "..";
        let dir = active.join(slug);
        if !plain || !dir.is_dir() {
            let known: Vec<String> = active_workspaces(ctx)?.into_iter().map(|(s, _)| s).collect();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return Err(Error::usage(format!(
                "unknown workspace `{slug}`: no folder specs/active/{slug}/ (active workspaces: {known}); \
                 create one with `cargo xtask new-spec NAME`"
            )));
        }
        if links_out_of_specs(ctx, &dir).is_some() {
            return Err(Error::usage(format!(
                "specs/active/{slug} is a symbolic link out of specs/; refusing to gate what it points to"
            )));
        }
        if !out.iter().any(|(s, _)| s == slug) {
            out.push((slug.clone(), dir));
        }
    }
    Ok(out)
}

/// Where a workspace folder that is a symbolic link out of specs/ leads.
fn links_out_of_specs(ctx: &Ctx, dir: &Path) -> Option<String> {
    if !dir.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return None;
    }
    let specs = ctx.specs().canonicalize().unwrap_or_else(|_| ctx.specs());
    match dir.canonicalize() {
        Ok(target) if target.starts_with(&specs) => None,
        Ok(target) => Some(target.display().to_string()),
        Err(e) => Some(format!("nowhere: {e}")),
    }
}

/// One workspace's documents as read from disk.
pub struct Workspace {
    pub slug: String,
    pub phase: Phase,
    /// The phase came from neither --phase nor recovery.md.
    pub phase_unknown: bool,
    pub slots: Vec<DocSlot>,
    /// tasks.md's task list, when it was read as text.
    pub tasks: Option<(String, TaskList)>,
}

fn tasks_check(ws: &Workspace) -> Vec<Finding> {
    match &ws.tasks {
        Some((file, list)) => checks::tasks::check(file, list, ws.phase),
        // A missing or unreadable tasks.md is already a `structure` finding.
        None => Vec::new(),
    }
}

fn structure_check(ws: &Workspace) -> Vec<Finding> {
    let mut out = structure::check(&ws.slots);
    if ws.phase_unknown {
        let recovery = ws.slots.iter().find(|s| s.doc == Doc::Recovery).map(|s| s.file.clone()).unwrap_or_default();
        out.push(structure::unknown_phase(&recovery));
    }
    out
}

/// A workspace after its document checks, its python blocks still to compile.
struct Gated {
    phase: Phase,
    /// The ledger's (path in the workspace, hash) of each document, when asked
    /// for and every document was text or missing.
    hashes: Option<Hashes>,
    report: WorkspaceReport,
    snippet_docs: Vec<SnippetDoc>,
    snippet_doc_count: usize,
}

/// Read one workspace and run its document and workspace checks.
fn gate_documents(
    ctx: &Ctx,
    rules: &[(Doc, TemplateRules)],
    slug: &str,
    dir: &Path,
    phase: Option<Phase>,
    hash: bool,
) -> Gated {
    if let Some(target) = links_out_of_specs(ctx, dir) {
        // Found by listing specs/active/ (a named one is refused earlier).
        let ws_phase = phase.unwrap_or(Phase::Prd);
        let finding = Finding::fail(
            "structure",
            "symlink",
            format!("the workspace is a symbolic link out of specs/ (to {target}); not followed"),
        )
        .at(ctx.rel(dir), None);
        return Gated {
            phase: ws_phase,
            hashes: None,
            report: WorkspaceReport {
                slug: slug.to_string(),
                phase: ws_phase.as_str().to_string(),
                checks: vec![finding],
            },
            snippet_docs: Vec::new(),
            snippet_doc_count: 0,
        };
    }
    let read = read_workspace(ctx, dir);
    let plain = read.iter().all(|(slot, _)| matches!(slot.state, DocState::Text | DocState::Missing));
    let hashes = (hash && plain).then(|| {
        let prefix = format!("{}/", ctx.rel(dir));
        read.iter()
            .filter_map(|(slot, text)| {
                let (text, bom) = text.as_ref()?;
                let hash = if *bom {
                    ledger::document_hash(format!("\u{feff}{text}").as_bytes())
                } else {
                    ledger::document_hash(text.as_bytes())
                };
                Some((slot.file.strip_prefix(&prefix).unwrap_or(&slot.file).to_string(), hash))
            })
            .collect()
    });
    let read: Vec<(DocSlot, Option<String>)> =
        read.into_iter().map(|(slot, text)| (slot, text.map(|(t, _)| t))).collect();
    let recovery = read.iter().find(|(slot, _)| slot.doc == Doc::Recovery).and_then(|(_, t)| t.as_deref());
    let own = recovery.and_then(current_phase).map(|(p, _)| p);
    let ws_phase = phase.or(own).unwrap_or(Phase::Prd);
    let ws = Workspace {
        slug: slug.to_string(),
        phase: ws_phase,
        phase_unknown: phase.is_none() && own.is_none() && recovery.is_some(),
        slots: read.iter().map(|(slot, _)| slot.clone()).collect(),
        tasks: read
            .iter()
            .find(|(slot, _)| slot.doc == Doc::Tasks)
            .and_then(|(slot, text)| Some((slot.file.clone(), tasks::parse(text.as_deref()?)))),
    };
    let mut findings = Vec::new();
    for (from, check) in WORKSPACE_CHECKS {
        if ws_phase >= *from {
            findings.extend(check(&ws));
        }
    }
    let mut snippet_docs = Vec::new();
    for (slot, text) in &read {
        let (Some(text), Some((_, template))) = (text, rules.iter().find(|(d, _)| *d == slot.doc)) else { continue };
        let md = Markdown::parse(text);
        let input = DocInput::new(slot.doc, slot.file.clone(), &md, template);
        for (from, check) in DOC_CHECKS {
            if ws_phase >= *from {
                findings.extend(check(&input));
            }
        }
        let blocks = snippet_core::extract(&md);
        if !blocks.is_empty() {
            snippet_docs.push(SnippetDoc {
                file: slot.file.clone(),
                blocks,
                require_verified: template.declares(|r| *r == Rule::VerifiedSnippets),
            });
        }
    }
    let snippet_doc_count = snippet_docs.len();
    Gated {
        phase: ws_phase,
        hashes,
        report: WorkspaceReport { slug: slug.to_string(), phase: ws_phase.as_str().to_string(), checks: findings },
        snippet_docs,
        snippet_doc_count,
    }
}

/// Each document of the workspace: where it is, its state and its text.
/// Names match case-insensitively; links leading out of the workspace are
/// reported, not followed.
fn read_workspace(ctx: &Ctx, dir: &Path) -> Vec<(DocSlot, Option<(String, bool)>)> {
    let canon_dir = std::cell::OnceCell::new();
    Doc::ALL
        .iter()
        .map(|&doc| {
            let expected = dir.join(doc.rel_path());
            let found = crate::host::fs::find_ci_path(dir, doc.rel_path());
            let file = ctx.rel(found.as_deref().unwrap_or(&expected));
            let (state, text) = match &found {
                None => (DocState::Missing, None),
                Some(path) => read_doc(dir, path, &canon_dir),
            };
            (DocSlot { doc, file, state }, text)
        })
        .collect()
}

/// Read a document found at `path` under the workspace `dir`. Only when a
/// symbolic link is on the way is the path resolved, and then it must stay in
/// the workspace.
fn read_doc(
    dir: &Path,
    path: &Path,
    canon_dir: &std::cell::OnceCell<Option<PathBuf>>,
) -> (DocState, Option<(String, bool)>) {
    let mut through_link = false;
    let mut at = path;
    while at != dir {
        through_link |= at.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    let target = if through_link {
        let canon = match path.canonicalize() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (DocState::Unreadable { reason: "a symbolic link to nothing".into() }, None)
            }
            Err(e) => return (DocState::Unreadable { reason: e.to_string() }, None),
        };
        match canon_dir.get_or_init(|| dir.canonicalize().ok()) {
            Some(canon_dir) if canon.starts_with(canon_dir) => canon,
            _ => return (DocState::LinksOut { target: canon.display().to_string() }, None),
        }
    } else {
        path.to_path_buf()
    };
    match read_text_bom(&target) {
        Ok(text) => (DocState::Text, Some(text)),
        Err(("not-a-file", _, _)) => (DocState::NotAFile, None),
        Err(("not-text", _, line)) => (DocState::NotText { line: line.unwrap_or(1) }, None),
        Err(("too-large", _, _)) => {
            let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
            (DocState::TooLarge { bytes, limit: MAX_READ_BYTES }, None)
        }
        Err((_, reason, _)) => (DocState::Unreadable { reason }, None),
    }
}

/// Structure first, then each document's findings by line (stable).
fn order_findings(findings: &mut [Finding]) {
    let rank = |f: &Finding| -> (bool, usize, usize) {
        let file = f.file.as_deref().unwrap_or("").to_ascii_lowercase();
        let doc = Doc::ALL.iter().position(|d| file.ends_with(d.rel_path())).unwrap_or(Doc::ALL.len());
        (f.id != "structure", doc, f.line.unwrap_or(0))
    };
    findings.sort_by_cached_key(rank);
}

/// `git-clean`: at the prd phase (every gated workspace there), no tracked file
/// under the source roots is changed.
fn git_clean_check(ctx: &Ctx, gate: &RepoGate) -> Result<Vec<Finding>> {
    if gate.phases.is_empty() || gate.phases.iter().any(|p| *p != Phase::Prd) {
        return Ok(Vec::new());
    }
    let roots = &ctx.settings.source_roots;
    Ok(match git_status::tracked_changes(&ctx.root, roots)? {
        Some(entries) => checks::git_clean::check(&entries, roots),
        None => vec![Finding::skip("git-clean", "modified", "not a git work tree: cannot tell which files changed")],
    })
}

/// The Python tool checks (tests, format, compile, coverage) of the phases up
/// to the highest gated.
fn python_checks(ctx: &Ctx, gate: &RepoGate) -> Result<Vec<Finding>> {
    crate::commands::gate_python::run(ctx, gate.highest, gate.base)
}
