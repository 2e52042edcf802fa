//! What the gate's own test run says about each test: the document the
//! outcomes recorder writes inside pytest (xtask/python/xtask_outcomes.py),
//! and how a test name written in a PRD is matched against it.
//!
//! A name covers what pytest would select with it on its command line: the
//! node id itself, its parametrised variants (`name[...]`) when it has no
//! brackets, and the tests under it (`name::...`) when it names a class.
use std::collections::BTreeMap;

use serde_json::Value;

/// What happened to one test: the worst of its phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Setup or teardown failed.
    Error,
    Skipped,
    /// Marked xfail and failed.
    XFailed,
    /// Marked xfail and passed.
    XPassed,
    /// Collected, never reported: the session stopped early.
    NotRun,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "passed" => Outcome::Passed,
            "failed" => Outcome::Failed,
            "error" => Outcome::Error,
            "skipped" => Outcome::Skipped,
            "xfailed" => Outcome::XFailed,
            "xpassed" => Outcome::XPassed,
            "not run" => Outcome::NotRun,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
            Outcome::XFailed => "xfailed",
            Outcome::XPassed => "xpassed",
            Outcome::NotRun => "not run",
        }
    }

    /// How bad it is, as the recorder ranks phases (a failure is never hidden).
    fn rank(self) -> u8 {
        match self {
            Outcome::NotRun => 0,
            Outcome::Passed => 1,
            Outcome::Skipped | Outcome::XFailed => 2,
            Outcome::XPassed => 3,
            Outcome::Error => 4,
            Outcome::Failed => 5,
        }
    }

    /// What happened, in words for a finding.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Error => "errored in its setup or teardown",
            Outcome::Skipped => "was skipped",
            Outcome::XFailed => "is marked xfail and failed",
            Outcome::XPassed => "passed but is marked xfail (remove the mark)",
            Outcome::NotRun => "did not run (the session stopped early)",
        }
    }
}

/// One test of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// From the repository root: `tests/unit/test_a.py::TestB::test_c[1]`.
    pub nodeid: String,
    pub outcome: Outcome,
    /// The file and 1-based line pytest gives for the test, when known.
    pub file: Option<String>,
    pub line: Option<usize>,
}

impl TestResult {
    /// `tests/unit/test_a.py:12`, or the node id's file.
    pub fn place(&self) -> String {
        let file = self.file.clone().unwrap_or_else(|| file_part(&self.nodeid).to_string());
        match self.line {
            Some(line) => format!("{file}:{line}"),
            None => file,
        }
    }
}

/// A module that failed to import, or was skipped, at collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectProblem {
    pub nodeid: String,
    pub skipped: bool,
    pub message: String,
}

/// Every test of one run, by node id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub tests: BTreeMap<String, TestResult>,
    pub collect: Vec<CollectProblem>,
}

/// How one written name fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameVerdict {
    /// The name as written (normalized).
    pub name: String,
    /// Every selected test passed, and there is at least one.
    pub proven: bool,
    /// `passed`, an [`Outcome`] word, or `missing`.
    pub outcome: String,
    /// The selected test that decided (the first that did not pass).
    pub test: Option<TestResult>,
    /// How many tests the name selected.
    pub selected: usize,
    /// What happened, in words: "`x` failed (tests/a.py:3)".
    pub detail: String,
}

impl NameVerdict {
    /// `{"name", "outcome", "proven", "selected"}` and, when a test decided,
    /// its `nodeid`, `file` and `line` (absent fields are left out).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::json!({
            "name": self.name,
            "outcome": self.outcome,
            "proven": self.proven,
            "selected": self.selected,
        });
        if let Some(t) = &self.test {
            v["nodeid"] = t.nodeid.clone().into();
            if let Some(file) = &t.file {
                v["file"] = file.clone().into();
            }
            if let Some(line) = t.line {
                v["line"] = line.into();
            }
        }
        v
    }
}

