//! The document checks, one module per check id. Each takes parsed data (a
//! document and its template's rules, or facts the host gathered) and returns
//! findings; none reads a file or starts a process.
use crate::spec::markdown::Markdown;
use crate::spec::rules::{find_section, TemplateRules};
use crate::spec::workspace::Doc;

pub mod criteria;
pub mod diagram;
pub mod git_clean;
pub mod research;
pub mod residue;
pub mod snippets;
pub mod structure;
pub mod words;

/// One filled document of a workspace, with the rules of its template.
pub struct DocInput<'a> {
    pub doc: Doc,
    /// Path relative to the repository root, for findings.
    pub file: String,
    pub md: &'a Markdown<'a>,
    pub template: &'a TemplateRules,
}

impl DocInput<'_> {
    /// The lines `[first, last]` of a section, and its heading line; None when
    /// the document has no such heading.
    pub fn section(&self, name: &str, ordinal: usize) -> Option<Section> {
        let idx = find_section(self.md, name, ordinal)?;
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
        let input = DocInput { doc: Doc::Prd, file: "specs/active/x/prd.md".into(), md: &md, template: &rules };
        f(&input)
    }
}
