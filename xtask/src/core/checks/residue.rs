//! `residue`: placeholders left from the template. An author placeholder of the
//! template (`[Feature Name]`, `[What problem does this solve?]`) anywhere in
//! the prose, a `{name}` or `{{name}}` placeholder, or a `[TODO]`-style marker,
//! each reported at its line. Code, inline code and comments are not prose.
use crate::core::checks::{excerpt, DocInput};
use crate::core::finding::Finding;
use crate::core::rules::placeholders_in;

pub fn check(d: &DocInput) -> Vec<Finding> {
    let mask = d.md.non_text_mask();
    let prose_mask = d.md.non_prose_mask();
    let mut out = Vec::new();
    // Only lines holding a bracket or brace can hold a placeholder; find them
    // with the standard library's fast single-character search.
    let mut lines: Vec<usize> =
        d.md.text.match_indices('[').chain(d.md.text.match_indices('{')).map(|(i, _)| i).collect();
    lines.sort_unstable();
    let mut lines: Vec<usize> = lines.into_iter().map(|at| d.md.line_of(at)).collect();
    lines.dedup();
    for line in lines {
        let text = d.md.masked_line(line, &mask);
        let found: Vec<&str> = placeholders_in(&text)
            .into_iter()
            .filter(|p| p.starts_with('{') || d.template.placeholders.contains(*p) || is_marker(p))
            .collect();
        if found.is_empty() {
            let prose = d.md.masked_line(line, &prose_mask);
            let prose = prose.trim();
            if d.template.placeholder_lines.contains(prose) {
                out.push(
                    Finding::fail(
                        "residue",
                        "placeholder",
                        format!(
                            "line left as the template wrote it: `{}`; fill in its placeholder",
                            excerpt(prose, 80)
                        ),
                    )
                    .at(&d.file, Some(line))
                    .measure(1.0, 0.0),
                );
            }
            continue;
        }
        let list = found.iter().map(|p| format!("`{}`", excerpt(p, 60))).collect::<Vec<_>>().join(", ");
        let noun = if found.len() == 1 { "placeholder" } else { "placeholders" };
        out.push(
            Finding::fail(
                "residue",
                "placeholder",
                format!("{noun} {list} left from the template; replace with the real content"),
            )
            .at(&d.file, Some(line))
            .measure(found.len() as f64, 0.0),
        );
    }
    if out.is_empty() {
        out.push(
            Finding::pass("residue", "placeholder", format!("{}: no placeholder left", d.doc.rel_path()))
                .at(&d.file, None),
        );
    }
    out
}

/// `[TODO]`, `[TBD: owner]`, `[FIXME]`: markers that mean "not written yet".
fn is_marker(p: &str) -> bool {
    let inner = p.trim_start_matches('[').trim_end_matches(']').trim();
    let head: String = inner.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    matches!(head.as_str(), "TODO" | "TBD" | "FIXME" | "XXX")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;
    use crate::core::finding::Status;

    const TEMPLATE: &str = "# PRD: {{feature}}\n\n**Workspace**: specs/active/{{slug}}/\n\n## Overview\n\n\
                            [What problem does this solve?]\n\n| Risk | Impact |\n|---|---|\n| [Risk] | [High/Low] |\n";

    fn lines(filled: &str) -> Vec<(Status, Option<usize>, String)> {
        with_doc(TEMPLATE, filled, check).into_iter().map(|f| (f.status, f.line, f.message)).collect()
    }

    #[test]
    fn reports_each_line_with_a_placeholder() {
        let filled = "# PRD: Thing\n\n**Workspace**: specs/active/thing/\n\n## Overview\n\n\
                      [What problem does this solve?]\n\nWe load {count} rows.\n\n| [Risk] | [High/Low] |\n\
                      Still [TODO: numbers].\n";
        let got = lines(filled);
        let at: Vec<Option<usize>> = got.iter().map(|g| g.1).collect();
        assert_eq!(at, [Some(7), Some(9), Some(11), Some(12)]);
        assert!(got[2].2.starts_with("placeholders `[Risk]`, `[High/Low]` left"), "{}", got[2].2);
    }

    #[test]
    fn links_boxes_code_and_comments_are_not_residue() {
        let filled = "# PRD: Thing\n\nSee [the docs](http://x) - [x] done <!-- [What problem does this solve?] -->\n\n\
                      `{slug}` in code\n\n```python\nd = {slug}\nx = [Risk]\n```\nA [Bracketed aside] is fine.\n";
        let got = lines(filled);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, Status::Pass);
    }

    #[test]
    fn a_template_line_with_a_placeholder_in_code_is_residue_when_unchanged() {
        let template = "# T\n\n- Files: `[src/... paths]`\n";
        let got = with_doc(template, "# T\n\n- Files: `[src/... paths]`\n- Files: `src/a.py`\n", check);
        let at: Vec<(Status, Option<usize>)> = got.iter().map(|f| (f.status, f.line)).collect();
        assert_eq!(at, [(Status::Fail, Some(3))]);
    }

    #[test]
    fn a_left_tool_placeholder_is_residue() {
        let got = lines("# PRD: {{feature}}\n");
        assert_eq!((got[0].0, got[0].1), (Status::Fail, Some(1)));
    }
}
