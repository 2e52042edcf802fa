//! A spec workspace: `specs/active/{slug}/` (or `specs/archive/{slug}/`) and its
//! five documents.

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
    pub fn builtin_template(self) -> &'static str {
        match self {
            Doc::Prd => include_str!("../../../templates/prd.md"),
            Doc::Analysis => include_str!("../../../templates/research/analysis.md"),
            Doc::Plan => include_str!("../../../templates/research/plan.md"),
            Doc::Tasks => include_str!("../../../templates/tasks.md"),
            Doc::Recovery => include_str!("../../../templates/recovery.md"),
        }
    }
}

/// The phase named on recovery.md's `**Current Phase**:` line, and that line
/// (1-based). None when the line is missing or names no phase we know.
pub fn current_phase(recovery: &str) -> Option<(crate::spec::phase::Phase, usize)> {
    recovery.lines().enumerate().find_map(|(i, line)| {
        let rest = line.trim_start().trim_start_matches(['-', '*', ' ']).trim_start();
        let value = strip_prefix_ci(rest, "current phase")?.trim_start_matches(['*', ':', ' ']);
        Some((crate::spec::phase::Phase::parse(value)?, i + 1))
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::phase::Phase;

    #[test]
    fn reads_the_current_phase_line() {
        assert_eq!(current_phase("# R\n\n**Current Phase**: implementation\n"), Some((Phase::Implementation, 3)));
        assert_eq!(current_phase("**current phase**: Planning Complete -> Ready"), Some((Phase::Prd, 1)));
        assert_eq!(current_phase("- **Current Phase:** QA"), Some((Phase::Qa, 1)));
        assert_eq!(current_phase("no phase here"), None);
        assert_eq!(current_phase("**Current Phase**: [Planning | Research]"), Some((Phase::Prd, 1)));
    }

    /// The templates folder of this repository and the copies built into the
    /// binary are the same files, and each carries the tool's placeholders.
    #[test]
    fn builtin_templates_match_the_templates_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
        for doc in Doc::ALL {
            let on_disk = std::fs::read_to_string(dir.join(doc.rel_path())).unwrap();
            assert_eq!(on_disk, doc.builtin_template(), "templates/{} differs from the built-in copy", doc.rel_path());
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

    /// The rules the shipped templates declare: DESIGN section 4's numbers, in
    /// its grammar.
    #[test]
    fn templates_declare_the_seed_numbers() {
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
        assert_eq!(rules(analysis), ["words >= 4500", "verified-snippets"]);
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
        assert!(rules(Doc::Tasks.builtin_template()).is_empty());
        assert!(rules(Doc::Recovery.builtin_template()).is_empty());
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
}
