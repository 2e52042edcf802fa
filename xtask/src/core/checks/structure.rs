//! `structure`: every workspace document exists and is UTF-8 text, and
//! recovery.md names the phase. The host's workspace reader says what it
//! found on disk ([`DocText`]); this module turns that into findings.
use crate::core::checks::{DocInput, WorkspaceInput};
use crate::core::finding::Finding;
use crate::core::phase_line::{PhaseLine, UNDERSTOOD};
use crate::core::rules::normalize_section;
use crate::core::workspace::{DocFile, DocText};

/// The `structure` check of a workspace: its documents, and its phase.
pub fn check_workspace(ws: &WorkspaceInput) -> Vec<Finding> {
    let mut out = check(&ws.dir, ws.files);
    if ws.phase_unknown {
        out.push(phase_unread(&ws.dir, ws.phase_read.as_ref()));
    }
    out
}

/// Findings for the documents of the workspace at `dir` (root-relative).
pub fn check(dir: &str, files: &[DocFile]) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in files {
        let name = f.doc.rel_path();
        let file = format!("{dir}/{}", f.rel_path);
        let finding = match &f.text {
            DocText::Text(_) => continue,
            DocText::Missing => {
                Finding::fail("structure", "missing", format!("{name} is missing; create it from templates/{name}"))
                    .at(file, None)
            }
            DocText::NotText { line } => Finding::fail(
                "structure",
                "not-text",
                format!("{name} is not UTF-8 text (binary data or another encoding); save it as UTF-8"),
            )
            .at(file, Some(*line)),
            DocText::LinksOut => Finding::fail(
                "structure",
                "symlink",
                format!("{name} is a symbolic link out of specs/; not followed, put the document itself here"),
            )
            .at(file, None),
            DocText::NotAFile => Finding::fail(
                "structure",
                "not-a-file",
                format!("{name} is not a regular file; replace it with the document"),
            )
            .at(file, None),
            DocText::Unreadable(reason) => Finding::fail(
                "structure",
                "unreadable",
                format!("{name} cannot be read: {reason}; fix its permissions or replace it"),
            )
            .at(file, None),
            DocText::TooLarge { bytes, limit } => Finding::fail(
                "structure",
                "too-large",
                format!("{name} is {bytes} bytes, more than the gate reads ({limit}); split or shorten it"),
            )
            .at(file, None)
            .measure(*bytes as f64, *limit as f64),
        };
        out.push(finding);
    }
    if out.is_empty() {
        out.push(Finding::pass("structure", "files", "every workspace document exists and is UTF-8 text"));
    }
    out
}

/// A section the document lacks: its heading as the template writes it, its
/// ordinal, and what each rule needing it asks, with the rule's template line.
type Missing<'t> = (&'t str, usize, Vec<(String, usize)>);

/// Each section that the template's rules need and the document lacks, once,
/// naming every rule that needs it and the template line declaring it.
pub fn missing_sections(d: &DocInput) -> Vec<Finding> {
    let mut missing: Vec<Missing> = Vec::new();
    for declared in &d.template.rules {
        let Some((name, ordinal)) = declared.rule.section() else { continue };
        if d.section(name, ordinal).is_some() {
            continue;
        }
        let key = normalize_section(name);
        let asks = (declared.rule.describe(), declared.line);
        match missing.iter_mut().find(|(n, o, _)| *o == ordinal && normalize_section(n) == key) {
            Some((_, _, rules)) => rules.push(asks),
            None => missing.push((name, ordinal, vec![asks])),
        }
    }
    missing
        .into_iter()
        .map(|(name, _, rules)| {
            let asks: Vec<String> =
                rules.iter().map(|(what, line)| format!("{what} ({}:{line})", d.template.source)).collect();
            let name = name.trim();
            Finding::fail(
                "structure",
                "section",
                format!(
                    "section \"{name}\" is missing; the template asks for it: {}; add a heading \"{name}\" \
                     (numbering, case, emphasis and a trailing colon do not matter)",
                    asks.join(", ")
                ),
            )
            .at(&d.file, Some(1))
        })
        .collect()
}

