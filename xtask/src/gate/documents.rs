//! The workspace side of a gate run: each workspace read by the one reader
//! (`host::workspaces`), its document and workspace checks run at its phase on
//! every core, then the python blocks of all of them compiled in one helper
//! run.
use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::core::checks::proven as proven_core;
use crate::core::checks::{snippets as snippet_core, DocInput, WorkspaceInput};
use crate::core::finding::Finding;
use crate::core::markdown::Markdown;
use crate::core::phase::Phase;
use crate::core::phase_line::read_phase_in;
use crate::core::rules::{Rule, TemplateRules};
use crate::core::tasks::{self, TaskList};
use crate::core::workspace::{Doc, DocFile, DocText, WorkspaceTexts};
use crate::error::{Error, Result};
use crate::gate::par_map;
use crate::gate::registry::{Run, CHECKS};
use crate::gate::snippets::{check_docs_with, early_pool, SnippetDoc};
use crate::host::templates;
use crate::host::workspaces::{self, Location, WorkspaceDir};
use crate::report::WorkspaceReport;

/// (document path inside the workspace, ledger hash) of each document read.
pub type Hashes = Vec<(String, String)>;

/// Each document's template rules.
pub type Rules = Vec<(Doc, TemplateRules)>;

/// A workspace after its checks.
pub struct Gated {
    pub phase: Phase,
    /// The workspace folder; None when it must not be written (a link out of specs/).
    pub dir: Option<PathBuf>,
    /// The ledger's hash of each document as read.
    pub hashes: Hashes,
    pub report: WorkspaceReport,
    /// The documents as read, when asked for (`status` shows them).
    pub texts: Option<WorkspaceTexts>,
    /// What the checks that also need the repository's facts
    /// (`Run::WorkspaceFacts`) judge, taken from the documents while they
    /// were parsed, so thousands of documents are not kept until then.
    pub claims: WorkspaceClaims,
}

/// A workspace's claims: the criteria its `proven` rules apply to, and its
/// task list.
#[derive(Default)]
pub struct WorkspaceClaims {
    pub criteria: Vec<proven_core::Claims>,
    /// tasks.md (root-relative path) and its task list, when it is text.
    pub tasks: Option<(String, TaskList)>,
}

/// A gated workspace as the checks that also need repository facts see it.
pub struct WorkspaceView<'a> {
    /// The workspace folder relative to the root (`specs/active/x`).
    pub dir: String,
    /// The same, absolute.
    pub path: &'a Path,
    pub phase: Phase,
    pub claims: &'a WorkspaceClaims,
}

impl Gated {
    /// The view `Run::WorkspaceFacts` checks get; None for a workspace not read.
    pub fn view<'a>(&'a self, ctx: &Ctx) -> Option<WorkspaceView<'a>> {
        let path = self.dir.as_deref()?;
        Some(WorkspaceView { dir: ctx.rel(path), path, phase: self.phase, claims: &self.claims })
    }
}

/// The document and workspace checks of `slugs` (every active workspace when
/// empty), each at `phase` or its own, with the templates' rules they were
/// judged by.
/// With `keep_texts`, each workspace keeps its documents as read.
pub fn gate(
    ctx: &Ctx,
    slugs: &[String],
    phase: Option<Phase>,
    base: Option<&str>,
    keep_texts: bool,
) -> Result<(Rules, Vec<Gated>)> {
    let rules = load_rules(&ctx.root, &templates::folders(&ctx.settings.templates_dir))?;
    let dirs = if slugs.is_empty() {
        workspaces::list(&ctx.root, Location::Active)?
    } else {
        let mut dirs: Vec<WorkspaceDir> = Vec::new();
        for slug in slugs {
            let ws = workspaces::find_active(&ctx.root, slug)?;
            if !dirs.iter().any(|d| d.name == ws.name) {
                dirs.push(ws);
            }
        }
        dirs
    };
    let pool = early_pool(ctx, dirs.len() * Doc::ALL.len());
    let gated: Vec<(Gated, Vec<SnippetDoc>)> = par_map(&dirs, |ws| gate_one(ctx, &rules, ws, phase, keep_texts));
    // One helper run for the python blocks of every workspace.
    let (gated, docs): (Vec<Gated>, Vec<Vec<SnippetDoc>>) = gated.into_iter().unzip();
    let counts: Vec<usize> = docs.iter().map(Vec::len).collect();
    let docs: Vec<SnippetDoc> = docs.into_iter().flatten().collect();
    let mut per_doc = check_docs_with(ctx, &docs, pool, base)?.into_iter();
    let gated = gated
        .into_iter()
        .zip(counts)
        .map(|(mut g, count)| {
            for _ in 0..count {
                g.report.checks.extend(per_doc.next().unwrap_or_default());
            }
            order_findings(&mut g.report.checks);
            g
        })
        .collect();
    Ok((rules, gated))
}

/// The rules of each document's template (looked for in `folders`, see
/// host::templates); a template that does not parse is an error naming its
/// file and line. A team template that declares no rule at all (this
/// workflow's own `specs/template-spec/` folders declare none) keeps the
/// built-in template's rules, so adopting it never switches the gate off; its
/// own lines still tell the gate what is template residue.
pub fn load_rules(root: &Path, folders: &[String]) -> Result<Vec<(Doc, TemplateRules)>> {
    Doc::ALL
        .iter()
        .map(|&doc| {
            let t = templates::load(root, folders, doc)?;
            let mut rules = parse_template(doc, &t)?;
            if rules.rules.is_empty() && t.source != "built-in" {
                let builtin =
                    templates::Template { doc, text: doc.builtin_template().to_string(), source: "built-in".into() };
                let builtin = parse_template(doc, &builtin)?;
                rules.rules = builtin.rules;
                rules.section_total = builtin.section_total;
                rules.text_source = Some(rules.source.clone());
                rules.source = builtin.source;
            }
            Ok((doc, rules))
        })
        .collect()
}

