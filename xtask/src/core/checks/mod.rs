//! The document checks, one module per check id. Each takes parsed data (a
//! document and its template's rules, or facts the host gathered) and returns
//! findings; none reads a file or starts a process.
use crate::core::markdown::Markdown;
use crate::core::phase_line::PhaseLine;
use crate::core::rules::{find_normalized, normalize_section, TemplateRules};
use crate::core::tasks::TaskList;
use crate::core::workspace::{Doc, DocFile};

pub mod api_docs;
pub mod criteria;
pub mod diagram;
pub mod env_templates;
pub mod evidence;
pub mod git_clean;
pub mod proven;
pub mod research;
pub mod residue;
pub mod rules;
pub mod snippets;
pub mod structure;
pub mod tasks;
pub mod words;

/// One workspace as the workspace checks see it.
pub struct WorkspaceInput<'a> {
    /// The workspace folder, relative to the repository root.
    pub dir: String,
    /// Neither `--phase` nor its documents named a phase (gated as prd).
    pub phase_unknown: bool,
    /// The line its phase was read from, when one was found.
    pub phase_read: Option<PhaseLine>,
    /// Its documents as read, in [`Doc::ALL`] order.
    pub files: &'a [DocFile],
    /// tasks.md (root-relative path) and its task list, when it is text.
    pub tasks: Option<(String, TaskList)>,
}

/// One filled document of a workspace, with the rules of its template.
pub struct DocInput<'a> {
    pub doc: Doc,
    /// Path relative to the repository root, for findings.
    pub file: String,
    pub md: &'a Markdown<'a>,
    pub template: &'a TemplateRules,
    /// The document's headings as section names are compared.
    sections: Vec<String>,
}