/// The file part of a node id (before the first `::`).
pub fn file_part(nodeid: &str) -> &str {
    nodeid.split("::").next().unwrap_or(nodeid)
}

/// A written test name as the recorder writes ids: `/` separators, no `./`.
pub fn normalize(name: &str) -> String {
    let mut n = name.trim().replace('\\', "/");
    while let Some(rest) = n.strip_prefix("./") {
        n = rest.to_string();
    }
    n
}

/// Whether backticked text names a pytest test: `path.py::name...`.
pub fn is_test_name(text: &str) -> bool {
    let t = text.trim();
    match t.split_once("::") {
        Some((file, rest)) => {
            file.ends_with(".py")
                && !file.starts_with('[')
                && !file.chars().any(char::is_whitespace)
                && rest.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        }
        None => false,
    }
}

impl Outcomes {
    /// Read the recorder's document. Entries of the wrong shape are skipped;
    /// a text that is not such a document is an error saying why.
    pub fn from_json(text: &str) -> Result<Outcomes, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("version").and_then(Value::as_u64) {
            Some(1) => {}
            Some(other) => return Err(format!("version {other} is not 1")),
            None => return Err("no version: not an outcomes document".into()),
        }
        let mut out = Outcomes::default();
        for t in v.get("tests").and_then(Value::as_array).into_iter().flatten() {
            let (Some(nodeid), Some(outcome)) = (
                t.get("nodeid").and_then(Value::as_str),
                t.get("outcome").and_then(Value::as_str).and_then(Outcome::parse),
            ) else {
                continue;
            };
            let result = TestResult {
                nodeid: nodeid.to_string(),
                outcome,
                file: t.get("file").and_then(Value::as_str).map(str::to_string),
                line: t.get("line").and_then(Value::as_u64).map(|l| l as usize),
            };
            out.add(result);
        }
        for c in v.get("collect").and_then(Value::as_array).into_iter().flatten() {
            let Some(nodeid) = c.get("nodeid").and_then(Value::as_str) else { continue };
            out.collect.push(CollectProblem {
                nodeid: nodeid.to_string(),
                skipped: c.get("outcome").and_then(Value::as_str) == Some("skipped"),
                message: c.get("message").and_then(Value::as_str).unwrap_or("").to_string(),
            });
        }
        Ok(out)
    }

    /// One test; when its id is already known, the worse outcome stays.
    fn add(&mut self, result: TestResult) {
        match self.tests.get_mut(&result.nodeid) {
            Some(old) if old.outcome.rank() >= result.outcome.rank() => {
                if old.file.is_none() {
                    old.file = result.file;
                    old.line = result.line;
                }
            }
            _ => {
                self.tests.insert(result.nodeid.clone(), result);
            }
        }
    }

    /// The documents of several processes of one run, joined.
    pub fn merge(&mut self, other: Outcomes) {
        for (_, t) in other.tests {
            self.add(t);
        }
        for c in other.collect {
            if !self.collect.contains(&c) {
                self.collect.push(c);
            }
        }
    }

    /// The tests `name` selects (see the module docs).
    pub fn select(&self, name: &str) -> Vec<&TestResult> {
        let name = normalize(name);
        let variants = !name.contains('[');
        self.tests
            .range(name.clone()..)
            .take_while(|(id, _)| id.starts_with(&name))
            .filter(|(id, _)| {
                let rest = &id[name.len()..];
                rest.is_empty() || rest.starts_with("::") || (variants && rest.starts_with('['))
            })
            .map(|(_, t)| t)
            .collect()
    }

    /// How `name` fared in this run.
    pub fn judge(&self, name: &str) -> NameVerdict {
        let name = normalize(name);
        let selected = self.select(&name);
        if selected.is_empty() {
            return NameVerdict {
                detail: format!("`{name}` {}", self.why_missing(&name)),
                name,
                proven: false,
                outcome: "missing".into(),
                test: None,
                selected: 0,
            };
        }
        let worst = selected.iter().max_by_key(|t| (t.outcome.rank(), std::cmp::Reverse(&t.nodeid))).copied();
        let worst = worst.expect("selected is not empty");
        let proven = worst.outcome == Outcome::Passed;
        let detail = if proven {
            match selected.len() {
                1 => format!("`{name}` passed ({})", worst.place()),
                n => format!("`{name}` passed ({n} tests)"),
            }
        } else {
            let shown = if worst.nodeid == name { format!("`{name}`") } else { format!("`{}`", worst.nodeid) };
            format!("{shown} {} ({})", worst.outcome.describe(), worst.place())
        };
        NameVerdict {
            name,
            proven,
            outcome: worst.outcome.as_str().to_string(),
            test: Some(worst.clone()),
            selected: selected.len(),
            detail,
        }
    }

    /// Why a name selects nothing, most specific reason first.
    fn why_missing(&self, name: &str) -> String {
        let file = file_part(name);
        let problem = self.collect.iter().find(|c| file == c.nodeid || crate::core::paths::is_under(file, &c.nodeid));
        if let Some(p) = problem {
            return if p.skipped {
                format!("was not collected: {} was skipped at collection ({})", p.nodeid, p.message)
            } else {
                format!("was not collected: {} failed to collect ({})", p.nodeid, p.message)
            };
        }
        let prefix = format!("{file}::");
        let in_file: Vec<&str> = self
            .tests
            .range(prefix.clone()..)
            .take_while(|(id, _)| id.starts_with(&prefix))
            .map(|(id, _)| &id[prefix.len()..])
            .collect();
        if in_file.is_empty() {
            return format!("is not in the gate's test run: no test of {file} ran");
        }
        // The ids of the same function (other parameters), else of the file.
        let wanted = name[prefix.len().min(name.len())..].split('[').next().unwrap_or("");
        let same: Vec<&str> = in_file.iter().copied().filter(|id| id.split('[').next() == Some(wanted)).collect();
        let shown = if same.is_empty() { in_file } else { same };
        let mut list: Vec<String> = shown.iter().take(3).map(|s| s.to_string()).collect();
        if shown.len() > 3 {
            list.push(format!("and {} more", shown.len() - 3));
        }
        format!("is not in the gate's test run; {file} has {}", list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"version": 1,
      "tests": [
        {"nodeid": "tests/unit/test_a.py::test_ok", "outcome": "passed", "file": "tests/unit/test_a.py", "line": 3},
        {"nodeid": "tests/unit/test_a.py::test_batch[1]", "outcome": "passed", "file": "tests/unit/test_a.py", "line": 7},
        {"nodeid": "tests/unit/test_a.py::test_batch[2]", "outcome": "failed", "file": "tests/unit/test_a.py", "line": 7},
        {"nodeid": "tests/unit/test_a.py::test_batch_size", "outcome": "passed", "file": "tests/unit/test_a.py", "line": 12},
        {"nodeid": "tests/unit/test_a.py::TestK::test_m", "outcome": "passed", "file": "tests/unit/test_a.py", "line": 20},
        {"nodeid": "tests/unit/test_a.py::test_skip", "outcome": "skipped", "file": "tests/unit/test_a.py", "line": 30},
        {"nodeid": "tests/unit/test_a.py::test_odd", "outcome": "invented"},
        {"outcome": "passed"}
      ],
      "collect": [{"nodeid": "tests/unit/test_broken.py", "outcome": "error", "message": "ModuleNotFoundError: No module named 'x'"}]
    }"#;

    fn doc() -> Outcomes {
        Outcomes::from_json(DOC).unwrap()
    }

    #[test]
    fn reads_the_recorders_document_and_skips_bad_entries() {
        let o = doc();
        assert_eq!(o.tests.len(), 6);
        assert_eq!(o.collect.len(), 1);
        assert!(Outcomes::from_json("[").unwrap_err().contains("not JSON"));
        assert!(Outcomes::from_json("{\"version\": 2}").unwrap_err().contains("version 2"));
        assert!(Outcomes::from_json("{}").is_err());
        let failing: Vec<&str> = o
            .tests
            .values()
            .filter(|t| matches!(t.outcome, Outcome::Failed | Outcome::Error))
            .map(|t| t.nodeid.as_str())
            .collect();
        assert_eq!(failing, ["tests/unit/test_a.py::test_batch[2]"]);
    }

    #[test]
    fn names_select_variants_and_methods_as_pytest_does() {
        let o = doc();
        let ids = |name: &str| o.select(name).iter().map(|t| t.nodeid.clone()).collect::<Vec<_>>();
        assert_eq!(ids("tests/unit/test_a.py::test_batch").len(), 2, "variants, not test_batch_size");
        assert_eq!(ids("./tests/unit/test_a.py::test_batch[1]"), ["tests/unit/test_a.py::test_batch[1]"]);
        assert_eq!(ids("tests/unit/test_a.py::TestK"), ["tests/unit/test_a.py::TestK::test_m"]);
        assert!(ids("tests/unit/test_a.py::test_bat").is_empty());
    }

    #[test]
    fn verdicts_name_the_test_and_what_happened() {
        let o = doc();
        let ok = o.judge("tests/unit/test_a.py::test_ok");
        assert!(ok.proven && ok.detail == "`tests/unit/test_a.py::test_ok` passed (tests/unit/test_a.py:3)");
        let batch = o.judge("tests/unit/test_a.py::test_batch");
        assert!(!batch.proven);
        assert_eq!(batch.outcome, "failed");
        assert_eq!(batch.detail, "`tests/unit/test_a.py::test_batch[2]` failed (tests/unit/test_a.py:7)");
        assert_eq!(o.judge("tests/unit/test_a.py::test_skip").outcome, "skipped");
        let variant = o.judge("tests/unit/test_a.py::test_batch[3]");
        assert_eq!(variant.outcome, "missing");
        assert!(
            variant.detail.ends_with("tests/unit/test_a.py has test_batch[1], test_batch[2]"),
            "{}",
            variant.detail
        );
        let other = o.judge("tests/unit/test_other.py::test_x");
        assert!(other.detail.contains("no test of tests/unit/test_other.py ran"), "{}", other.detail);
        let broken = o.judge("tests/unit/test_broken.py::test_x");
        assert!(broken.detail.contains("failed to collect (ModuleNotFoundError"), "{}", broken.detail);
        assert_eq!(broken.to_json()["outcome"], "missing");
        assert!(broken.to_json().get("nodeid").is_none(), "absent, not null");
    }

    #[test]
    fn merging_keeps_the_worse_outcome() {
        let mut a = doc();
        let b = Outcomes::from_json(
            r#"{"version": 1, "tests": [{"nodeid": "tests/unit/test_a.py::test_ok", "outcome": "failed"},
                {"nodeid": "tests/unit/test_b.py::test_new", "outcome": "passed"}]}"#,
        )
        .unwrap();
        a.merge(b);
        assert_eq!(a.tests["tests/unit/test_a.py::test_ok"].outcome, Outcome::Failed);
        assert_eq!(a.tests.len(), 7);
    }

    #[test]
    fn test_names() {
        for yes in ["tests/unit/test_a.py::test_b", "t.py::TestC::test_d[1-2]", " x/t.py::test_e "] {
            assert!(is_test_name(yes), "{yes}");
        }
        for no in [
            "src/pkg/a.py",
            "a.py::",
            "a b.py::test",
            "pkg.mod::x",
            "a.py::[1]",
            "std::fs::read",
            "[tests/a.py::test_b]",
        ] {
            assert!(!is_test_name(no), "{no}");
        }
    }
}
