//! Where a workspace says it stands, read the way this workflow's authors write
//! it. recovery.md is read first, then prd.md; in each, in this order:
//! a `Current Phase` field, a `Phase` field, a `Status` field (bold or plain
//! label, as a line, a list item or a table row), then the first line under a
//! `Current Phase`, `Current Status` or `Current State` heading. The first of
//! these that names a phase wins; when none does, the first one found is
//! reported with the words the kit understands. The kit itself writes
//! `**Current Phase**: <phase>`, so that field is taken at its word: one that
//! names no phase is reported, not passed over for a vaguer line.
//!
//! The words of a line map to phases (see [`phase_of`]): `Draft`, `Planning`,
//! `PRD` are prd; `PRD Complete, Ready for Implementation` is implementation;
//! `Implementation Complete (Testing Pending)` is testing; a bare `Complete`
//! is qa.
use crate::core::markdown::Markdown;
use crate::core::phase::Phase;
use crate::core::workspace::Doc;

/// One line read for the phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseLine {
    /// recovery.md or prd.md.
    pub doc: Doc,
    /// 1-based line of the value read.
    pub line: usize,
    /// That line, trimmed.
    pub text: String,
    /// The phase it names, None when no word of it maps to one.
    pub phase: Option<Phase>,
}

/// What the kit understands in a phase line, for messages.
pub const UNDERSTOOD: &str = "draft, planning, PRD, proposed, requirements (prd); research, investigation \
     (research); implementation, implemented (implementation); testing, tests, verification (testing); \
     documentation, docs (docs); quality gate, QA, review, complete, done (qa); archived; and `X complete` \
     (X done), `ready for X`, `awaiting X`, `X pending`, `X in progress` (X next)";

/// The phase a workspace names: the first line of recovery.md, then of prd.md,
/// that names one; failing that, the first phase-like line found (its `phase`
/// None); None when neither document has such a line.
pub fn read_phase(recovery: Option<&str>, prd: Option<&str>) -> Option<PhaseLine> {
    let recovery = recovery.map(Markdown::parse);
    let prd = prd.map(Markdown::parse);
    read_phase_in(recovery.as_ref(), prd.as_ref())
}

/// [`read_phase`] of documents already parsed.
pub fn read_phase_in(recovery: Option<&Markdown>, prd: Option<&Markdown>) -> Option<PhaseLine> {
    let mut first_unmapped = None;
    for (doc, md) in [(Doc::Recovery, recovery), (Doc::Prd, prd)] {
        let Some(md) = md else { continue };
        for (line, value_text) in candidates(md) {
            let found = PhaseLine { doc, line, text: value_text.0.trim().to_string(), phase: phase_of(value_text.1) };
            if found.phase.is_some() {
                return Some(found);
            }
            if field_value(value_text.0, "current phase").is_some() {
                return Some(first_unmapped.unwrap_or(found));
            }
            first_unmapped.get_or_insert(found);
        }
    }
    first_unmapped
}

/// The phase one document names (the same order as [`read_phase`]) and its line.
pub fn phase_in(text: &str) -> Option<(Phase, usize)> {
    read_phase(Some(text), None).and_then(|l| Some((l.phase?, l.line)))
}

/// Field labels, most specific first.
const LABELS: [&str; 3] = ["current phase", "phase", "status"];
/// Headings whose first line says where the work stands.
const HEADINGS: [&str; 3] = ["current phase", "current status", "current state"];

/// The phase-like lines of a document in reading priority: (1-based line,
/// (whole line, value)).
fn candidates<'a>(md: &Markdown<'a>) -> Vec<(usize, (&'a str, &'a str))> {
    let hidden = md.hidden_lines();
    let lines: Vec<&'a str> = (1..=md.line_count()).map(|n| md.line(n)).collect();
    let visible = |i: usize| !hidden.get(i).copied().unwrap_or(true);
    let mut out = Vec::new();
    for label in LABELS {
        // The first field of each label only: later ones are usually about
        // something else (a requirement's or a risk's status).
        let found = (0..lines.len()).filter(|&i| visible(i)).find_map(|i| Some((i, field_value(lines[i], label)?)));
        if let Some((i, value)) = found {
            out.push((i + 1, (lines[i], value)));
        }
    }
    for name in HEADINGS {
        // Headings as the markdown reader sees them (never a `#` line in code).
        let Some(at) = md.headings.iter().position(|h| words(&h.text).join(" ") == name) else {
            continue;
        };
        // 0-based: the line after the heading, up to the next heading.
        let start = md.headings[at].line;
        let end = md.headings.get(at + 1).map_or(lines.len(), |next| next.line - 1);
        let first = (start..end.max(start)).find(|&i| {
            let t = lines[i].trim();
            visible(i) && !t.is_empty() && !is_rule(t) && !t.chars().all(|c| c == '=')
        });
        if let Some(i) = first {
            // A field line under the heading was already read as a field.
            if LABELS.iter().all(|l| field_value(lines[i], l).is_none()) {
                out.push((i + 1, (lines[i], lines[i])));
            }
        }
    }
    out
}

