//! Coverage verdicts: the coverage plugin's reports (per file, coverage.py's
//! own analysis: statements, missing statements, branches) -> per-module
//! percentages against a threshold, missing line ranges, and changed-line
//! coverage (added lines that are executable, covered / total, like diff-cover).
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::core::diff::AddedLines;

/// What coverage.py's analysis says of one file: the figures `coverage
/// report` prints for it under the project's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// Lines coverage.py counts as statements (excluded lines are none).
    pub statements: BTreeSet<usize>,
    /// Statements no test ran; a subset of `statements`.
    pub missing: BTreeSet<usize>,
    pub excluded: BTreeSet<usize>,
    /// Branches (possible exits of branching lines) when the host measures
    /// them; 0 otherwise.
    pub branches: usize,
    /// Branch arcs (from, to) no test took; as many as coverage.py counts
    /// missing (a `# pragma: no branch` line has none).
    pub missing_branches: BTreeSet<(i64, i64)>,
}

impl FileCoverage {
    pub fn statements(&self) -> usize {
        self.statements.len()
    }

    /// Statements some test ran.
    pub fn executed(&self) -> BTreeSet<usize> {
        self.statements.difference(&self.missing).copied().collect()
    }

    pub fn covered(&self) -> usize {
        self.statements.len() - self.missing.len()
    }

    pub fn covered_branches(&self) -> usize {
        self.branches.saturating_sub(self.missing_branches.len())
    }

    /// coverage.py's own formula: (lines + branches covered) / (lines + branches);
    /// a file with nothing to measure is 100%.
    pub fn percent(&self) -> f64 {
        let covered = self.covered() + self.covered_branches();
        let total = self.statements() + self.branches;
        if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        }
    }

    fn is_empty(&self) -> bool {
        self.statements.is_empty() && self.branches == 0 && self.excluded.is_empty()
    }

    /// Two measurements of the same file (two pytest processes) as one, the
    /// way coverage.py combines their data: a statement or branch is missing
    /// only when both missed it.
    pub fn merge(&mut self, other: &FileCoverage) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other.clone();
            return;
        }
        let executed: BTreeSet<usize> = self.executed().union(&other.executed()).copied().collect();
        self.statements.extend(&other.statements);
        self.missing = self.statements.difference(&executed).copied().collect();
        self.excluded.extend(&other.excluded);
        self.branches = self.branches.max(other.branches);
        self.missing_branches = self.missing_branches.intersection(&other.missing_branches).copied().collect();
    }
}

/// A coverage report: repository-relative path -> measurement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageData {
    pub files: BTreeMap<String, FileCoverage>,
}

impl CoverageData {
    /// Read one report of the coverage plugin (xtask/python/xtask_coverage_plugin.py).
    /// Its keys are relative to the folder pytest ran in (here: `root`) or
    /// absolute; both become root-relative `/` paths.
    pub fn from_json(text: &str, root: &str) -> Result<CoverageData, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not a coverage report: {e}"))?;
        let files = doc.get("files").and_then(Value::as_object).ok_or("coverage report without \"files\"")?;
        let mut data = CoverageData::default();
        for (key, entry) in files {
            if entry.get("statements").and_then(Value::as_array).is_none() {
                return Err(format!("coverage report entry {key} without \"statements\""));
            }
            let statements = lines(entry, "statements");
            let file = FileCoverage {
                missing: lines(entry, "missing_lines").intersection(&statements).copied().collect(),
                statements,
                excluded: lines(entry, "excluded_lines"),
                branches: entry.get("num_branches").and_then(Value::as_u64).unwrap_or(0) as usize,
                missing_branches: arcs(entry, "missing_branches"),
            };
            data.files.entry(normalize_key(key, root)).or_default().merge(&file);
        }
        Ok(data)
    }

    pub fn merge(&mut self, other: &CoverageData) {
        for (path, file) in &other.files {
            self.files.entry(path.clone()).or_default().merge(file);
        }
    }
}

fn lines(entry: &Value, key: &str) -> BTreeSet<usize> {
    let items = entry.get(key).and_then(Value::as_array);
    items.into_iter().flatten().filter_map(Value::as_u64).map(|n| n as usize).collect()
}

fn arcs(entry: &Value, key: &str) -> BTreeSet<(i64, i64)> {
    let items = entry.get(key).and_then(Value::as_array);
    items.into_iter().flatten().filter_map(|pair| Some((pair.get(0)?.as_i64()?, pair.get(1)?.as_i64()?))).collect()
}