fn parse_template(doc: Doc, t: &templates::Template) -> Result<TemplateRules> {
    let source =
        if t.source == "built-in" { format!("built-in template {}", doc.rel_path()) } else { t.source.clone() };
    TemplateRules::parse(&source, &t.text).map_err(|e| {
        let fix = if t.source == "built-in" {
            format!("the kit's built-in template is wrong: put a fixed copy in templates/{}", doc.rel_path())
        } else {
            "fix the template (or delete it to use the next template folder or the built-in one)".to_string()
        };
        Error::usage(format!("{source}:{}: {}; {fix}", e.line, e.message))
    })
}

/// Read one workspace and run its document and workspace checks; its python
/// blocks are returned to be compiled with everyone else's.
fn gate_one(
    ctx: &Ctx,
    rules: &[(Doc, TemplateRules)],
    ws: &WorkspaceDir,
    phase: Option<Phase>,
    keep_texts: bool,
) -> (Gated, Vec<SnippetDoc>) {
    let dir = ctx.rel(&ws.path);
    let report = |phase: Phase, checks: Vec<Finding>| WorkspaceReport {
        slug: ws.name.clone(),
        phase: phase.as_str().to_string(),
        checks,
    };
    if workspaces::leads_out(&ctx.root, ws) {
        // Met by listing specs/active/ (a named one is refused earlier).
        let phase = phase.unwrap_or(Phase::Prd);
        let finding = Finding::fail(
            "structure",
            "symlink",
            "the workspace is a symbolic link out of specs/; not followed, and nothing is written there",
        )
        .at(dir, None);
        let gated = Gated {
            phase,
            dir: None,
            hashes: Vec::new(),
            report: report(phase, vec![finding]),
            texts: None,
            claims: WorkspaceClaims::default(),
        };
        return (gated, Vec::new());
    }
    let texts = workspaces::read(&ctx.root, ws);
    // Each document is parsed once; the phase, the tasks and every check read
    // the same parse.
    let parsed: Vec<(&DocFile, Markdown)> = texts
        .files
        .iter()
        .filter_map(|f| match &f.text {
            DocText::Text(text) => Some((f, Markdown::parse(text))),
            _ => None,
        })
        .collect();
    let md_of = |doc: Doc| parsed.iter().find(|(f, _)| f.doc == doc).map(|(_, md)| md);
    let phase_read = read_phase_in(md_of(Doc::Recovery), md_of(Doc::Prd));
    let own = phase_read.as_ref().and_then(|l| l.phase);
    let ws_phase = phase.or(own).unwrap_or(Phase::Prd);
    let path_of = |doc: Doc| texts.file(doc).map(|f| format!("{dir}/{}", f.rel_path)).unwrap_or_default();
    let input = WorkspaceInput {
        dir: dir.clone(),
        phase_unknown: phase.is_none()
            && own.is_none()
            && (texts.text(Doc::Recovery).is_some() || phase_read.is_some()),
        phase_read,
        files: &texts.files,
        tasks: md_of(Doc::Tasks).map(|md| (path_of(Doc::Tasks), tasks::from_markdown(md))),
    };
    let applies = |run: fn(&Run) -> bool| CHECKS.iter().filter(move |c| run(&c.run) && c.runs_on_workspace(ws_phase));
    let mut findings = Vec::new();
    for check in applies(|r| matches!(r, Run::Workspace(_))) {
        if let Run::Workspace(f) = check.run {
            findings.extend(f(&input));
        }
    }
    let snippets_apply = applies(|r| matches!(r, Run::Snippets)).next().is_some();
    let mut snippet_docs = Vec::new();
    let mut claims = WorkspaceClaims { criteria: Vec::new(), tasks: input.tasks };
    for (file, md) in &parsed {
        let Some((_, template)) = rules.iter().find(|(d, _)| *d == file.doc) else { continue };
        let path = format!("{dir}/{}", file.rel_path);
        let doc_input = DocInput::new(file.doc, path.clone(), md, template);
        for check in applies(|r| matches!(r, Run::Document(_))) {
            if let Run::Document(f) = check.run {
                findings.extend(f(&doc_input));
            }
        }
        claims.criteria.extend(proven_core::claims(&doc_input, ws_phase));
        let blocks = snippet_core::extract(md);
        if snippets_apply && !blocks.is_empty() {
            snippet_docs.push(SnippetDoc {
                file: path,
                blocks,
                require_verified: template.declares(|r| *r == Rule::VerifiedSnippets),
            });
        }
    }
    let gated = Gated {
        phase: ws_phase,
        dir: Some(ws.path.clone()),
        hashes: texts.hashes(),
        report: report(ws_phase, findings),
        texts: keep_texts.then_some(texts),
        claims,
    };
    (gated, snippet_docs)
}

/// Structure first, then each document's findings by line (stable).
pub(crate) fn order_findings(findings: &mut [Finding]) {
    let rank = |f: &Finding| -> (bool, usize, usize) {
        let file = f.file.as_deref().unwrap_or("").to_ascii_lowercase();
        let doc = Doc::ALL.iter().position(|d| file.ends_with(d.rel_path())).unwrap_or(Doc::ALL.len());
        (f.id != "structure", doc, f.line.unwrap_or(0))
    };
    findings.sort_by_cached_key(rank);
}
