//! `research`: `headings "PREFIX" >= N [under "SECTION"]` — e.g. plan.md's
//! `### Pattern` and `### Library` counts. PREFIX includes the `#`s and is
//! compared case-insensitively with each heading written the ATX way; headings
//! left as the template had them do not count.
use crate::core::checks::{scope_name, DocInput};
use crate::core::finding::Finding;
use crate::core::rules::Rule;

pub fn check(d: &DocInput) -> Vec<Finding> {
    let mut out = Vec::new();
    for declared in &d.template.rules {
        let Rule::Headings { prefix, min, section } = &declared.rule else { continue };
        let where_ = scope_name(section.as_deref());
        // A missing section is reported once by `structure`.
        let Some(s) = d.scope(section.as_deref()) else { continue };
        let want = normalize(prefix);
        let n =
            d.md.headings
                .iter()
                .filter(|h| s.contains(h.line) && normalize(&h.atx()).starts_with(&want))
                .filter(|h| !d.template.is_residue_line(d.md.line(h.line).trim()))
                .count() as u64;
        let f = if n >= *min {
            Finding::pass("research", "headings", format!("{where_} has {n} headings \"{prefix}\" (needs {min})"))
        } else {
            Finding::fail("research", "headings", format!("{where_} has {n} headings \"{prefix}\", needs {min}"))
        };
        out.push(f.at(&d.file, Some(s.heading_line)).measure(n as f64, *min as f64));
    }
    out
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;
    use crate::core::finding::Status;

    const TEMPLATE: &str = "# Plan\n<!-- gate: headings \"### Pattern\" >= 2 under \"Internal Patterns\"; headings \"### Library\" >= 1 -->\n\n\
                            ## Internal Patterns\n\n### Pattern 1: [Pattern Name]\n\n## Libraries\n";

    #[test]
    fn counts_headings_by_prefix_in_scope() {
        let filled = "# Plan\n\n## Internal Patterns\n\n### Pattern 1: [Pattern Name]\n### pattern 2: Factory\n\
                      #### Pattern 3: too deep\n\n## Libraries\n\n### Pattern 4: outside\nLibrary 1: setext\n---\n";
        let f = with_doc(TEMPLATE, filled, check);
        let got: Vec<(Status, Option<usize>, Option<f64>)> = f.iter().map(|f| (f.status, f.line, f.measured)).collect();
        assert_eq!(got, [(Status::Fail, Some(3), Some(1.0)), (Status::Fail, Some(1), Some(0.0))]);
        let filled = "# Plan\n## Internal Patterns\n### Pattern A\n### Pattern B\n### Library: httpx\n";
        let f = with_doc(TEMPLATE, filled, check);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:?}");
    }
}