/// A coverage.py file key as a root-relative path with `/` separators
/// (a path outside the root stays absolute).
pub fn normalize_key(key: &str, root: &str) -> String {
    let key = key.replace('\\', "/");
    let root = root.trim_end_matches('/');
    match key.strip_prefix(root).filter(|rest| rest.starts_with('/')) {
        Some(rest) => clean(rest),
        None if key.starts_with('/') => format!("/{}", clean(&key)),
        None => clean(&key),
    }
}

/// Drop empty and `.` components, fold `..` into its parent.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Changed-line coverage: added lines that coverage counts as statements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedLines {
    pub covered: usize,
    pub total: usize,
    /// Added statements no test ran.
    pub missing: Vec<usize>,
}

impl ChangedLines {
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }

    pub fn add(&mut self, other: &ChangedLines) {
        self.covered += other.covered;
        self.total += other.total;
    }
}

/// How much of one modified module the tests ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleVerdict {
    /// Root-relative path.
    pub path: String,
    /// False when the report has no data for the module: no test imported it.
    pub imported: bool,
    pub percent: f64,
    pub statements: usize,
    pub covered: usize,
    /// Branches (coverage.py's possible exits of branching lines), covered
    /// and all; both 0 when the project does not measure branches.
    pub branches: usize,
    pub covered_branches: usize,
    /// Missing statements as ranges, `term-missing` style: `7-9, 14`.
    pub missing_ranges: String,
    pub changed: ChangedLines,
    pub passed: bool,
}

/// Judge each modified module against `threshold` (compared unrounded).
/// `absent` gives the text of modules the report lacks: such a module is 0%
/// (never imported), unless it has no statements at all (100%, like coverage.py).
pub fn judge(
    modules: &[String],
    data: &CoverageData,
    added: &AddedLines,
    threshold: f64,
    absent: &dyn Fn(&str) -> Option<String>,
) -> Vec<ModuleVerdict> {
    let no_lines = BTreeSet::new();
    modules
        .iter()
        .map(|path| {
            let added_here = added.get(path).unwrap_or(&no_lines);
            match data.files.get(path) {
                Some(file) => {
                    let percent = file.percent();
                    let changed = ChangedLines {
                        covered: added_here.intersection(&file.executed()).count(),
                        total: added_here.intersection(&file.statements).count(),
                        missing: added_here.intersection(&file.missing).copied().collect(),
                    };
                    ModuleVerdict {
                        path: path.clone(),
                        imported: true,
                        percent,
                        statements: file.statements(),
                        covered: file.covered(),
                        branches: file.branches,
                        covered_branches: file.covered_branches(),
                        missing_ranges: ranges(&file.statements, &file.missing),
                        changed,
                        passed: percent >= threshold,
                    }
                }
                None => {
                    let text = absent(path).unwrap_or_default();
                    let code = code_lines(&text);
                    let percent = if code.is_empty() { 100.0 } else { 0.0 };
                    // Without a measurement, every added line that holds code
                    // counts as an uncovered statement.
                    let missing: Vec<usize> = added_here.intersection(&code).copied().collect();
                    ModuleVerdict {
                        path: path.clone(),
                        imported: false,
                        percent,
                        statements: 0,
                        covered: 0,
                        branches: 0,
                        covered_branches: 0,
                        missing_ranges: String::new(),
                        changed: ChangedLines { covered: 0, total: missing.len(), missing },
                        passed: percent >= threshold,
                    }
                }
            }
        })
        .collect()
}

/// Changed-line coverage over all modules.
pub fn changed_total(verdicts: &[ModuleVerdict]) -> ChangedLines {
    let mut total = ChangedLines::default();
    for v in verdicts {
        total.add(&v.changed);
    }
    total
}

/// Missing statements as ranges the way `--cov-report=term-missing` shows
/// them: a range runs over consecutive statements (blank lines and comments
/// between them do not break it).
pub fn ranges(statements: &BTreeSet<usize>, missing: &BTreeSet<usize>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    for &line in statements {
        if missing.contains(&line) {
            run = Some(match run {
                Some((start, _)) => (start, line),
                None => (line, line),
            });
        } else if let Some(r) = run.take() {
            out.push(show_range(r));
        }
    }
    if let Some(r) = run {
        out.push(show_range(r));
    }
    out.join(", ")
}

fn show_range((start, end): (usize, usize)) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

