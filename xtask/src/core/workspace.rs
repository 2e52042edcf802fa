//! A spec workspace: `specs/active/{slug}/` (or `specs/archive/{slug}/`) and its
//! five documents.

use crate::core::ledger;
use crate::core::markdown::Markdown;
use crate::core::phase::Phase;
use crate::core::phase_line::{self, PhaseLine};
use crate::core::tasks::{self, TaskCounts};

/// The five documents of a workspace, in the order authors fill them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Doc {
    Prd,
    Analysis,
    Plan,
    Tasks,
    Recovery,
}

impl Doc {
    pub const ALL: [Doc; 5] = [Doc::Prd, Doc::Analysis, Doc::Plan, Doc::Tasks, Doc::Recovery];

    /// Path inside the workspace (and inside `templates/`), `/`-separated.
    pub fn rel_path(self) -> &'static str {
        match self {
            Doc::Prd => "prd.md",
            Doc::Analysis => "research/analysis.md",
            Doc::Plan => "research/plan.md",
            Doc::Tasks => "tasks.md",
            Doc::Recovery => "recovery.md",
        }
    }

    /// The template built into the binary, used when `templates/` lacks it.
    /// The crate keeps its own copies (xtask/templates/) so that it builds
    /// from its folder alone: an adopting repository may have no
    /// `templates/`, or one holding something else.
    pub fn builtin_template(self) -> &'static str {
        match self {
            Doc::Prd => include_str!("../../templates/prd.md"),
            Doc::Analysis => include_str!("../../templates/research/analysis.md"),
            Doc::Plan => include_str!("../../templates/research/plan.md"),
            Doc::Tasks => include_str!("../../templates/tasks.md"),
            Doc::Recovery => include_str!("../../templates/recovery.md"),
        }
    }
}

/// The phase one document names, and its 1-based line: its `Current Phase`,
/// `Phase` or `Status` field or `## Current Phase` heading, read as
/// [`phase_line`] reads them. None when it names no phase the kit knows.
pub fn current_phase(recovery: &str) -> Option<(Phase, usize)> {
    phase_line::phase_in(recovery)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// What reading one workspace document gave: its text, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocText {
    /// UTF-8 text (BOM removed).
    Text(String),
    /// No such file (matched case-insensitively).
    Missing,
    /// Not UTF-8 or holds NUL bytes, from this 1-based line.
    NotText { line: usize },
    /// A symbolic link leading out of specs/: not followed.
    LinksOut,
    /// A folder, FIFO or device where the document should be.
    NotAFile,
    /// Larger than the kit reads.
    TooLarge { bytes: u64, limit: u64 },
    /// The system refused to read it (permissions, a link loop): its words.
    Unreadable(String),
}

impl DocText {
    /// Why there is no text, as a short phrase; None for text.
    pub fn problem(&self) -> Option<String> {
        Some(match self {
            DocText::Text(_) => return None,
            DocText::Missing => "missing".into(),
            DocText::NotText { line } => format!("not UTF-8 text from line {line}"),
            DocText::LinksOut => "a symbolic link leading outside specs/; not followed".into(),
            DocText::NotAFile => "a folder or special file, not a regular file".into(),
            DocText::TooLarge { bytes, limit } => format!("{bytes} bytes, more than the kit reads ({limit})"),
            DocText::Unreadable(why) => format!("cannot be read: {why}"),
        })
    }
}

/// One document of a workspace as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFile {
    pub doc: Doc,
    /// Path inside the workspace as found (`RECOVERY.md` in a hand-made one),
    /// or the expected path when missing.
    pub rel_path: String,
    pub text: DocText,
    /// [`ledger::document_hash`] of the file's bytes as read (None when not read).
    pub hash: Option<String>,
}

/// The name of the file inside an archived workspace that records when and
/// how it was archived; INDEX.md is rebuilt from these.
pub const ARCHIVE_RECORD: &str = "archive.md";

/// The texts of one workspace, read by `host::workspaces::read`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceTexts {
    /// Folder name under specs/active/ or specs/archive/.
    pub name: String,
    /// One entry per [`Doc`], in [`Doc::ALL`] order.
    pub files: Vec<DocFile>,
    /// The text of [`ARCHIVE_RECORD`], when present.
    pub archive_record: Option<String>,
    /// The text of the gate ledger ([`ledger::FILE`]), when present.
    pub ledger: Option<String>,
}