/// The finding when a workspace's phase cannot be read: the line read and
/// the words understood, or where to write one. `folder` is the workspace
/// folder relative to the root (`specs/active/x`).
pub fn phase_unread(folder: &str, read: Option<&PhaseLine>) -> Finding {
    match read {
        Some(line) => Finding::fail(
            "structure",
            "phase",
            format!(
                "{}:{} reads `{}`, which names no phase the kit knows; it understands: {UNDERSTOOD}; write e.g. \
                 `**Current Phase**: implementation` in recovery.md, or pass --phase; gated as prd",
                line.doc.rel_path(),
                line.line,
                super::excerpt(&line.text, 100)
            ),
        )
        .at(format!("{folder}/{}", line.doc.rel_path()), Some(line.line)),
        None => Finding::fail(
            "structure",
            "phase",
            "neither recovery.md nor prd.md says where the work stands (a `**Current Phase**:`, `**Phase**:` or \
             `**Status**:` line, or a `## Current Phase` heading); add `**Current Phase**: prd` (or research, \
             implementation, testing, docs, qa) to recovery.md, or pass --phase; gated as prd",
        )
        .at(format!("{folder}/recovery.md"), Some(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;
    use crate::core::finding::Status;
    use crate::core::workspace::Doc;

    #[test]
    fn each_state_is_one_finding() {
        let file = |doc: Doc, text: DocText| DocFile { doc, rel_path: doc.rel_path().into(), text, hash: None };
        let files = [
            file(Doc::Prd, DocText::Text(String::new())),
            file(Doc::Tasks, DocText::Missing),
            file(Doc::Plan, DocText::NotText { line: 3 }),
            file(Doc::Recovery, DocText::LinksOut),
        ];
        let f = check("s", &files);
        let rules: Vec<(&str, Option<usize>)> = f.iter().map(|f| (f.rule.as_str(), f.line)).collect();
        assert_eq!(rules, [("missing", None), ("not-text", Some(3)), ("symlink", None)]);
        assert_eq!(f[1].file.as_deref(), Some("s/research/plan.md"));
        assert!(f.iter().all(|f| f.status == Status::Fail));
        assert_eq!(check("s", &files[..1])[0].status, Status::Pass);
    }

    #[test]
    fn a_missing_section_is_reported_once_with_every_rule_that_needs_it() {
        let template = "# PRD\n<!-- gate: items >= 8 under \"Acceptance Criteria\"; measurable under \"Acceptance \
                        Criteria\"; diagram under \"Architecture\" -->\n## Architecture (600+ words)\n\
                        ## Acceptance Criteria\n## Risks (100+ words)\n";
        let filled = "# PRD\n## 3. RISKS:\ntext\n## 6. Acceptance Criteria\n- [ ] one\n";
        let f = with_doc(template, filled, missing_sections);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].rule.as_str(), f[0].status, f[0].line), ("section", Status::Fail, Some(1)));
        assert!(
            f[0].message.starts_with(
                "section \"Architecture\" is missing; the template asks for it: an ASCII diagram \
                 (templates/prd.md:2), 600+ words (templates/prd.md:3);"
            ),
            "{}",
            f[0].message
        );
        assert!(with_doc(template, "# PRD\n## Architecture\n## Acceptance Criteria:\n## Risks\n", missing_sections)
            .is_empty());
    }

    #[test]
    fn an_unread_phase_names_the_line_read() {
        let line = PhaseLine { doc: Doc::Recovery, line: 5, text: "**Status**: Active".into(), phase: None };
        let f = phase_unread("specs/active/x", Some(&line));
        assert_eq!((f.file.as_deref(), f.line), (Some("specs/active/x/recovery.md"), Some(5)));
        assert!(
            f.message.starts_with("recovery.md:5 reads `**Status**: Active`, which names no phase"),
            "{}",
            f.message
        );
        assert!(f.message.contains("ready for X"), "{}", f.message);
        let f = phase_unread("specs/active/x", None);
        assert!(f.message.contains("`## Current Phase` heading"), "{}", f.message);
    }
}