/// A percentage to one decimal, never rounded across the threshold or to 100:
/// 89.96 against 90 shows `89.9`, not `90.0`.
pub fn show_percent(percent: f64, threshold: f64) -> String {
    let rounded = (percent * 10.0).round() / 10.0;
    let crosses = (percent < threshold && rounded >= threshold) || (percent < 100.0 && rounded >= 100.0);
    let shown = if crosses { (percent * 10.0).floor() / 10.0 } else { rounded };
    format!("{shown:.1}")
}

/// 1-based lines that hold code: not blank, not a comment, not the module
/// docstring (coverage.py counts none of those as statements).
pub fn code_lines(text: &str) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let mut docstring: Option<&str> = None;
    let mut seen_code = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(quote) = docstring {
            if line.contains(quote) {
                docstring = None;
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !seen_code {
            let body = line.trim_start_matches(['r', 'R', 'u', 'U']);
            if let Some(quote) = ["\"\"\"", "'''"].into_iter().find(|q| body.starts_with(q)) {
                seen_code = true;
                if !body[3..].contains(quote) {
                    docstring = Some(quote);
                }
                continue;
            }
        }
        seen_code = true;
        out.insert(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // A report of the coverage plugin (trimmed): a.py half covered (line 9
    // excluded), b.py never run, __init__.py empty; one key absolute.
    const REPORT: &str = r#"{
      "meta": {"coverage": "7.12.0"},
      "files": {
        "src/pkg/__init__.py": {"statements": [], "missing_lines": [], "excluded_lines": [],
          "num_branches": 0, "missing_branches": [], "summary": {"num_statements": 0, "percent_covered": 100.0}},
        "src/pkg/a.py": {"statements": [1, 2, 4, 5, 6, 7], "missing_lines": [5, 6, 7], "excluded_lines": [9],
          "num_branches": 0, "missing_branches": [], "summary": {"num_statements": 6, "percent_covered": 50.0}},
        "/repo/src/pkg/b.py": {"statements": [1, 2], "missing_lines": [1, 2], "excluded_lines": [],
          "num_branches": 0, "missing_branches": [], "summary": {"num_statements": 2, "percent_covered": 0.0}}
      },
      "xtask": {"core": "slipcover", "branch": false, "left_out": {}}
    }"#;

    fn data() -> CoverageData {
        CoverageData::from_json(REPORT, "/repo").unwrap()
    }

    fn set(items: &[usize]) -> BTreeSet<usize> {
        items.iter().copied().collect()
    }

    #[test]
    fn reads_the_report_with_normalized_paths() {
        let d = data();
        assert_eq!(d.files.keys().collect::<Vec<_>>(), ["src/pkg/__init__.py", "src/pkg/a.py", "src/pkg/b.py"]);
        assert_eq!(d.files["src/pkg/a.py"].percent(), 50.0);
        assert_eq!(d.files["src/pkg/__init__.py"].percent(), 100.0);
        assert!(CoverageData::from_json("{}", "/repo").is_err());
        assert!(CoverageData::from_json("not json", "/repo").is_err());
        // coverage.py's own JSON report is not read: its executed_lines held
        // docstrings and excluded lines before coverage 7.13.1.
        let theirs = r#"{"files": {"a.py": {"executed_lines": [1, 2], "missing_lines": [3], "excluded_lines": [1]}}}"#;
        let err = CoverageData::from_json(theirs, "/repo").unwrap_err();
        assert!(err.contains("a.py without \"statements\""), "{err}");
    }

    #[test]
    fn the_figures_come_from_the_statements() {
        // A missing line that is no statement (a stray docstring or excluded
        // line) never counts; covered = statements - missing.
        let report = r#"{"files": {"m.py": {"statements": [4, 5, 8, 9], "missing_lines": [1, 9],
            "excluded_lines": [1], "num_branches": 0, "missing_branches": []}}}"#;
        let file = &CoverageData::from_json(report, "/repo").unwrap().files["m.py"];
        assert_eq!((file.covered(), file.statements()), (3, 4));
        assert_eq!(file.executed(), set(&[4, 5, 8]));
        assert_eq!(file.percent(), 75.0);
    }

    #[test]
    fn keys_outside_the_root_stay_absolute() {
        assert_eq!(normalize_key("/elsewhere/x.py", "/repo"), "/elsewhere/x.py");
        assert_eq!(normalize_key("/repository/x.py", "/repo"), "/repository/x.py");
        assert_eq!(normalize_key("./src/../src/x.py", "/repo"), "src/x.py");
        assert_eq!(normalize_key("/repo/src/x.py", "/repo/"), "src/x.py");
        assert_eq!(normalize_key("src\\x.py", "/repo"), "src/x.py");
    }

    #[test]
    fn judges_modules_against_the_threshold() {
        let modules = vec!["src/pkg/a.py".to_string(), "src/pkg/b.py".into(), "src/pkg/c.py".into()];
        let mut added = AddedLines::new();
        added.insert("src/pkg/a.py".into(), set(&[2, 3, 5, 6]));
        added.insert("src/pkg/c.py".into(), set(&[1, 2, 3]));
        let absent = |p: &str| (p == "src/pkg/c.py").then(|| "# note\ndef f():\n    return 1\n".to_string());
        let v = judge(&modules, &data(), &added, 50.0, &absent);
        assert!(v[0].passed && v[0].imported);
        assert_eq!((v[0].covered, v[0].statements), (3, 6));
        assert_eq!(v[0].missing_ranges, "5-7");
        // Line 3 is not a statement; 2 covered, 5 and 6 missing.
        assert_eq!(v[0].changed, ChangedLines { covered: 1, total: 3, missing: vec![5, 6] });
        assert!(!v[1].passed);
        assert_eq!(v[1].missing_ranges, "1-2");
        // Never imported: 0%, and its added code lines are uncovered.
        assert!(!v[2].imported && !v[2].passed && v[2].percent == 0.0);
        assert_eq!(v[2].changed.total, 2);
        let total = changed_total(&v);
        assert_eq!((total.covered, total.total), (1, 5));
    }

    #[test]
    fn the_threshold_is_compared_unrounded() {
        let file =
            FileCoverage { statements: (1..=10000).collect(), missing: (9000..=10000).collect(), ..Default::default() };
        let mut d = CoverageData::default();
        d.files.insert("m.py".into(), file);
        let v = judge(&["m.py".into()], &d, &AddedLines::new(), 90.0, &|_| None);
        assert!(v[0].percent < 90.0 && !v[0].passed);
        assert_eq!(show_percent(v[0].percent, 90.0), "89.9");
        assert_eq!(show_percent(66.666, 90.0), "66.7");
        assert_eq!(show_percent(99.96, 90.0), "99.9");
        assert_eq!(show_percent(100.0, 90.0), "100.0");
    }

    #[test]
    fn an_empty_module_nobody_imports_is_fully_covered() {
        let absent = |_: &str| Some("\"\"\"Only a docstring\nover two lines.\"\"\"\n\n# and a comment\n".to_string());
        let v = judge(&["e.py".into()], &CoverageData::default(), &AddedLines::new(), 90.0, &absent);
        assert!(v[0].passed && !v[0].imported);
        assert_eq!(code_lines("x = 1\n'''not a docstring'''\n"), set(&[1, 2]));
        assert_eq!(code_lines("r'''doc'''\nimport os\n"), set(&[2]));
    }

    #[test]
    fn ranges_join_consecutive_statements() {
        let statements = set(&[1, 2, 4, 5, 7, 9, 10]);
        assert_eq!(ranges(&statements, &set(&[2, 4, 5, 9])), "2-5, 9");
        assert_eq!(ranges(&statements, &set(&[10])), "10");
        assert_eq!(ranges(&statements, &set(&[])), "");
    }

    #[test]
    fn merging_two_runs_takes_the_union() {
        let mut a = FileCoverage {
            statements: set(&[1, 2, 3, 4]),
            missing: set(&[3, 4]),
            branches: 4,
            missing_branches: [(1, 3), (2, 4), (2, -1)].into(),
            ..Default::default()
        };
        let b = FileCoverage {
            statements: set(&[1, 2, 3, 4]),
            missing: set(&[2, 4]),
            excluded: set(&[6]),
            branches: 4,
            missing_branches: [(1, 2), (2, 4), (2, -1)].into(),
        };
        a.merge(&b);
        assert_eq!(a.executed(), set(&[1, 2, 3]));
        assert_eq!(a.missing, set(&[4]));
        assert_eq!(a.excluded, set(&[6]));
        // A branch is missing when both runs missed it.
        assert_eq!(a.missing_branches, [(2, 4), (2, -1)].into());
        // (3 lines + 2 branches) / (4 + 4)
        assert!((a.percent() - 500.0 / 8.0).abs() < 1e-9);
        // A process that did not measure the file changes nothing.
        let before = a.clone();
        a.merge(&FileCoverage::default());
        assert_eq!(a, before);
        let mut empty = FileCoverage::default();
        empty.merge(&b);
        assert_eq!(empty, b);
    }
}