impl WorkspaceTexts {
    pub fn file(&self, doc: Doc) -> Option<&DocFile> {
        self.files.iter().find(|f| f.doc == doc)
    }

    /// (path inside the workspace, hash of its bytes) of every document read:
    /// what the gate ledger records and compares.
    pub fn hashes(&self) -> Vec<(String, String)> {
        self.files.iter().filter_map(|f| Some((f.rel_path.clone(), f.hash.clone()?))).collect()
    }

    /// Where the workspace says it stands: recovery.md first, then prd.md
    /// (see [`phase_line::read_phase`]).
    pub fn phase_line(&self) -> Option<PhaseLine> {
        phase_line::read_phase(self.text(Doc::Recovery), self.text(Doc::Prd))
    }

    /// The phase the workspace's own documents declare, when they declare
    /// one: what the gate and the hooks go by.
    pub fn own_phase(&self) -> Option<Phase> {
        self.phase_line().and_then(|l| l.phase)
    }

    /// The document's text when it was read as text.
    pub fn text(&self, doc: Doc) -> Option<&str> {
        match &self.file(doc)?.text {
            DocText::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// When and how a workspace was archived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveRecord {
    /// YYYY-MM-DD (UTC).
    pub date: Option<String>,
    /// Archived with `--force` although the qa check failed.
    pub forced: bool,
    /// What the qa check said, in one line.
    pub qa: Option<String>,
    /// The commit HEAD pointed at when it was archived: its `# VERIFIED:`
    /// references are read at this commit, never against later code.
    pub commit: Option<String>,
}

impl ArchiveRecord {
    /// The record file's text.
    pub fn render(&self, slug: &str) -> String {
        format!(
            "# Archive record: {slug}\n\n\
             <!-- Written by `cargo xtask archive`; specs/archive/INDEX.md is rebuilt from these records. -->\n\n\
             **Archived**: {}\n\
             **Forced**: {}\n\
             **QA Check**: {}\n\
             **Commit**: {}\n",
            self.date.as_deref().unwrap_or("unknown"),
            if self.forced { "yes" } else { "no" },
            self.qa.as_deref().unwrap_or("not recorded"),
            self.commit.as_deref().unwrap_or("not recorded"),
        )
    }

    pub fn parse(text: &str) -> ArchiveRecord {
        let value = |label: &str| field(text, label).map(|(v, _)| v);
        ArchiveRecord {
            date: value("Archived").filter(|d| !d.is_empty() && d != "unknown"),
            forced: value("Forced").is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("yes") || v.starts_with("true")
            }),
            qa: value("QA Check"),
            commit: value("Commit").filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_hexdigit())),
        }
    }
}

/// What `list` shows of a workspace, from its texts alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub name: String,
    /// From prd.md's `# PRD: ...` line (else its first `# ` heading).
    pub title: Option<String>,
    /// prd.md's `**Created**:` value.
    pub created: Option<String>,
    /// prd.md's `**Status**:` value.
    pub status: Option<String>,
    /// The phase recovery.md or prd.md names (see `phase_line`).
    pub phase: Option<Phase>,
    /// Why there is no phase: the line read that names none, or that no
    /// line says where the work stands. None when there is a phase, or
    /// neither recovery.md nor prd.md to read.
    pub no_phase: Option<String>,
    /// None when tasks.md is not readable text.
    pub tasks: Option<TaskCounts>,
    pub archive: Option<ArchiveRecord>,
    /// The last gate run recorded in the ledger.
    pub gate: Option<GateSummary>,
    /// One short note per document that is missing or unreadable.
    pub problems: Vec<String>,
}

/// The last gate run of a workspace, from its ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateSummary {
    pub time: String,
    pub phase: String,
    pub ok: bool,
    pub failed: usize,
    /// Documents changed since that run (the result is stale when not empty).
    pub changed: Vec<String>,
}