/// `---` and `***` lines.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && (t.chars().all(|c| c == '-' || c == ' ') || t.chars().all(|c| c == '*' || c == ' '))
}

/// The value of a `label` field: `**Label**: value`, `**Label:** value`,
/// `Label: value`, as a list item or not, or a `| **Label** | value |` table row.
fn field_value<'l>(line: &'l str, label: &str) -> Option<&'l str> {
    let t = line.trim_start();
    if let Some(row) = t.strip_prefix('|') {
        let mut cells = row.split('|');
        let key = cells.next()?;
        let value = cells.next()?;
        return (words(key).join(" ") == label).then(|| value.trim());
    }
    let t = t.trim_start_matches(['-', '*', '+', ' ', '\t']);
    let t = t.trim_start_matches(['_', '*']);
    let head = t.get(..label.len())?;
    if !head.eq_ignore_ascii_case(label) {
        return None;
    }
    let rest = t[label.len()..].trim_start_matches(['*', '_']);
    let rest = rest.strip_prefix(':')?;
    Some(rest.trim_start_matches(['*', '_']).trim())
}

/// Lowercase words of a text: letters and digits, with the marks authors put
/// on a phase (`✅`, `✓`) kept as the word `done`.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if matches!(c, '✅' | '✓' | '✔') {
            out.push("done".to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The phase a word names on its own.
fn phase_word(w: &str) -> Option<Phase> {
    Some(match w {
        "prd" | "draft" | "planning" | "plan" | "planned" | "proposed" | "requirements" => Phase::Prd,
        "research" | "researching" | "investigation" | "investigating" => Phase::Research,
        "implementation" | "implementing" | "implemented" | "development" => Phase::Implementation,
        "testing" | "tests" | "test" | "verification" | "validation" => Phase::Testing,
        "documentation" | "docs" | "documenting" => Phase::Docs,
        "qa" | "quality" | "review" | "reviewing" => Phase::Qa,
        "archived" | "archive" => Phase::Archived,
        _ => return None,
    })
}

/// Words saying the phase before them is finished.
const DONE: [&str; 8] = ["complete", "completed", "done", "finished", "passed", "passing", "implemented", "created"];
/// Words saying the phase after them is the one being entered.
const BEFORE_NEXT: [&str; 4] = ["ready", "awaiting", "pending", "next"];
/// Words saying the phase before them is the one being worked on.
const AFTER_NEXT: [&str; 6] = ["pending", "next", "progress", "started", "outstanding", "underway"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Named,
    Done,
    Next,
}

/// The phase a field value names; see the module docs.
pub fn phase_of(value: &str) -> Option<Phase> {
    let w = words(value);
    let mut found: Vec<(Phase, Mark)> = Vec::new();
    // Index in `found` of the phases not yet closed by a "done" word.
    let mut open: Vec<usize> = Vec::new();
    for (i, word) in w.iter().enumerate() {
        if let Some(p) = phase_word(word) {
            // The marks around a phase word, up to the next phase or "done" word.
            let other = |x: &String| phase_word(x).is_some() || DONE.contains(&x.as_str());
            let after_ready = w[i.saturating_sub(5)..i]
                .iter()
                .rev()
                .take_while(|x| !other(x))
                .any(|x| BEFORE_NEXT.contains(&x.as_str()));
            let before_next =
                w[i + 1..].iter().take(3).take_while(|x| !other(x)).any(|x| AFTER_NEXT.contains(&x.as_str()));
            let mark = if after_ready || before_next { Mark::Next } else { Mark::Named };
            found.push((p, mark));
            if word == "implemented" {
                found.last_mut().expect("just pushed").1 = Mark::Done;
            } else if mark == Mark::Named {
                open.push(found.len() - 1);
            }
        } else if DONE.contains(&word.as_str()) {
            for k in open.drain(..) {
                found[k].1 = Mark::Done;
            }
        } else if BEFORE_NEXT.contains(&word.as_str()) || AFTER_NEXT.contains(&word.as_str()) {
            open.clear();
        }
    }
    if let Some((p, _)) = found.iter().find(|(_, m)| *m == Mark::Next) {
        return Some(*p);
    }
    if let Some(done) = found.iter().filter(|(_, m)| *m == Mark::Done).map(|(p, _)| *p).max() {
        // Planning (and the research it includes in this workflow) done hands
        // over to implementation; any other phase done is still gated at that
        // phase, whose checks are what "done" claims.
        return Some(if done <= Phase::Research { Phase::Implementation } else { done });
    }
    if let Some((p, _)) = found.first() {
        return Some(*p);
    }
    // "Complete", "Done": the work is finished. "Phase 1 Complete" names a
    // project's own numbering, which says nothing the kit can map.
    let numbered = w.iter().any(|x| x == "phase");
    (!numbered && w.iter().any(|x| DONE.contains(&x.as_str()))).then_some(Phase::Qa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_to_phases() {
        let cases = [
            ("prd", Some(Phase::Prd)),
            ("Draft", Some(Phase::Prd)),
            ("Planning", Some(Phase::Prd)),
            ("Proposed", Some(Phase::Prd)),
            ("Phase 1 - Requirements Definition", Some(Phase::Prd)),
            ("Phase 1 - Planning & Research", Some(Phase::Prd)),
            ("[Planning | Implementation | Testing | Review]", Some(Phase::Prd)),
            ("Research", Some(Phase::Research)),
            ("Ready for Phase 2 (Expert Research)", Some(Phase::Research)),
            ("PRD Complete, Ready for Implementation", Some(Phase::Implementation)),
            ("PRD Complete - Ready for Implementation (after prerequisites)", Some(Phase::Implementation)),
            ("Planning Complete", Some(Phase::Implementation)),
            ("Phase 1 - Planning & Research ✅", Some(Phase::Implementation)),
            ("PRD (Product Requirements and Design) Complete", Some(Phase::Implementation)),
            ("PRD and tasks created, implementation not started", Some(Phase::Implementation)),
            ("PRD Complete, Awaiting Implementation", Some(Phase::Implementation)),
            ("Implementation (Phase 2/3)", Some(Phase::Implementation)),
            ("Implementation Complete", Some(Phase::Implementation)),
            ("Implemented (Phase 1)", Some(Phase::Implementation)),
            ("Implementation in progress – scaffolding and first tests added", Some(Phase::Implementation)),
            ("Implementation Complete (Testing Pending)", Some(Phase::Testing)),
            ("Implemented (Pending Tests)", Some(Phase::Testing)),
            ("Implementation Complete - Testing Passed", Some(Phase::Testing)),
            ("✅ IMPLEMENTATION COMPLETE - Ready for manual verification", Some(Phase::Testing)),
            ("Core implementation mostly complete (docs outstanding)", Some(Phase::Docs)),
            ("Documentation", Some(Phase::Docs)),
            ("docs", Some(Phase::Docs)),
            ("Quality Gate", Some(Phase::Qa)),
            ("QA", Some(Phase::Qa)),
            ("Complete", Some(Phase::Qa)),
            ("COMPLETED", Some(Phase::Qa)),
            ("done", Some(Phase::Qa)),
            ("archived", Some(Phase::Archived)),
            ("Phase 1 Complete ✅ | Ready for Phase 2", None),
            ("11.3", None),
            ("Active", None),
            ("In Progress (Revised)", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(phase_of(text), want, "{text}");
        }
        for p in Phase::ALL {
            assert_eq!(phase_of(p.as_str()), Some(p));
        }
    }

    #[test]
    fn field_forms() {
        for line in [
            "**Status**: Draft",
            "**Status:** Draft",
            "- **Status**: Draft",
            "* Status: Draft",
            "Status: Draft",
            "| **Status** | Draft |",
            "|Status|Draft|",
            "__Status__: Draft",
        ] {
            assert_eq!(field_value(line, "status"), Some("Draft"), "{line}");
        }
        for line in ["Statuses: x", "**Status Refresh**: x", "1. [q] - **Status**: x", "| Phase | Effort |", "Status"] {
            assert_eq!(field_value(line, "status"), None, "{line}");
        }
        assert_eq!(
            field_value("| **Current phase** | Ready for Implementation |", "current phase"),
            Some("Ready for Implementation")
        );
    }

    #[test]
    fn reads_recovery_first_and_the_most_specific_label() {
        let recovery = "# Recovery\n\n**Status**: Planning Complete\n**Phase**: Phase 1 Complete, Ready for Phase 2\n";
        let got = read_phase(Some(recovery), Some("**Status**: Draft\n")).unwrap();
        // The Phase field names no phase the kit knows, so the Status field decides.
        assert_eq!((got.doc, got.line, got.phase), (Doc::Recovery, 3, Some(Phase::Implementation)));
        let kit = "**Status**: [where the work stands]\n\n**Current Phase**: testing\n";
        assert_eq!(read_phase(Some(kit), None).unwrap().phase, Some(Phase::Testing));
        // The kit's own field is taken at its word.
        let unknown =
            read_phase(Some("**Current Phase**: somewhere\n**Status**: Draft\n"), Some("**Status**: Draft\n"));
        assert_eq!(unknown.map(|l| (l.line, l.phase)), Some((1, None)));
        let prd_only =
            read_phase(Some("# Recovery\n\nNothing here.\n"), Some("# PRD\n\n- **Status**: Draft\n")).unwrap();
        assert_eq!((prd_only.doc, prd_only.line, prd_only.phase), (Doc::Prd, 3, Some(Phase::Prd)));
        assert_eq!(read_phase(Some("# R\n"), Some("# P\n")), None);
        assert_eq!(read_phase(None, None), None);
    }

    #[test]
    fn unmapped_lines_are_reported_with_their_place() {
        let got =
            read_phase(Some("# R\n\n- Status: In progress; proxy ready.\n"), Some("**Status**: Active\n")).unwrap();
        assert_eq!((got.doc, got.line, got.phase), (Doc::Recovery, 3, None));
        assert_eq!(got.text, "- Status: In progress; proxy ready.");
    }

    #[test]
    fn headings_and_their_first_line() {
        let text = "# R\n\n## Current Phase\n\nPhase 3 (Implementation) - COMPLETE\n";
        assert_eq!(phase_in(text), Some((Phase::Implementation, 5)));
        let text = "# R\n\n## 🚦 **Current State**\n---\nPRD complete. Ready for implementation.\n";
        assert_eq!(phase_in(text), Some((Phase::Implementation, 5)));
        let text = "## Current Status\n\n**Phase**: Complete\n";
        assert_eq!(phase_in(text), Some((Phase::Qa, 3)));
        let text = "## Current State\n\n## Next\nPlanning\n";
        assert_eq!(phase_in(text), None);
    }

    #[test]
    fn headings_are_the_markdown_readers() {
        // A `#` line in a code block neither is a heading nor ends the section.
        let text = "```python\n# Current Phase\n```\nDraft\n";
        assert_eq!(phase_in(text), None);
        let text = "## Current Phase\n\n```text\n# a comment\n```\nTesting in progress\n";
        assert_eq!(phase_in(text), Some((Phase::Testing, 6)));
        // A setext heading: its underline is not the first line under it.
        let text = "Current Phase\n=============\n\nImplementation\n";
        assert_eq!(phase_in(text), Some((Phase::Implementation, 4)));
    }

    #[test]
    fn code_and_comments_are_not_read() {
        let text = "```markdown\n**Current Phase**: testing\n```\n<!--\n**Phase**: docs\n-->\n**Status**: Draft\n";
        assert_eq!(phase_in(text), Some((Phase::Prd, 7)));
    }

    #[test]
    fn only_the_first_field_of_a_label_counts() {
        let text = "**Status**: Active\n\n### Requirement 1\n**Status**: Ready for implementation\n";
        assert_eq!(phase_in(text), None);
    }
}
