//! `criteria`: `items >= N under "SECTION"` and `measurable under "SECTION"`.
//! Items are the section's outermost list items, not counting items left as the
//! template had them. An item is measurable when it states a number or a
//! threshold, names an observable (a test, a file, a code name, a command, an
//! error) or uses a checkable quantifier; see [`is_measurable`].
use crate::core::checks::{excerpt, DocInput, Section};
use crate::core::finding::Finding;
use crate::core::markdown::ListItem;
use crate::core::rules::Rule;

pub fn check(d: &DocInput) -> Vec<Finding> {
    let mut out = Vec::new();
    for declared in &d.template.rules {
        match &declared.rule {
            Rule::Items { min, section } => {
                // A missing section is reported once by `structure`.
                let Some(s) = d.section(section, 0) else { continue };
                let n = items(d, s).len() as u64;
                let f = if n >= *min {
                    Finding::pass("criteria", "count", format!("section \"{section}\" has {n} items (needs {min})"))
                } else {
                    Finding::fail("criteria", "count", format!("section \"{section}\" has {n} items, needs {min}"))
                };
                out.push(f.at(&d.file, Some(s.heading_line)).measure(n as f64, *min as f64));
            }
            Rule::Measurable { section } => {
                let Some(s) = d.section(section, 0) else { continue };
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
                // With no items there is nothing to call measurable (the
                // count rule says what is missing).
                if vague.is_empty() && !all.is_empty() {
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

/// The outermost list items of section `s`, template leftovers excluded:
/// the criteria, as both this check and `proven` count them.
pub fn items<'d>(d: &'d DocInput, s: Section) -> Vec<&'d ListItem> {
    let inside: Vec<&ListItem> = d.md.items.iter().filter(|i| i.line > s.first && s.contains(i.line)).collect();
    let Some(depth) = inside.iter().map(|i| i.depth).min() else { return Vec::new() };
    inside
        .into_iter()
        .filter(|i| i.depth == depth)
        .filter(|i| !d.template.is_residue_line(crate::core::markdown::lines(&i.text).next().unwrap_or("").trim()))
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
        // `**AC1** text`: an emphasized label needs no colon; `Return 404 for ...` is no label.
        None if rest.starts_with(['*', '_']) => after,
        None => t,
    }
}

/// Words that quantify over something an author can count or search for.
const QUANTIFIERS: [&str; 8] = ["all", "every", "each", "zero", "no", "none", "never", "only"];
const NUMBER_WORDS: [&str; 16] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "hundred",
    "thousand", "million", "billion",
];
/// Words after a quantifier that leave nothing to check ("all good", "no issues").
const EMPTY_OBJECTS: [&str; 21] = [
    "good",
    "fine",
    "ok",
    "okay",
    "well",
    "correct",
    "correctly",
    "right",
    "set",
    "done",
    "regression",
    "regressions",
    "issue",
    "issues",
    "problem",
    "problems",
    "bug",
    "bugs",
    "surprises",
    "functionality",
    "loss",
];
/// Phrases that promise without measuring: the PRD template's own examples of
/// vague criteria and their kin. A criterion holding one passes only with a
/// number or a named observable.
const VAGUE_PHRASES: [&str; 37] = [
    "tests pass",
    "tests passing",
    "tests are passing",
    "tests still pass",
    "test pass",
    "linting passes",
    "works correctly",
    "work correctly",
    "working correctly",
    "correctly",
    "properly",
    "seamlessly",
    "as expected",
    "as before",
    "as intended",
    "is good",
    "are good",
    "is acceptable",
    "is improved",
    "is robust",
    "gracefully",
    "intuitive",
    "user-friendly",
    "clean and maintainable",
    "maintainable",
    "helpful",
    "keep working",
    "keeps working",
    "works",
    "nothing unexpected",
    "are updated",
    "is updated",
    "looks like",
    "behaves",
    "behave",
    "clear error messages",
    "proper",
];
/// Tools whose exit status is an observable when a criterion names them.
const COMMANDS: [&str; 9] = ["pytest", "mypy", "pyright", "ruff", "tox", "nox", "pre-commit", "flake8", "pylint"];

/// Whether a criterion states something checkable: a number or threshold, a
/// named observable (a code span, a file or path, a code name such as
/// `snake_case`, `CamelCase`, `call()` or `ErrorName`, a test id, a command),
/// or a checkable quantifier (`every new function ...`, `never per request`).
/// A vague phrase (`tests pass`, `works correctly`, `as before`, `properly`)
/// fails unless a number or a named observable comes with it.
pub fn is_measurable(claim: &str) -> bool {
    if has_number(claim) || names_observable(claim) {
        return true;
    }
    let words: Vec<String> = claim
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_matches(['\'', '-']))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let lower = format!(" {} ", words.join(" "));
    if VAGUE_PHRASES.iter().any(|p| lower.contains(&format!(" {p} "))) {
        return false;
    }
    // "All existing tests (unit and integration) pass": tests said to pass, none named.
    let says = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    if says(&["test", "tests"]) && says(&["pass", "passes", "passing", "succeed", "succeeds", "green"]) {
        return false;
    }
    if words.iter().any(|w| COMMANDS.contains(&w.as_str())) || claim.split_whitespace().any(is_camel_case) {
        return true;
    }
    words.iter().enumerate().any(|(i, w)| {
        QUANTIFIERS.contains(&w.as_str())
            && i + 1 < words.len()
            && !words[i + 1..].iter().take(3).any(|next| EMPTY_OBJECTS.contains(&next.as_str()))
    })
}

/// A digit, a percentage, `≤`/`≥`, a comparison or a number word.
fn has_number(claim: &str) -> bool {
    if claim.chars().any(|c| c.is_ascii_digit() || matches!(c, '%' | '≤' | '≥')) || has_comparison(claim) {
        return true;
    }
    claim.split(|c: char| !c.is_alphanumeric()).any(|w| NUMBER_WORDS.contains(&w.to_lowercase().as_str()))
}