/// Summarize a workspace from its texts.
pub fn summarize(ws: &WorkspaceTexts) -> Summary {
    let prd = ws.text(Doc::Prd).map(Markdown::parse);
    let problems = ws
        .files
        .iter()
        .filter_map(|f| match &f.text {
            DocText::Missing => Some(format!("{} missing", f.rel_path)),
            DocText::NotText { line } => Some(format!("{}:{line}: not UTF-8 text", f.rel_path)),
            other => Some(format!("{}: {}", f.rel_path, other.problem()?)),
        })
        .collect();
    let phase_read = {
        let recovery = ws.text(Doc::Recovery).map(Markdown::parse);
        phase_line::read_phase_in(recovery.as_ref(), prd.as_ref())
    };
    Summary {
        name: ws.name.clone(),
        title: prd.as_ref().and_then(title_in),
        created: prd.as_ref().and_then(|md| field_in(md, "Created")).map(|(v, _)| v).filter(|v| !v.is_empty()),
        status: prd.as_ref().and_then(|md| field_in(md, "Status")).map(|(v, _)| v).filter(|v| !v.is_empty()),
        phase: phase_read.as_ref().and_then(|l| l.phase),
        no_phase: match &phase_read {
            Some(PhaseLine { phase: Some(_), .. }) => None,
            Some(l) => Some(format!(
                "{}:{} reads `{}`, which names no phase the kit knows",
                l.doc.rel_path(),
                l.line,
                crate::core::checks::excerpt(&l.text, 60)
            )),
            // Neither document to read: their own notes say so.
            None if prd.is_none() && ws.text(Doc::Recovery).is_none() => None,
            None => Some(
                "no phase: neither recovery.md nor prd.md has a `**Current Phase**:`, `**Phase**:` or `**Status**:` \
                 line, or a `## Current Phase` heading"
                    .into(),
            ),
        },
        tasks: ws.text(Doc::Tasks).map(|t| tasks::parse(t).counts()),
        archive: ws.archive_record.as_deref().map(ArchiveRecord::parse),
        gate: ws.ledger.as_deref().and_then(ledger::Entry::from_json).map(|entry| GateSummary {
            failed: entry.findings.iter().filter(|f| f.is_fail()).count(),
            changed: entry.changed_since(&ws.hashes()),
            time: entry.time,
            phase: entry.phase,
            ok: entry.ok,
        }),
        problems,
    }
}

/// specs/archive/INDEX.md, built from the archived workspaces' summaries alone
/// (their archive records and PRD titles), one row per workspace by name.
pub fn archive_index(archived: &[Summary]) -> String {
    let mut rows: Vec<&Summary> = archived.iter().collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::from(
        "# Archived workspaces\n\n\
         <!-- Generated by `cargo xtask archive` and `cargo xtask list` from the folders in\n\
         specs/archive/ and their archive.md records; edits here are overwritten. -->\n\n",
    );
    if rows.is_empty() {
        out.push_str("No workspace has been archived yet.\n");
        return out;
    }
    out.push_str("| Slug | Title | Archived | QA gate |\n|------|-------|----------|---------|\n");
    for s in rows {
        let record = s.archive.clone().unwrap_or_default();
        let gate = match (&s.archive, record.forced) {
            (None, _) => "no record",
            (Some(_), true) => "forced",
            (Some(_), false) => "passed",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            table_cell(&s.name),
            table_cell(s.title.as_deref().unwrap_or("-")),
            table_cell(record.date.as_deref().unwrap_or("unknown")),
            gate
        ));
    }
    out
}

/// Text safe inside a markdown table cell on one line.
fn table_cell(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().replace('|', "\\|")
}

/// The feature name of a PRD: the text of `# PRD: ...`, else of its first
/// level-1 heading (outside code).
pub fn title_in(md: &Markdown) -> Option<String> {
    let mut h1s = md.headings.iter().filter(|h| h.level == 1).map(|h| h.text.trim());
    let first = h1s.clone().find(|t| !t.is_empty()).map(str::to_string);
    match h1s.find_map(|t| strip_prefix_ci(t, "prd:")) {
        Some(rest) => Some(rest.trim().to_string()).filter(|t| !t.is_empty()),
        None => first,
    }
}

/// The value of the first `**Label**: value` line outside code (also
/// `**Label:** value`, `Label: value`, as a list item or not), and its 1-based line.
pub fn field(text: &str, label: &str) -> Option<(String, usize)> {
    field_in(&Markdown::parse(text), label)
}

/// [`field`] in a parsed document.
pub fn field_in(md: &Markdown, label: &str) -> Option<(String, usize)> {
    field_at(md, label).map(|(line, at)| (md.line(line)[at..].trim().to_string(), line))
}

