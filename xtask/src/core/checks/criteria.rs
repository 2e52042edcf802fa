//! `criteria`: `items >= N under "SECTION"` and `measurable under "SECTION"`.
//! Items are the section's outermost list items, not counting items left as the
//! template had them. An item is measurable when it states a number, a
//! percentage, a comparison (`<` `<=` `>=` `>` `≤` `≥`) or a checkable
//! quantifier (all, every, zero, no, none) with an object.
use crate::core::checks::{excerpt, DocInput, Section};
use crate::core::finding::Finding;
use crate::core::markdown::ListItem;
use crate::core::rules::Rule;

pub fn check(d: &DocInput) -> Vec<Finding> {
    let mut out = Vec::new();
    for declared in &d.template.rules {
        match &declared.rule {
            Rule::Items { min, section } => {
                let Some(s) = d.section(section, 0) else {
                    out.push(missing(d, section, declared.line).measure(0.0, *min as f64));
                    continue;
                };
                let n = items(d, s).len() as u64;
                let f = if n >= *min {
                    Finding::pass("criteria", "count", format!("section \"{section}\" has {n} items (needs {min})"))
                } else {
                    Finding::fail("criteria", "count", format!("section \"{section}\" has {n} items, needs {min}"))
                };
                out.push(f.at(&d.file, Some(s.heading_line)).measure(n as f64, *min as f64));
            }
            Rule::Measurable { section } => {
                let Some(s) = d.section(section, 0) else {
                    out.push(missing(d, section, declared.line));
                    continue;
                };
                let all = items(d, s);
                let vague: Vec<&&ListItem> = all.iter().filter(|i| !is_measurable(item_claim(&i.text))).collect();
                for item in &vague {
                    out.push(
                        Finding::fail(
                            "criteria",
                            "measurable",
                            format!(
                                "criterion is not measurable: \"{}\"; state a number, a threshold (e.g. `< 5 s`, \
                                 `>= 90%`) or a checkable quantifier (`every ...`, `zero ...`)",
                                excerpt(item_claim(&item.text), 80)
                            ),
                        )
                        .at(&d.file, Some(item.line)),
                    );
                }
                if vague.is_empty() {
                    out.push(
                        Finding::pass(
                            "criteria",
                            "measurable",
                            format!("all {} items of section \"{section}\" are measurable", all.len()),
                        )
                        .at(&d.file, Some(s.heading_line)),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

fn missing(d: &DocInput, section: &str, template_line: usize) -> Finding {
    Finding::fail(
        "criteria",
        "count",
        format!("section \"{section}\" is missing; the template ({}:{template_line}) asks for it", d.template.source),
    )
    .at(&d.file, Some(1))
}

/// The outermost list items of section `s`, template leftovers excluded.
fn items<'d>(d: &'d DocInput, s: Section) -> Vec<&'d ListItem> {
    let inside: Vec<&ListItem> = d.md.items.iter().filter(|i| i.line > s.first && s.contains(i.line)).collect();
    let Some(depth) = inside.iter().map(|i| i.depth).min() else { return Vec::new() };
    inside
        .into_iter()
        .filter(|i| i.depth == depth)
        .filter(|i| !d.template.is_residue_line(i.text.lines().next().unwrap_or("").trim()))
        .collect()
}

/// What an item claims: its text without the list marker, task box and a
/// leading label such as `**AC1**:` (whose digit measures nothing).
pub fn item_claim(text: &str) -> &str {
    let mut t = text.trim_start();
    // List marker: -, *, + or 1. / 1)
    if let Some(r) = t.strip_prefix(['-', '*', '+']) {
        t = r;
    } else {
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
        if digits > 0 && t[digits..].starts_with(['.', ')']) {
            t = &t[digits + 1..];
        }
    }
    t = t.trim_start();
    for task in ["[ ]", "[x]", "[X]", "[-]"] {
        if let Some(r) = t.strip_prefix(task) {
            t = r.trim_start();
            break;
        }
    }
    strip_label(t).trim()
}

/// `**AC1**: text`, `**AC-2:** text`, `AC3: text`, `PT1 - text` -> `text`.
fn strip_label(t: &str) -> &str {
    let s = t.trim_start_matches(['*', '_']);
    let letters = s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len());
    if letters == 0 || letters > 6 {
        return t;
    }
    let mut rest = s[letters..].trim_start_matches(['-', '_', ' ']);
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    if digits == 0 {
        return t;
    }
    rest = &rest[digits..];
    rest = rest.trim_start_matches(|c: char| c.is_ascii_lowercase() && c != ' ');
    let after = rest.trim_start_matches(['*', '_']);
    let after = after.trim_start();
    match after.strip_prefix([':', '.', ')', '-', '–', '—']) {
        Some(r) => r.trim_start_matches(['*', '_']),
        None if rest.len() != after.len() || rest.starts_with(['*', '_']) => after,
        None => t,
    }
}

const QUANTIFIERS: [&str; 5] = ["all", "every", "zero", "no", "none"];
const NUMBER_WORDS: [&str; 16] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "hundred",
    "thousand", "million", "billion",
];
/// Words after a quantifier that leave nothing to check ("all good").
const EMPTY_OBJECTS: [&str; 10] =
    ["good", "fine", "ok", "okay", "well", "correct", "correctly", "right", "set", "done"];

/// Whether a criterion states something checkable (see the module docs).
pub fn is_measurable(claim: &str) -> bool {
    if claim.chars().any(|c| c.is_ascii_digit() || matches!(c, '%' | '≤' | '≥')) {
        return true;
    }
    if has_comparison(claim) {
        return true;
    }
    let words: Vec<String> = claim
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.iter().any(|w| NUMBER_WORDS.contains(&w.as_str())) {
        return true;
    }
    words.iter().enumerate().any(|(i, w)| {
        QUANTIFIERS.contains(&w.as_str())
            && words.get(i + 1).is_some_and(|next| !EMPTY_OBJECTS.contains(&next.as_str()))
    })
}

/// `<`, `>`, `<=`, `>=` as comparisons, not arrows (`->`, `<-`, `=>`) or tags.
fn has_comparison(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        let prev = if i > 0 { b[i - 1] } else { b' ' };
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        match c {
            b'<' => next != b'-' && next != b'!' && !next.is_ascii_alphabetic() && next != b'/',
            b'>' => {
                prev != b'-' && prev != b'=' && (prev.is_ascii_whitespace() || next == b'=' || next.is_ascii_digit())
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;
    use crate::core::finding::Status;

    #[test]
    fn measurable_and_vague() {
        for ok in [
            "Offload completes for a 1M row table in under five minutes",
            "Zero N+1 queries detected",
            "All unit tests pass with 90%+ coverage",
            "Query count ≤ per operation",
            "Latency stays < budget",
            "No breaking changes to existing adapter interfaces",
            "Every new function has a docstring",
            "Black formatting applied to all modified files",
        ] {
            assert!(is_measurable(ok), "{ok}");
        }
        for vague in [
            "Offload works correctly",
            "Performance is good",
            "Tests pass",
            "All good",
            "Data flows -> sink",
            "Uses <b>bold</b>",
            "",
        ] {
            assert!(!is_measurable(vague), "{vague}");
        }
    }

    #[test]
    fn labels_do_not_count_as_numbers() {
        assert_eq!(item_claim("- [ ] **AC1**: Offload works correctly"), "Offload works correctly");
        assert_eq!(item_claim("- [x] **AC-2:** Tests pass"), "Tests pass");
        assert_eq!(item_claim("3. PT3 - Performance is good"), "Performance is good");
        assert_eq!(item_claim("* AC10b: Works"), "Works");
        assert_eq!(item_claim("- Reduce load time by 30%"), "Reduce load time by 30%");
        assert_eq!(item_claim("- Abc"), "Abc");
        assert!(!is_measurable(item_claim("- [ ] **AC1**: Offload works correctly")));
    }

    const TEMPLATE: &str =
        "# PRD\n<!-- gate: items >= 3 under \"Acceptance Criteria\"; measurable under \"Acceptance Criteria\" -->\n\n\
                            ## Acceptance Criteria\n\n- [ ] **AC1**: [Specific, measurable criterion]\n\n## Risks\n";

    #[test]
    fn counts_outer_items_and_names_vague_ones() {
        let filled = "# PRD\n\n## Acceptance Criteria\n\n- [ ] **AC1**: [Specific, measurable criterion]\n\
                      - [ ] **AC2**: Loads 1M rows in < 5 minutes\n  - detail that works correctly\n\
                      - [ ] **AC3**: Offload works correctly\n\n## Risks\n\n- not a criterion\n";
        let findings = with_doc(TEMPLATE, filled, check);
        let got: Vec<(String, Status, Option<usize>)> =
            findings.iter().map(|f| (f.rule.clone(), f.status, f.line)).collect();
        assert_eq!(got, [("count".into(), Status::Fail, Some(3)), ("measurable".into(), Status::Fail, Some(8))]);
        assert_eq!(findings[0].measured, Some(2.0));
        assert!(findings[1].message.contains("\"Offload works correctly\""));
    }

    #[test]
    fn missing_section_fails() {
        let findings = with_doc(TEMPLATE, "# PRD\n\nnothing\n", check);
        assert!(findings.iter().all(|f| f.status == Status::Fail && f.line == Some(1)));
        assert_eq!(findings.len(), 2);
    }
}
