//! `words`: prose minimums of documents (`words >= N`) and sections (headings
//! ending in `(N+ words)`). Prose leaves out code blocks, HTML comments and
//! lines left as the template had them; the raw `wc -w` figure is reported too.
use crate::core::checks::DocInput;
use crate::core::finding::Finding;
use std::borrow::Cow;

use crate::core::markdown::{count_tokens, prose_words, raw_words};
use crate::core::rules::Rule;

/// Counted and raw words per line, as prefix sums (index = 1-based line).
pub struct WordCounts {
    counted: Vec<u64>,
    raw: Vec<u64>,
}

impl WordCounts {
    pub fn of(d: &DocInput) -> WordCounts {
        let n = d.md.line_count();
        let mut counted = Vec::with_capacity(n + 1);
        let mut raw = Vec::with_capacity(n + 1);
        counted.push(0);
        raw.push(0);
        let mask = d.md.non_prose_mask();
        let (mut c, mut r) = (0u64, 0u64);
        for (line, text) in d.md.masked_lines(&mask) {
            let trimmed = text.trim();
            let prose = !trimmed.is_empty() && !d.template.is_residue_line(trimmed);
            if prose && matches!(text, Cow::Borrowed(_)) {
                // Nothing masked: one pass gives both figures.
                let (raw, words) = count_tokens(&text);
                r += raw as u64;
                c += words as u64;
            } else {
                if prose {
                    c += prose_words(trimmed) as u64;
                }
                r += raw_words(d.md.line(line)) as u64;
            }
            counted.push(c);
            raw.push(r);
        }
        WordCounts { counted, raw }
    }

    /// (counted, raw) words on lines `[first, last]`.
    pub fn between(&self, first: usize, last: usize) -> (u64, u64) {
        let n = self.counted.len() - 1;
        let last = last.min(n);
        if first == 0 || first > last {
            return (0, 0);
        }
        (self.counted[last] - self.counted[first - 1], self.raw[last] - self.raw[first - 1])
    }

    pub fn total(&self) -> (u64, u64) {
        (*self.counted.last().unwrap_or(&0), *self.raw.last().unwrap_or(&0))
    }
}

pub fn check(d: &DocInput) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut counts: Option<WordCounts> = None;
    for declared in &d.template.rules {
        match &declared.rule {
            Rule::DocumentWords { min: own } => {
                // One truth: the sections' minimums may add up to more.
                let min = &d.template.document_minimum().unwrap_or(*own).max(*own);
                let why = if min > own {
                    format!(
                        " (the sum of its sections' minimums; the template's own `words >= {own}` at {}:{} is lower)",
                        d.template.source, declared.line
                    )
                } else {
                    String::new()
                };
                let (counted, raw) = counts.get_or_insert_with(|| WordCounts::of(d)).total();
                let f = if counted >= *min {
                    Finding::pass(
                        "words",
                        "document",
                        format!("{} has {counted} words (needs {min}{why})", d.doc.rel_path()),
                    )
                } else {
                    Finding::fail(
                        "words",
                        "document",
                        format!(
                            "{} has {counted} words of prose, needs {min}{why} (raw wc -w: {raw}; code, comments \
                             and template lines do not count)",
                            d.doc.rel_path()
                        ),
                    )
                };
                out.push(f.at(&d.file, Some(1)).measure(counted as f64, *min as f64).with("raw", raw));
            }
            Rule::SectionWords { section, heading, ordinal, min } => {
                // A missing section is reported once by `structure`.
                let Some(s) = d.section(section, *ordinal) else { continue };
                let (counted, raw) = counts.get_or_insert_with(|| WordCounts::of(d)).between(s.first + 1, s.last);
                let f = if counted >= *min {
                    Finding::pass(
                        "words",
                        "section",
                        format!("section \"{heading}\" has {counted} words (needs {min})"),
                    )
                } else {
                    Finding::fail(
                        "words",
                        "section",
                        format!("section \"{heading}\" has {counted} words, needs {min} (raw wc -w: {raw})"),
                    )
                };
                out.push(f.at(&d.file, Some(s.heading_line)).measure(counted as f64, *min as f64).with("raw", raw));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;
    use crate::core::finding::Status;

    const TEMPLATE: &str = "# PRD: {{feature}}\n<!-- gate: words >= 12 -->\n\n## Overview (5+ words)\n\n\
                            [Describe the overview]\n\n### Detail (3+ words)\n\nTemplate sentence kept as is.\n\n\
                            ## Other\n";

    #[test]
    fn counts_prose_not_code_comments_or_template_lines() {
        let filled = "# PRD: Fast things\n\n## Overview (5+ words)\n\none two three <!-- four five six -->\n\n\
                      ```python\nseven = eight\n```\n\n### Detail (3+ words)\n\nTemplate sentence kept as is.\n\
                      alpha beta gamma\n\n## Other\n\nx y z w v u\n";
        let findings = with_doc(TEMPLATE, filled, check);
        let got: Vec<(String, Status, Option<usize>, f64, i64)> = findings
            .iter()
            .map(|f| (f.rule.clone(), f.status, f.line, f.measured.unwrap(), f.extra["raw"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("document".into(), Status::Pass, Some(1), 12.0, 41),
                ("section".into(), Status::Pass, Some(3), 6.0, 25),
                ("section".into(), Status::Pass, Some(11), 3.0, 8),
            ]
        );
        assert!(findings[0].message.contains("has 12 words (needs 12)"), "{}", findings[0].message);
    }

    #[test]
    fn the_document_minimum_is_at_least_the_sum_of_its_sections() {
        let template = "# A\n<!-- gate: words >= 3 -->\n## One (2+ words)\n## Two (4+ words)\n";
        let filled = "# A\n## One (2+ words)\na b\n## Two (4+ words)\nc d\n";
        let findings = with_doc(template, filled, check);
        let doc = &findings[0];
        assert_eq!((doc.status, doc.measured, doc.required), (Status::Fail, Some(4.0), Some(6.0)));
        assert!(doc.message.contains("needs 6 (the sum of its sections' minimums"), "{}", doc.message);
        assert!(doc.message.contains("`words >= 3` at templates/prd.md:2 is lower"), "{}", doc.message);
    }

    #[test]
    fn thin_and_missing_sections_fail_at_their_heading() {
        let filled = "# PRD: X\n\n## Overview\n\njust four words here\n";
        let findings = with_doc(TEMPLATE, filled, check);
        let overview = &findings[1];
        assert_eq!((overview.status, overview.line), (Status::Fail, Some(3)));
        assert_eq!(overview.message, "section \"Overview\" has 4 words, needs 5 (raw wc -w: 4)");
        // The missing "Detail" section is structure's finding.
        assert_eq!(findings.len(), 2);
    }
}