/// A code span, a file or path, a call, a `snake_case` or dotted code name, a
/// `key=value` setting, an error name or a test id.
fn names_observable(claim: &str) -> bool {
    if claim.matches('`').count() >= 2 {
        return true;
    }
    claim.split_whitespace().any(|raw| {
        let w =
            raw.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '.' | '(' | ')' | '"' | '\'' | '*' | '!' | '?'));
        is_file_name(w)
            || w.contains("::")
            || raw.contains("()")
            || is_snake_case(w)
            || is_dotted_name(w)
            || is_setting(w)
            || is_error_name(w)
    })
}

/// Extensions of the files criteria name (`llms.txt`, `src/pkg/mod.py`).
const FILE_EXTENSIONS: [&str; 18] = [
    "py", "pyi", "md", "txt", "json", "toml", "yaml", "yml", "ts", "tsx", "js", "cfg", "ini", "html", "sql", "sh",
    "lock", "j2",
];

fn is_file_name(w: &str) -> bool {
    let Some((stem, ext)) = w.rsplit_once('.') else { return false };
    let stem_ok = stem.chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_')
        && stem.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'));
    stem_ok && FILE_EXTENSIONS.contains(&ext)
}

fn is_snake_case(w: &str) -> bool {
    let core = w.trim_start_matches('_');
    core.contains('_')
        && !core.starts_with('_')
        && !core.ends_with('_')
        && core.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `props.flash`, `request.url.path`: two or more identifiers joined by dots
/// (not `e.g.` or `i.e.`: every part has two or more characters).
fn is_dotted_name(w: &str) -> bool {
    let parts: Vec<&str> = w.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.len() >= 2
                && p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        && parts.iter().skip(1).all(|p| p.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'))
}

/// `spa_mode=True`, `timeout=30`.
fn is_setting(w: &str) -> bool {
    let Some((k, v)) = w.split_once('=') else { return false };
    !k.is_empty()
        && !v.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '"'))
}

/// `ValueError`, `ImproperConfigurationException`, `DeprecationWarning`.
fn is_error_name(w: &str) -> bool {
    ["Error", "Exception", "Warning"].iter().any(|s| {
        w.strip_suffix(s).is_some_and(|stem| {
            stem.starts_with(|c: char| c.is_ascii_uppercase()) && stem.chars().all(|c| c.is_ascii_alphanumeric())
        })
    })
}

/// Technologies written in CamelCase: naming one names no observable.
const PRODUCT_NAMES: [&str; 24] = [
    "WebSocket",
    "WebSockets",
    "GitHub",
    "GitLab",
    "JavaScript",
    "TypeScript",
    "DuckDB",
    "BigQuery",
    "PostgreSQL",
    "MySQL",
    "SQLite",
    "macOS",
    "iOS",
    "OpenTelemetry",
    "FastAPI",
    "SQLAlchemy",
    "PyPI",
    "OAuth",
    "GraphQL",
    "OpenAPI",
    "NumPy",
    "PyTorch",
    "YouTube",
    "DynamoDB",
];

/// `InertiaConfig`, `SPAHandler`, `unwrapPageProps`: a lowercase letter followed
/// by an uppercase one inside the word. A weaker sign than the others (product
/// names are written so too), so a vague phrase overrides it.
fn is_camel_case(raw: &str) -> bool {
    let w = raw.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    w.len() >= 4
        && !PRODUCT_NAMES.iter().any(|p| p.eq_ignore_ascii_case(w))
        && w.chars().all(|c| c.is_ascii_alphanumeric())
        && w.as_bytes().windows(2).any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
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
        assert_eq!(item_claim("- [ ] Returns 404 for unknown pages"), "Returns 404 for unknown pages");
        assert_eq!(item_claim("- [ ] Criterion 2: Loads in 3 s"), "Criterion 2: Loads in 3 s");
        assert_eq!(item_claim("- Abc"), "Abc");
        assert!(!is_measurable(item_claim("- [ ] **AC1**: Offload works correctly")));
    }

    /// The labelled set of real-world-shaped criteria (see the file's header).
    const LABELLED: &str = include_str!("../../../tests/fixtures/real_world/criteria.tsv");

    /// (agreeing, total, the items judged against their label).
    fn agreement() -> (usize, usize, Vec<String>) {
        let mut wrong = Vec::new();
        let mut total = 0;
        for line in LABELLED.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let (label, item) = line.split_once('\t').expect("LABEL<TAB>ITEM");
            let want = match label {
                "measurable" => true,
                "vague" => false,
                other => panic!("unknown label {other}"),
            };
            total += 1;
            if is_measurable(item_claim(item)) != want {
                wrong.push(format!("{label}: {item}"));
            }
        }
        (total - wrong.len(), total, wrong)
    }

    #[test]
    fn labelled_real_world_set() {
        let (agree, total, wrong) = agreement();
        assert!(total >= 40, "the labelled set has {total} items");
        eprintln!("criteria agreement: {agree}/{total}");
        assert!(wrong.is_empty(), "{agree}/{total} agree; judged against their label:\n{}", wrong.join("\n"));
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
    fn a_missing_section_is_left_to_structure() {
        assert!(with_doc(TEMPLATE, "# PRD\n\nnothing\n", check).is_empty());
        let numbered = "# PRD\n\n## 6. Acceptance Criteria:\n\n- [ ] Loads in < 5 s\n";
        let findings = with_doc(TEMPLATE, numbered, check);
        assert_eq!(findings[0].message, "section \"Acceptance Criteria\" has 1 items, needs 3");
    }
}