/// The line of the first `label` field outside code and the byte offset of
/// its value in that line.
fn field_at(md: &Markdown, label: &str) -> Option<(usize, usize)> {
    let hidden = md.hidden_lines();
    (1..=md.line_count()).filter(|&n| !hidden[n - 1]).find_map(|n| Some((n, value_offset(md.line(n), label)?)))
}

/// `text` with the first `label` field's value replaced by `value`; when there is
/// no such field, a `**Label**: value` line is inserted after the first `# `
/// heading (or at the top). Line endings follow the text's own.
pub fn set_field(text: &str, label: &str, value: &str) -> String {
    let md = Markdown::parse(text);
    if let Some((line, at)) = field_at(&md, label) {
        let range = md.line_range(line);
        let before = &text[..range.start + at];
        let space = if before.ends_with(' ') { "" } else { " " };
        return format!("{before}{space}{value}{}", &text[range.end..]);
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let new_line = format!("**{label}**: {value}{eol}");
    match md.headings.iter().find(|h| h.level == 1 && md.line(h.line).starts_with("# ")) {
        Some(h) => {
            let end = md.line_range(h.line).end;
            // The heading's own line ending, then a blank line and the field.
            let ending_len = text[end..].find('\n').map_or(text.len() - end, |i| i + 1);
            let (head, tail) = text.split_at(end + ending_len);
            let head_eol = if head.ends_with('\n') || head.ends_with('\r') { "" } else { eol };
            format!("{head}{head_eol}{eol}{new_line}{tail}")
        }
        None => format!("{new_line}{eol}{text}"),
    }
}

/// Byte offset of the value in a `label` field line, after the `:` and the
/// spaces and `*` around it.
fn value_offset(line: &str, label: &str) -> Option<usize> {
    let rest = line.trim_start().trim_start_matches(['-', '*', '+', ' ', '\t']);
    let after_label = strip_prefix_ci(rest, label)?;
    let after_stars = after_label.trim_start_matches('*');
    let after_colon = after_stars.strip_prefix(':')?;
    let value = after_colon.trim_start_matches('*').trim_start();
    Some(line.len() - value.len())
}

/// The values `new-spec` puts into a template.
#[derive(Debug, Clone)]
pub struct Fill<'a> {
    pub feature: &'a str,
    pub slug: &'a str,
    /// YYYY-MM-DD, UTC.
    pub date: &'a str,
    pub complexity: &'a str,
}

