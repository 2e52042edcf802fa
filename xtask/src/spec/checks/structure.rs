//! `structure`: every workspace document exists and is UTF-8 text, and
//! recovery.md names the phase. The host reports what it found on disk as
//! [`DocState`]s; this module turns them into findings.
use crate::spec::finding::Finding;
use crate::spec::workspace::Doc;

/// What the host found where a document should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocState {
    /// Read as text.
    Text,
    Missing,
    /// Not UTF-8, or holds NUL bytes: the line of the first bad byte.
    NotText {
        line: usize,
    },
    /// A symbolic link leading outside the workspace (not followed).
    LinksOut {
        target: String,
    },
    /// A folder or other non-file where the document should be.
    NotAFile,
    /// Could not be read (permissions, a symlink loop, ...).
    Unreadable {
        reason: String,
    },
    /// Larger than the gate reads.
    TooLarge {
        bytes: u64,
        limit: u64,
    },
}

/// One document slot of a workspace: which document, its path relative to the
/// root (the expected path when missing), and its state.
#[derive(Debug, Clone)]
pub struct DocSlot {
    pub doc: Doc,
    pub file: String,
    pub state: DocState,
}

pub fn check(slots: &[DocSlot]) -> Vec<Finding> {
    let mut out = Vec::new();
    for slot in slots {
        let f = match &slot.state {
            DocState::Text => continue,
            DocState::Missing => Finding::fail(
                "structure",
                "missing",
                format!("{} is missing; create it from templates/{}", slot.doc.rel_path(), slot.doc.rel_path()),
            )
            .at(&slot.file, None),
            DocState::NotText { line } => Finding::fail(
                "structure",
                "not-text",
                format!("{} is not UTF-8 text (binary data or another encoding); save it as UTF-8", slot.doc.rel_path()),
            )
            .at(&slot.file, Some(*line)),
            DocState::LinksOut { target } => Finding::fail(
                "structure",
                "symlink",
                format!("{} is a symbolic link out of the workspace (to {target}); not followed, put the document itself here", slot.doc.rel_path()),
            )
            .at(&slot.file, None),
            DocState::NotAFile => Finding::fail(
                "structure",
                "not-a-file",
                format!("{} is not a regular file; replace it with the document", slot.doc.rel_path()),
            )
            .at(&slot.file, None),
            DocState::Unreadable { reason } => Finding::fail(
                "structure",
                "unreadable",
                format!("{} cannot be read: {reason}; fix its permissions or replace it", slot.doc.rel_path()),
            )
            .at(&slot.file, None),
            DocState::TooLarge { bytes, limit } => Finding::fail(
                "structure",
                "too-large",
                format!("{} is {bytes} bytes, more than the gate reads ({limit}); split or shorten it", slot.doc.rel_path()),
            )
            .at(&slot.file, None)
            .measure(*bytes as f64, *limit as f64),
        };
        out.push(f);
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
    use crate::spec::finding::Status;

    #[test]
    fn each_state_is_one_finding() {
        let slots = [
            DocSlot { doc: Doc::Prd, file: "s/prd.md".into(), state: DocState::Text },
            DocSlot { doc: Doc::Tasks, file: "s/tasks.md".into(), state: DocState::Missing },
            DocSlot { doc: Doc::Plan, file: "s/research/plan.md".into(), state: DocState::NotText { line: 3 } },
            DocSlot {
                doc: Doc::Recovery,
                file: "s/recovery.md".into(),
                state: DocState::LinksOut { target: "/etc/passwd".into() },
            },
        ];
        let f = check(&slots);
        let rules: Vec<(&str, Option<usize>)> = f.iter().map(|f| (f.rule.as_str(), f.line)).collect();
        assert_eq!(rules, [("missing", None), ("not-text", Some(3)), ("symlink", None)]);
        assert!(f.iter().all(|f| f.status == Status::Fail));
        assert_eq!(check(&slots[..1])[0].status, Status::Pass);
    }
}
