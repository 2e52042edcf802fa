//! `structure`: every workspace document exists and is UTF-8 text, and
//! recovery.md names the phase. The host's workspace reader says what it
//! found on disk ([`DocText`]); this module turns that into findings.
use crate::core::checks::WorkspaceInput;
use crate::core::finding::Finding;
use crate::core::workspace::{Doc, DocFile, DocText};

/// The `structure` check of a workspace: its documents, and its phase.
pub fn check_workspace(ws: &WorkspaceInput) -> Vec<Finding> {
    let mut out = check(&ws.dir, ws.files);
    if ws.phase_unknown {
        let recovery = ws.files.iter().find(|f| f.doc == Doc::Recovery).map(|f| f.rel_path.as_str());
        out.push(unknown_phase(&format!("{}/{}", ws.dir, recovery.unwrap_or(Doc::Recovery.rel_path()))));
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

/// A finding when recovery.md names no phase and none was given with --phase.
pub fn unknown_phase(recovery_file: &str) -> Finding {
    Finding::fail(
        "structure",
        "phase",
        "recovery.md has no `**Current Phase**:` line naming a phase (prd, research, implementation, testing, docs, \
         qa); add one, or pass --phase; gated as prd",
    )
    .at(recovery_file, Some(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::finding::Status;

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
}
