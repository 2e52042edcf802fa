//! `proven`: `proven under "SECTION" [from PHASE]`. Each criterion of the
//! section (its outermost list items, as `criteria` counts them) names the
//! pytest tests that prove it, as node ids in backticks on its line or in
//! the items nested under it. From PHASE on, a criterion naming no test
//! fails; a ticked criterion whose tests did not all pass in the gate's own
//! test run fails at its line, naming the test and what happened; at qa every
//! criterion is ticked and proven. A criterion not ticked yet whose tests do
//! not pass is work in progress (a skip) before qa.
use serde_json::Value;

use crate::core::checks::{criteria, excerpt, DocInput};
use crate::core::finding::{Finding, Status};
use crate::core::outcomes::{is_test_name, normalize, NameVerdict, Outcomes};
use crate::core::phase::Phase;
use crate::core::rules::Rule;
use crate::core::tasks::{checkbox, task_id, TaskState};

pub const ID: &str = "proven";

/// One criterion and the tests it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub line: usize,
    /// `AC1`, or the criterion's first words.
    pub label: String,
    pub ticked: bool,
    /// Test names as written (normalized), in order, without repeats.
    pub names: Vec<String>,
}

/// What the gate knows of its test run when the check runs.
#[derive(Debug, Clone, Copy)]
pub enum TestRun<'a> {
    /// Not asked: no criterion needs it at this phase.
    NotNeeded,
    Recorded(&'a Outcomes),
    /// The run recorded nothing, and why.
    Unrecorded(&'a str),
}

/// The `proven` rules of the document's template that apply at `phase`: their sections.
pub fn sections(d: &DocInput, phase: Phase) -> Vec<String> {
    d.template
        .rules
        .iter()
        .filter_map(|r| match &r.rule {
            Rule::Proven { section, from } if phase >= from.unwrap_or(Phase::Prd) => Some(section.clone()),
            _ => None,
        })
        .collect()
}

/// The criteria of `section`; None when the document has no such section
/// (the `criteria` check reports that).
pub fn criteria(d: &DocInput, section: &str) -> Option<Vec<Criterion>> {
    let s = d.section(section, 0)?;
    let section_end = d.md.line_range(s.last).end;
    let mut out = Vec::new();
    for item in criteria::items(d, s) {
        // The criterion runs to the next item at its depth or above.
        let end =
            d.md.items
                .iter()
                .find(|i| i.range.start > item.range.start && i.depth <= item.depth)
                .map_or(section_end, |i| i.range.start.min(section_end));
        let mut names: Vec<String> = Vec::new();
        for span in d.md.code_spans.iter().filter(|c| c.start >= item.range.start && c.end <= end) {
            let text = d.md.text[span.clone()].trim_matches('`').trim();
            if is_test_name(text) {
                let name = normalize(text);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let first = item.text.lines().next().unwrap_or("").trim_start();
        let after_marker = first.strip_prefix(['-', '*', '+']).map(str::trim_start).unwrap_or(first);
        let (ticked, rest) = match checkbox(first) {
            Some((state, rest)) => (state == TaskState::Done, rest.trim()),
            None => (false, after_marker),
        };
        let label = task_id(rest).unwrap_or_else(|| format!("\"{}\"", excerpt(criteria::item_claim(first), 40)));
        out.push(Criterion { line: item.line, label, ticked, names });
    }
    Some(out)
}

/// The criteria of one section a `proven` rule applies to: what judging
/// them needs of the document, so the document itself need not be kept
/// until the test run is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The document, relative to the root.
    pub file: String,
    pub section: String,
    pub heading_line: Option<usize>,
    pub criteria: Vec<Criterion>,
}

/// The claims of every `proven` rule that applies to the document at `phase`
/// (a section the document lacks is the `criteria` check's to report).
pub fn claims(d: &DocInput, phase: Phase) -> Vec<Claims> {
    sections(d, phase)
        .into_iter()
        .filter_map(|section| {
            let criteria = criteria(d, &section)?;
            let heading_line = d.section(&section, 0).map(|s| s.heading_line);
            Some(Claims { file: d.file.clone(), section, heading_line, criteria })
        })
        .collect()
}

/// Whether judging the document at `phase` needs the test run: some
/// criterion names a test, and the tests run at this phase anyway
/// (implementation on) or a criterion naming one is ticked.
#[cfg(test)]
pub fn needs_run(d: &DocInput, phase: Phase) -> bool {
    claims_need_run(&claims(d, phase), phase)
}

/// [`needs_run`] of claims already taken from the document.
pub fn claims_need_run(claims: &[Claims], phase: Phase) -> bool {
    claims.iter().flat_map(|c| &c.criteria).any(|c| !c.names.is_empty() && (phase >= Phase::Implementation || c.ticked))
}

/// The findings of every applying rule: one per criterion, one summary per
/// section. (The gate keeps the claims and judges them once the test run is
/// there: [`claims`], then [`judge_claims`].)
#[cfg(test)]
pub fn check(d: &DocInput, phase: Phase, run: TestRun) -> Vec<Finding> {
    judge_claims(&claims(d, phase), phase, run)
}

/// [`check`] of claims already taken from the document.
pub fn judge_claims(claims: &[Claims], phase: Phase, run: TestRun) -> Vec<Finding> {
    let mut out = Vec::new();
    for Claims { file, section, heading_line, criteria: list } in claims {
        let mut proven = 0;
        for c in list {
            let (f, ok) = judge(c, phase, run);
            proven += usize::from(ok);
            out.push(f.at(file, Some(c.line)));
        }
        let total = list.len();
        let ticked = list.iter().filter(|c| c.ticked).count();
        let line = *heading_line;
        let message = format!("criteria proven {proven}/{total} under \"{section}\" ({ticked} ticked)");
        let status = if proven == total { Status::Pass } else { Status::Skip };
        let mut summary = Finding::new(status, ID, "summary", message).at(file, line).with("ticked", ticked);
        if total > 0 {
            summary = summary.measure(proven as f64, total as f64);
        }
        out.push(summary);
    }
    out
}

/// One criterion's finding, and whether it is proven.
fn judge(c: &Criterion, phase: Phase, run: TestRun) -> (Finding, bool) {
    let qa = phase >= Phase::Qa;
    let label = &c.label;
    let base = |status: Status, rule: &str, message: String, verdicts: &[NameVerdict]| {
        let tests: Vec<Value> = verdicts.iter().map(NameVerdict::to_json).collect();
        Finding::new(status, ID, rule, message).with("criterion", label.as_str()).with("ticked", c.ticked).with(
            "tests",
            if verdicts.is_empty() { c.names.iter().map(|n| Value::from(n.as_str())).collect() } else { tests },
        )
    };
    if c.names.is_empty() {
        let message = format!(
            "{label} names no test; name the pytest test that proves it in backticks on its line or under it, \
             e.g. `tests/unit/test_loader.py::test_batch_size`"
        );
        return (base(Status::Fail, "named", message, &[]), false);
    }
    let outcomes = match run {
        TestRun::Recorded(o) => o,
        TestRun::NotNeeded => {
            let message = format!("{label} names {}; its tests are judged once the gate runs them", names(c));
            return (base(Status::Skip, "criterion", message, &[]), false);
        }
        TestRun::Unrecorded(why) => {
            let what = format!("the gate's test run recorded no outcomes ({why}); see the `tests` finding");
            let (status, message) = if c.ticked {
                (Status::Fail, format!("{label} is ticked, but {what}"))
            } else if qa {
                (Status::Fail, format!("{label} is not ticked, and {what}"))
            } else {
                (Status::Skip, format!("{label} is not proven yet: {what}"))
            };
            return (base(status, "criterion", message, &[]), false);
        }
    };
    let verdicts: Vec<NameVerdict> = c.names.iter().map(|n| outcomes.judge(n)).collect();
    let proven = verdicts.iter().all(|v| v.proven);
    let shown: Vec<&str> = verdicts.iter().filter(|v| proven || !v.proven).map(|v| v.detail.as_str()).collect();
    let what = shown.join("; ");
    let (status, message) = match (proven, c.ticked) {
        (true, true) => (Status::Pass, format!("{label} proven: {what}")),
        (true, false) if qa => (Status::Fail, format!("{label} is proven ({what}) but not ticked; tick it")),
        (true, false) => (Status::Pass, format!("{label} proven, not ticked yet: {what}")),
        (false, true) => (Status::Fail, format!("{label} is ticked, but {what}")),
        (false, false) if qa => (Status::Fail, format!("{label} is not ticked and not proven: {what}")),
        (false, false) => (Status::Skip, format!("{label} is not proven yet: {what}")),
    };
    (base(status, "criterion", message, &verdicts), proven)
}

fn names(c: &Criterion) -> String {
    c.names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checks::testing::with_doc;

    const TEMPLATE: &str = "# PRD\n<!-- gate: proven under \"Acceptance Criteria\" from testing -->\n\n\
                            ## Acceptance Criteria\n\n- [ ] **AC1**: [criterion] (`tests/unit/test_x.py::test_y`)\n\n## Risks\n";

    const PRD: &str = "# PRD\n\n## Acceptance Criteria\n\n\
                       - [ ] **AC1**: [criterion] (`tests/unit/test_x.py::test_y`)\n\
                       - [x] **AC2**: 1M rows load in < 5 min (`tests/unit/test_a.py::test_ok`)\n\
                       - [x] **AC3**: at most 2 queries per batch\n\
                       \x20 - `tests/unit/test_a.py::test_batch` and `./tests/unit/test_a.py::test_batch`\n\
                       \x20 - see `src/pkg/loader.py` and `std::fs`\n\
                       - [ ] **AC4**: zero lost rows, `tests/unit/test_a.py::test_gone`\n\
                       - [x] every retry resumes within 30 s\n\n## Risks\n\n- `tests/unit/test_a.py::test_ok`\n";

    const RUN: &str = r#"{"version": 1, "tests": [
        {"nodeid": "tests/unit/test_a.py::test_ok", "outcome": "passed", "file": "tests/unit/test_a.py", "line": 1},
        {"nodeid": "tests/unit/test_a.py::test_batch[1]", "outcome": "passed", "file": "tests/unit/test_a.py", "line": 5},
        {"nodeid": "tests/unit/test_a.py::test_batch[2]", "outcome": "skipped", "file": "tests/unit/test_a.py", "line": 5}
    ]}"#;

    #[test]
    fn reads_criteria_their_ticks_and_test_names() {
        let list = with_doc(TEMPLATE, PRD, |d| criteria(d, "Acceptance Criteria")).unwrap();
        let got: Vec<(usize, &str, bool, Vec<&str>)> = list
            .iter()
            .map(|c| (c.line, c.label.as_str(), c.ticked, c.names.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                (6, "AC2", true, vec!["tests/unit/test_a.py::test_ok"]),
                (7, "AC3", true, vec!["tests/unit/test_a.py::test_batch"]),
                (10, "AC4", false, vec!["tests/unit/test_a.py::test_gone"]),
                (11, "\"every retry resumes within 30 s\"", true, vec![]),
            ]
        );
        assert!(with_doc(TEMPLATE, "# PRD\n", |d| criteria(d, "Acceptance Criteria")).is_none());
    }

    fn run(phase: Phase, test_run: TestRun) -> Vec<(String, Status, Option<usize>, String)> {
        with_doc(TEMPLATE, PRD, |d| check(d, phase, test_run))
            .into_iter()
            .map(|f| (f.rule, f.status, f.line, f.message))
            .collect()
    }

    #[test]
    fn nothing_before_the_rules_phase() {
        assert!(run(Phase::Implementation, TestRun::NotNeeded).is_empty());
        assert!(with_doc(TEMPLATE, PRD, |d| sections(d, Phase::Implementation).is_empty() && needs_run(d, Phase::Docs)));
    }

    #[test]
    fn ticked_criteria_need_passing_tests() {
        let outcomes = Outcomes::from_json(RUN).unwrap();
        let got = run(Phase::Testing, TestRun::Recorded(&outcomes));
        let statuses: Vec<(Status, Option<usize>)> = got.iter().map(|g| (g.1, g.2)).collect();
        assert_eq!(
            statuses,
            [
                (Status::Pass, Some(6)),
                (Status::Fail, Some(7)),
                (Status::Skip, Some(10)),
                (Status::Fail, Some(11)),
                (Status::Skip, Some(3)),
            ],
            "{got:#?}"
        );
        assert_eq!(got[0].3, "AC2 proven: `tests/unit/test_a.py::test_ok` passed (tests/unit/test_a.py:1)");
        assert_eq!(
            got[1].3,
            "AC3 is ticked, but `tests/unit/test_a.py::test_batch[2]` was skipped (tests/unit/test_a.py:5)"
        );
        assert!(got[2].3.starts_with("AC4 is not proven yet: `tests/unit/test_a.py::test_gone` is not in the gate's"));
        assert!(got[3].3.contains("names no test"));
        assert_eq!(got[4].3, "criteria proven 1/4 under \"Acceptance Criteria\" (3 ticked)");
    }

    #[test]
    fn at_qa_every_criterion_is_ticked_and_proven() {
        let outcomes = Outcomes::from_json(RUN).unwrap();
        let got = run(Phase::Qa, TestRun::Recorded(&outcomes));
        assert_eq!(got[2].1, Status::Fail);
        assert!(got[2].3.starts_with("AC4 is not ticked and not proven"));
        let unticked = PRD.replace("- [x] **AC2**", "- [ ] **AC2**");
        let f = with_doc(TEMPLATE, &unticked, |d| check(d, Phase::Qa, TestRun::Recorded(&outcomes)));
        assert!(f[0].is_fail() && f[0].message.contains("but not ticked; tick it"), "{:?}", f[0]);
        let before = with_doc(TEMPLATE, &unticked, |d| check(d, Phase::Testing, TestRun::Recorded(&outcomes)));
        assert_eq!(before[0].status, Status::Pass);
    }

    #[test]
    fn without_outcomes_ticked_criteria_fail_and_point_at_the_tests_finding() {
        let got = run(Phase::Testing, TestRun::Unrecorded("pytest could not start"));
        assert_eq!(got[0].1, Status::Fail);
        assert!(got[0].3.contains("recorded no outcomes (pytest could not start); see the `tests` finding"));
        assert_eq!(got[2].1, Status::Skip);
        let json = with_doc(TEMPLATE, PRD, |d| check(d, Phase::Testing, TestRun::NotNeeded));
        assert_eq!(json[0].extra["tests"][0], "tests/unit/test_a.py::test_ok");
        assert_eq!(json[0].extra["criterion"], "AC2");
    }
}