/// Replace `{{feature}}`, `{{slug}}`, `{{date}}` and `{{complexity}}` in one
/// pass, so a feature name holding `{{slug}}` stays as written. Other `{{...}}`
/// are left for the gate to report.
pub fn fill(template: &str, values: &Fill) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let known = [
            ("{{feature}}", values.feature),
            ("{{slug}}", values.slug),
            ("{{date}}", values.date),
            ("{{complexity}}", values.complexity),
        ];
        match known.iter().find(|(p, _)| tail.starts_with(p)) {
            Some((p, v)) => {
                out.push_str(v);
                rest = &tail[p.len()..];
            }
            None => {
                out.push_str("{{");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::phase::Phase;

    #[test]
    fn reads_the_current_phase_line() {
        assert_eq!(current_phase("# R\n\n**Current Phase**: implementation\n"), Some((Phase::Implementation, 3)));
        // Planning done hands over to implementation (core/phase_line.rs).
        assert_eq!(current_phase("**current phase**: Planning Complete -> Ready"), Some((Phase::Implementation, 1)));
        assert_eq!(
            current_phase("**Status**: PRD Complete, Ready for Implementation"),
            Some((Phase::Implementation, 1))
        );
        assert_eq!(current_phase("- **Current Phase:** QA"), Some((Phase::Qa, 1)));
        assert_eq!(current_phase("no phase here"), None);
        assert_eq!(current_phase("**Current Phase**: [Planning | Research]"), Some((Phase::Prd, 1)));
    }

    /// The templates folder of this repository and the copies built into the
    /// binary (xtask/templates/) are the same files, and each carries the
    /// tool's placeholders.
    #[test]
    fn builtin_templates_match_the_templates_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
        for doc in Doc::ALL {
            let on_disk = std::fs::read_to_string(dir.join(doc.rel_path())).unwrap();
            assert_eq!(
                on_disk,
                doc.builtin_template(),
                "templates/{0} differs from the built-in copy xtask/templates/{0}; make them the same",
                doc.rel_path()
            );
            let expected: &[&str] = match doc {
                Doc::Prd => &["{{feature}}", "{{slug}}", "{{date}}", "{{complexity}}"],
                Doc::Analysis => &["{{feature}}", "{{slug}}", "{{date}}", "{{complexity}}"],
                Doc::Plan => &["{{feature}}", "{{slug}}", "{{date}}"],
                Doc::Tasks => &["{{feature}}", "{{slug}}"],
                Doc::Recovery => &["{{feature}}", "{{slug}}", "{{date}}"],
            };
            for placeholder in expected {
                assert!(on_disk.contains(placeholder), "templates/{} lacks {placeholder}", doc.rel_path());
            }
            // Only the four tool placeholders use braces.
            let stripped = ["{{feature}}", "{{slug}}", "{{date}}", "{{complexity}}"]
                .iter()
                .fold(on_disk.clone(), |text, p| text.replace(p, ""));
            assert!(!stripped.contains(['{', '}']), "templates/{} has a stray brace", doc.rel_path());
        }
    }

    /// The rules the shipped templates declare: the workflow's numbers
    /// (specs/guides/templates-and-rules.md), in
    /// its grammar.
    #[test]
    fn templates_declare_the_workflow_numbers() {
        let minimums = |text: &str| -> Vec<(String, u32)> {
            text.lines()
                .filter(|l| l.starts_with('#'))
                .filter_map(|l| {
                    let (head, tail) = l.rsplit_once(" (")?;
                    let n = tail.strip_suffix("+ words)")?.parse().ok()?;
                    Some((head.trim_start_matches('#').trim().to_string(), n))
                })
                .collect()
        };
        let rules = |text: &str| -> Vec<String> {
            text.match_indices("<!-- gate:")
                .flat_map(|(at, _)| {
                    let body = &text[at + "<!-- gate:".len()..];
                    let body = &body[..body.find("-->").unwrap()];
                    body.split(';').map(|r| r.trim().to_string()).collect::<Vec<_>>()
                })
                .collect()
        };
        let pairs = |v: &[(&str, u32)]| v.iter().map(|(s, n)| (s.to_string(), *n)).collect::<Vec<_>>();

        let prd = Doc::Prd.builtin_template();
        assert_eq!(
            minimums(prd),
            pairs(&[
                ("Overview", 300),
                ("Problem Statement", 200),
                ("Solution Summary", 100),
                ("Architecture", 600),
                ("Current State", 200),
                ("Proposed Changes", 400),
                ("Implementation Details", 400),
                ("Testing Strategy", 400),
                ("Risks & Mitigation", 100),
                ("Dependencies", 100),
            ])
        );
        assert_eq!(
            rules(prd),
            [
                "words >= 2000",
                "verified-snippets",
                "diagram under \"Architecture\"",
                "items >= 8 under \"Acceptance Criteria\"",
                "measurable under \"Acceptance Criteria\"",
                "proven under \"Acceptance Criteria\" from testing",
            ]
        );
        let analysis = Doc::Analysis.builtin_template();
        assert_eq!(
            minimums(analysis),
            pairs(&[
                ("Phase 1: Scope Discovery", 1000),
                ("Phase 2: Component Deep-Dive", 1500),
                ("Phase 3: Integration Analysis", 1200),
                ("Phase 4: Edge Cases & Error Paths", 1000),
                ("Phase 5: Performance & Security", 800),
            ])
        );
        assert_eq!(rules(analysis), ["words >= 5500", "verified-snippets"]);
        assert!(analysis.contains("simple 18, medium 25, complex 35, multi-system 50"));
        assert!(analysis.contains("\n## Critical Decisions\n"));
        let plan = Doc::Plan.builtin_template();
        assert_eq!(
            minimums(plan),
            pairs(&[
                ("Internal Patterns", 600),
                ("Library Best Practices", 600),
                ("Industry Best Practices", 500),
                ("Comparable Implementations", 300),
            ])
        );
        assert_eq!(
            rules(plan),
            [
                "words >= 2000",
                "verified-snippets",
                "headings \"### Pattern\" >= 5 under \"Internal Patterns\"",
                "headings \"### Library\" >= 3 under \"Library Best Practices\"",
            ]
        );
        // Every python block of every workspace document needs `# VERIFIED:`.
        assert_eq!(rules(Doc::Tasks.builtin_template()), ["verified-snippets"]);
        assert_eq!(rules(Doc::Recovery.builtin_template()), ["verified-snippets"]);
        assert!(prd.contains("\n**Status**: Draft\n") && prd.contains("\n**Created**: {{date}}\n"));
        let recovery = Doc::Recovery.builtin_template();
        assert_eq!(current_phase(recovery).map(|(p, _)| p), Some(Phase::Prd));
        assert!(recovery.contains("\n**Last Updated**: {{date}}\n"));
        for name in ["last-updated", "files-modified", "test-status"] {
            assert!(recovery.contains(&format!("<!-- xtask:begin {name} -->")), "{name}");
            assert!(recovery.contains(&format!("<!-- xtask:end {name} -->")), "{name}");
        }
        let tasks = Doc::Tasks.builtin_template();
        assert!(tasks.contains("<!-- xtask:begin progress -->") && tasks.contains("<!-- xtask:end progress -->"));
    }

    fn texts(prd: DocText, tasks: DocText, recovery: DocText) -> WorkspaceTexts {
        let files = Doc::ALL
            .iter()
            .map(|&doc| DocFile {
                doc,
                rel_path: doc.rel_path().to_string(),
                text: match doc {
                    Doc::Prd => prd.clone(),
                    Doc::Tasks => tasks.clone(),
                    Doc::Recovery => recovery.clone(),
                    _ => DocText::Text(String::new()),
                },
                hash: Some(ledger::hash(doc.rel_path().as_bytes())),
            })
            .collect();
        WorkspaceTexts { name: "x".into(), files, archive_record: None, ledger: None }
    }

    #[test]
    fn summary_of_a_new_workspace() {
        let values = Fill { feature: "Café batch", slug: "cafe-batch", date: "2026-11-22", complexity: "medium" };
        let t = |doc: Doc| DocText::Text(fill(doc.builtin_template(), &values));
        let s = summarize(&texts(t(Doc::Prd), t(Doc::Tasks), t(Doc::Recovery)));
        assert_eq!(s.title.as_deref(), Some("Café batch"));
        assert_eq!(s.created.as_deref(), Some("2026-11-22"));
        assert_eq!(s.status.as_deref(), Some("Draft"));
        assert_eq!(s.phase, Some(Phase::Prd));
        let tasks = s.tasks.unwrap();
        assert_eq!((tasks.done, tasks.open), (0, tasks.total));
        assert!(s.problems.is_empty());
    }

    #[test]
    fn summary_of_a_broken_workspace() {
        let mut ws = texts(DocText::Missing, DocText::NotText { line: 3 }, DocText::NotAFile);
        ws.files[4].rel_path = "RECOVERY.md".into();
        ws.archive_record =
            Some(ArchiveRecord { date: Some("2026-01-02".into()), forced: true, qa: None, commit: None }.render("x"));
        let s = summarize(&ws);
        assert_eq!((s.title, s.created, s.phase, s.tasks), (None, None, None, None));
        assert_eq!(
            s.problems,
            [
                "prd.md missing",
                "tasks.md:3: not UTF-8 text",
                "RECOVERY.md: a folder or special file, not a regular file"
            ]
        );
        let record = s.archive.unwrap();
        assert_eq!((record.date.as_deref(), record.forced), (Some("2026-01-02"), true));
    }

    #[test]
    fn archive_record_round_trips() {
        let r = ArchiveRecord {
            date: Some("2026-11-22".into()),
            forced: false,
            qa: Some("all 3 tasks closed".into()),
            commit: Some("0123abcd".into()),
        };
        assert_eq!(ArchiveRecord::parse(&r.render("s")), r);
        assert_eq!(ArchiveRecord::parse("nothing"), ArchiveRecord::default());
    }

    #[test]
    fn titles() {
        let title = |text: &str| title_in(&Markdown::parse(text));
        assert_eq!(title("# PRD: Fast loads\n").as_deref(), Some("Fast loads"));
        assert_eq!(title("```\n# PRD: no\n```\n# Other\n# PRD: yes\r\n").as_deref(), Some("yes"));
        assert_eq!(title("## sub\n# Plain title #\n").as_deref(), Some("Plain title"));
        assert_eq!(title("no heading"), None);
        assert_eq!(title("# PRD:   \n"), None);
    }

    #[test]
    fn fields_are_read_and_set() {
        let prd = "# PRD: X\n\n**Status**: Draft\n- **Created:** 2026-01-01\r\nStatus: other\n";
        assert_eq!(field(prd, "status"), Some(("Draft".into(), 3)));
        assert_eq!(field(prd, "Created"), Some(("2026-01-01".into(), 4)));
        assert_eq!(field(prd, "Author"), None);
        assert_eq!(field("**Status**s: x", "Status"), None);
        let set = set_field(prd, "Status", "Complete");
        assert_eq!(set, prd.replace("**Status**: Draft", "**Status**: Complete"));
        assert_eq!(set_field(prd, "created", "2027"), prd.replace("2026-01-01", "2027"));
        assert_eq!(set_field("# T\nbody\n", "Status", "Complete"), "# T\n\n**Status**: Complete\nbody\n");
        assert_eq!(set_field("# T", "Status", "Complete"), "# T\n\n**Status**: Complete\n");
        assert_eq!(set_field("body\r\n", "Status", "Complete"), "**Status**: Complete\r\n\r\nbody\r\n");
        assert_eq!(set_field("**Status**:", "Status", "Complete"), "**Status**: Complete");
        // Inside code it is an example, not the field.
        assert_eq!(set_field("```\n**Status**: x\n```\n", "Status", "C"), "**Status**: C\n\n```\n**Status**: x\n```\n");
        let recovery = set_field(Doc::Recovery.builtin_template(), "Current Phase", "archived");
        assert_eq!(current_phase(&recovery).map(|(p, _)| p), Some(Phase::Archived));
    }

    #[test]
    fn the_progress_block_is_regenerated_in_place() {
        let tasks = Doc::Tasks.builtin_template();
        let list = tasks::parse(tasks);
        let new = crate::core::markers::replace(tasks, "progress", &list.progress_block()).unwrap();
        assert!(new.contains(&format!("- Total Tasks: {}\n", list.tasks.len())));
        assert_eq!(tasks::parse(&new), list);
        assert_eq!(new.lines().count(), tasks.lines().count(), "the block keeps its shape");
    }

    #[test]
    fn fill_is_one_pass() {
        let v = Fill { feature: "{{slug}} and {{x}}", slug: "s", date: "d", complexity: "c" };
        assert_eq!(
            fill("{{feature}}|{{slug}}|{{date}}|{{complexity}}|{{other}}|{{", &v),
            "{{slug}} and {{x}}|s|d|c|{{other}}|{{"
        );
        for doc in Doc::ALL {
            let filled = fill(doc.builtin_template(), &v);
            for p in ["{{date}}", "{{complexity}}"] {
                assert!(!filled.contains(p), "{p} left in {}", doc.rel_path());
            }
        }
    }

    #[test]
    fn archive_index_rows() {
        let summary = |name: &str, title: Option<&str>, record: Option<ArchiveRecord>| Summary {
            name: name.into(),
            title: title.map(str::to_string),
            archive: record,
            ..Summary::default()
        };
        let index = archive_index(&[
            summary(
                "b",
                Some("B | pipe"),
                Some(ArchiveRecord { date: Some("2026-02-02".into()), forced: true, qa: None, commit: None }),
            ),
            summary("a", None, None),
        ]);
        assert!(index.ends_with(
            "| Slug | Title | Archived | QA gate |\n|------|-------|----------|---------|\n\
             | a | - | unknown | no record |\n| b | B \\| pipe | 2026-02-02 | forced |\n"
        ));
        assert!(archive_index(&[]).ends_with("No workspace has been archived yet.\n"));
    }

    #[test]
    fn last_gate_and_staleness() {
        let mut ws = texts(DocText::Missing, DocText::Missing, DocText::Missing);
        let mut hashes = ws.hashes();
        let entry = |hashes: Vec<(String, String)>| ledger::Entry {
            time: "2026-11-23T10:00:00Z".into(),
            phase: "prd".into(),
            ok: false,
            findings: vec![crate::core::finding::Finding::fail("words", "document", "short")],
            hashes,
            change: None,
        };
        ws.ledger = Some(entry(hashes.clone()).to_json().to_string());
        let gate = summarize(&ws).gate.unwrap();
        assert_eq!((gate.ok, gate.failed, gate.changed.len()), (false, 1, 0));
        hashes[0].1 = "0".into();
        ws.ledger = Some(entry(hashes).to_json().to_string());
        assert_eq!(summarize(&ws).gate.unwrap().changed, ["prd.md"]);
        ws.ledger = Some("{broken".into());
        assert_eq!(summarize(&ws).gate, None);
    }
}
