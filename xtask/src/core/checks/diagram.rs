//! `diagram`: `diagram [under "SECTION"]` — a fenced block of 3+ lines with box
//! or arrow characters (Unicode box drawing and arrows, or ASCII `+--+`, `|`,
//! `-->`), not the template's own example left as it was, and not code.
use crate::core::checks::{scope_name, DocInput};
use crate::core::finding::Finding;
use crate::core::markdown::CodeBlock;
use crate::core::rules::Rule;

/// Info strings a diagram may carry; anything else (python, bash) is code.
const DIAGRAM_LANGS: [&str; 9] = ["", "text", "txt", "ascii", "diagram", "plain", "plaintext", "svgbob", "ditaa"];

pub fn check(d: &DocInput) -> Vec<Finding> {
    let mut out = Vec::new();
    for declared in &d.template.rules {
        let Rule::Diagram { section } = &declared.rule else { continue };
        let where_ = scope_name(section.as_deref());
        // A missing section is reported once by `structure`.
        let Some(s) = d.scope(section.as_deref()) else { continue };
        let found =
            d.md.blocks
                .iter()
                .filter(|b| s.contains(b.open_line))
                .find(|b| is_diagram(b) && !d.template.block_contents.contains(b.code.trim()));
        out.push(match found {
            Some(b) => {
                Finding::pass("diagram", "diagram", format!("{where_} has a diagram")).at(&d.file, Some(b.open_line))
            }
            None => Finding::fail(
                "diagram",
                "diagram",
                format!(
                    "{where_} has no ASCII diagram; add a fenced block of 3+ lines drawn with box or arrow characters \
                     (┌─┐ │ ▼ or +--+ | -->)"
                ),
            )
            .at(&d.file, Some(s.heading_line)),
        });
    }
    out
}

pub fn is_diagram(b: &CodeBlock) -> bool {
    if !b.fenced || !DIAGRAM_LANGS.contains(&b.lang().as_str()) {
        return false;
    }
    let lines: Vec<&str> = b.code.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.len() >= 3 && lines.iter().any(|l| has_drawing(l))
}

fn has_drawing(line: &str) -> bool {
    let unicode = line.chars().any(
        |c| matches!(c as u32, 0x2190..=0x21FF | 0x2500..=0x259F | 0x25B2..=0x25C4 | 0x27F0..=0x27FF | 0x2900..=0x297F),
    );
    unicode || ["->", "<-", "+-", "-+", "|", "=>", "^"].iter().any(|p| line.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;
    use crate::core::finding::Status;

    const TEMPLATE: &str = "# PRD\n<!-- gate: diagram under \"Architecture\" -->\n\n## Architecture\n\n```\n[A] --> [B]\n  |\n [C]\n```\n\n## Other\n";

    fn status(filled: &str) -> (Status, Option<usize>) {
        let f = with_doc(TEMPLATE, filled, check);
        assert_eq!(f.len(), 1);
        (f[0].status, f[0].line)
    }

    #[test]
    fn finds_box_and_ascii_diagrams_in_the_section() {
        let unicode = "# PRD\n\n## Architecture\n\n```\n┌───┐\n│ A │\n└─┬─┘\n```\n";
        assert_eq!(status(unicode), (Status::Pass, Some(5)));
        let ascii = "# PRD\n\n## Architecture\n\n```text\nclient\n  |\nserver --> db\n```\n";
        assert_eq!(status(ascii), (Status::Pass, Some(5)));
    }

    #[test]
    fn code_short_blocks_other_sections_and_the_template_example_do_not_count() {
        let python = "# PRD\n\n## Architecture\n\n```python\na = b | c\nx -> y\nz\n```\n";
        assert_eq!(status(python), (Status::Fail, Some(3)));
        let short = "# PRD\n\n## Architecture\n\n```\nA --> B\n```\n";
        assert_eq!(status(short), (Status::Fail, Some(3)));
        let elsewhere = "# PRD\n\n## Architecture\n\ntext\n\n## Other\n\n```\nA\n|\nB\n```\n";
        assert_eq!(status(elsewhere), (Status::Fail, Some(3)));
        let untouched = "# PRD\n\n## Architecture\n\n```\n[A] --> [B]\n  |\n [C]\n```\n";
        assert_eq!(status(untouched), (Status::Fail, Some(3)));
        // A missing section is structure's finding, not this check's.
        assert!(with_doc(TEMPLATE, "# PRD\n", check).is_empty());
    }
}