impl<'a> DocInput<'a> {
    pub fn new(doc: Doc, file: String, md: &'a Markdown<'a>, template: &'a TemplateRules) -> DocInput<'a> {
        let sections = md.headings.iter().map(|h| normalize_section(&h.text)).collect();
        DocInput { doc, file, md, template, sections }
    }

    /// The lines `[first, last]` of a section, and its heading line; None when
    /// the document has no such heading.
    pub fn section(&self, name: &str, ordinal: usize) -> Option<Section> {
        let idx = find_normalized(&self.sections, name, ordinal)?;
        let (first, last) = self.md.section_lines(idx);
        Some(Section { heading_line: first, first, last })
    }

    /// Lines `[first, last]` of `section`, or of the whole document when None.
    pub fn scope(&self, section: Option<&str>) -> Option<Section> {
        match section {
            Some(name) => self.section(name, 0),
            None => Some(Section { heading_line: 1, first: 1, last: self.md.line_count().max(1) }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub heading_line: usize,
    pub first: usize,
    pub last: usize,
}

impl Section {
    pub fn contains(&self, line: usize) -> bool {
        (self.first..=self.last).contains(&line)
    }
}

/// `"text"` cut to `max` characters for a message.
pub fn excerpt(text: &str, max: usize) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= max {
        t
    } else {
        let cut: String = t.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A section named in a message: `section "Architecture"`, or `the document`.
pub fn scope_name(section: Option<&str>) -> String {
    match section {
        Some(s) => format!("section \"{s}\""),
        None => "the document".to_string(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the checks' unit tests.
    use super::*;

    /// Run `f` on `filled` checked against `template`.
    pub fn with_doc<R>(template: &str, filled: &str, f: impl FnOnce(&DocInput) -> R) -> R {
        let rules = TemplateRules::parse("templates/prd.md", template).expect("template parses");
        let md = Markdown::parse(filled);
        let input = DocInput::new(Doc::Prd, "specs/active/x/prd.md".into(), &md, &rules);
        f(&input)
    }
}

/// The property the gate promises on hostile input: markdown parsing, template
/// rules and every document check never panic, whatever the text. Documents
/// are built from fragments that stress CommonMark's edges (nested and
/// unterminated fences, comments, containers, line endings, multi-byte text),
/// by a deterministic generator so a failure reproduces.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::core::checks::snippets::{self, Compiled, RefFile};
    use crate::rng::Rng;
    use std::collections::HashMap;

    const FRAGMENTS: &[&str] = &[
        "# Title\n",
        "## Overview (300+ words)\n",
        "### Pattern 1: [name]\n",
        "## Acceptance Criteria\n",
        "Setext\n---\n",
        "```python\n",
        "```\n",
        "~~~py3\n",
        "~~~\n",
        "````\n",
        "    indented = 1\n",
        "> ```pycon\n> >>> x = 1\n",
        "- [ ] **AC1**: [criterion]\n",
        "  - nested 5 items\n",
        "1) ordered < 3\n",
        "<!-- gate: words >= 10 -->\n",
        "<!-- gate: items >= 2 under \"Acceptance Criteria\"; measurable under \"Acceptance Criteria\" -->\n",
        "<!-- gate: headings \"### Pattern\" >= 1; diagram under \"Overview\"; verified-snippets -->\n",
        "<!-- gate: skip-snippet reason -->\n",
        "<!--\n",
        "-->\n",
        "--->\n",
        "<!-- gate: bogus -->\n",
        "# VERIFIED: src/a.py:1-3\n",
        "# VERIFIED: ../x:1\n",
        "# VERIFIED: a.py:99999999999999999999999\n",
        "# VERIFIED: /etc/passwd:1-2\n",
        "return 1\n",
        ">>> await x\n",
        "... y\n",
        "{slug} {{date}} [TODO]\n",
        "[link](http://x) [x] [^1] [a][b]\n",
        "| a | b |\n|---|---|\n| [c] | d |\n",
        "┌─┐\n│ │\n└▼┘\n",
        "é ü ß 漢字 🚀\n",
        "\r\n",
        "\r",
        "\t\tx\n",
        "\u{feff}",
        "*",
        "`",
        "[",
        "{",
        "<",
        "\\",
        " ",
        "\n",
        "<div>\n<!-- c -->\n</div>\n",
        "[ref]: http://x\n",
        "**AC2:** Tests pass\n",
        "x = \"a # b\"  # c\n",
        "- [x] **AC9**: `t.py::test_a` `t.py::test_a[1]` `[t.py::x]`\n",
        "  - File: `src/a.py`, `*.py`, `../x`\n",
    ];

    fn document(rng: &mut Rng) -> String {
        let mut s = String::new();
        for _ in 0..rng.below(60) {
            if rng.below(10) == 0 {
                // Random characters, multi-byte included.
                for _ in 0..rng.below(20) {
                    let c = char::from_u32(rng.below(0x3000) as u32).unwrap_or('?');
                    s.push(c);
                }
            } else {
                s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
        }
        s
    }

    /// `XTASK_FUZZ_ITERATIONS=N XTASK_FUZZ_SEED=S cargo test --release -p xtask --lib
    /// fuzz` runs longer or other sequences; the default keeps `cargo test` quick.
    #[test]
    fn markdown_rules_and_checks_never_panic() {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        let iterations = env("XTASK_FUZZ_ITERATIONS").unwrap_or(3000);
        let mut rng = Rng::from_state(env("XTASK_FUZZ_SEED").unwrap_or(0x5eed_1234_abcd_ef01));
        let template_text = "# T\n<!-- gate: words >= 10; items >= 2 under \"Acceptance Criteria\"; \
                             measurable under \"Acceptance Criteria\"; headings \"### Pattern\" >= 1; \
                             diagram under \"Overview\"; verified-snippets; \
                             proven under \"Acceptance Criteria\" from testing -->\n## Overview (5+ words)\n\
                             [placeholder]\n## Acceptance Criteria\n- [ ] [criterion]\n";
        let fixed = TemplateRules::parse("t", template_text).unwrap();
        let refs: HashMap<String, RefFile> =
            [("src/a.py".to_string(), RefFile::Lines(vec!["x".into(), "return 1".into()]))].into_iter().collect();
        let outcomes = crate::core::outcomes::Outcomes::from_json(
            r#"{"version": 1, "tests": [{"nodeid": "t.py::test_a[1]", "outcome": "failed", "line": 3}]}"#,
        )
        .unwrap();
        let changed = vec!["src/a.py".to_string()];
        for _ in 0..iterations {
            let text = document(&mut rng);
            // As a template: rules or a clean error, never a panic.
            let as_template = TemplateRules::parse("t", &text);
            let md = Markdown::parse(&text);
            for template in [Some(&fixed), as_template.as_ref().ok()].into_iter().flatten() {
                let input = DocInput::new(Doc::Prd, "f.md".into(), &md, template);
                let _ = residue::check(&input);
                let _ = words::check(&input);
                let _ = criteria::check(&input);
                let _ = diagram::check(&input);
                let _ = research::check(&input);
                let _ = proven::check(&input, crate::core::phase::Phase::Qa, proven::TestRun::Recorded(&outcomes));
                let _ = proven::check(&input, crate::core::phase::Phase::Testing, proven::TestRun::Unrecorded("x"));
            }
            let tasks = crate::core::tasks::parse(&text);
            let change = evidence::Change { files: &changed, deleted: &[], since: "main", absent: &[] };
            let _ = evidence::check("t.md", &tasks, &change);
            let blocks = snippets::extract(&md);
            let compiled: Vec<Compiled> = blocks
                .iter()
                .enumerate()
                .map(|(i, b)| match i % 3 {
                    0 => Compiled::Ok,
                    1 => Compiled::Error { line: Some(b.first_line + rng.below(5)), message: "x".into() },
                    _ => Compiled::Error { line: None, message: "y".into() },
                })
                .collect();
            let _ = snippets::check("f.md", &blocks, &compiled, &refs, true);
            for i in 0..md.headings.len() {
                let (first, last) = md.section_lines(i);
                assert!(first <= last);
            }
            for (line, _) in md.masked_lines(&md.non_text_mask()) {
                assert!(line <= md.line_count());
            }
        }
    }
}
