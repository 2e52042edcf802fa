//! `specs/guides/quality-gates.yaml`, the file this workflow's projects keep
//! (version 2.0, or the older shape without `metadata`), read into what the
//! gate can act on:
//! - the commands of `implementation_gates`, `testing_gates` and
//!   `documentation_gates`, each run at its phase (its `fallback` when the
//!   primary's tool or make target is missing; `required: false` reports
//!   without failing);
//! - the coverage threshold of an entry with `threshold` and
//!   `scope: modified_modules`;
//! - anti-pattern `rules` (`pattern`, `severity`, `message`, and the path
//!   keys `path`, `applicable_in`, `file_pattern`), which join the `rules`
//!   check. A rule the regex engine cannot take (a look-ahead) or whose
//!   condition the kit cannot evaluate is kept as skipped, with its name and
//!   why, never dropped silently.
//!
//! Everything else an entry may say (`description`, `type: custom`,
//! `applicable_when` on a gate) is for people and agents: such entries are
//! listed as not checked.
use regex_lite::Regex;

use crate::core::checks::rules::{compile_bounded, too_large, BoundError, Work, WORK_BUDGET};
use crate::core::devtools::has_target;
use crate::core::diff::ChangedFile;
use crate::core::finding::Finding;
use crate::core::glob;
use crate::core::phase::Phase;
use crate::core::yaml::{self, Node};

/// Where the file lives, relative to the root.
pub const FILE: &str = "specs/guides/quality-gates.yaml";

/// The sections whose commands run, and the phase each runs at.
pub const PHASE_SECTIONS: [(&str, Phase); 3] = [
    ("implementation_gates", Phase::Implementation),
    ("testing_gates", Phase::Testing),
    ("documentation_gates", Phase::Docs),
];

/// Top-level tables that hold rules outside any gate list.
const RULE_TABLES: [&str; 2] = ["anti_pattern_scan", "pattern_compliance"];

/// Everything the file declares that the gate acts on.
#[derive(Debug, Clone, Default)]
pub struct QualityGates {
    /// `metadata.version`, when given.
    pub version: Option<String>,
    pub commands: Vec<GateCommand>,
    pub threshold: Option<Threshold>,
    pub rules: Vec<GateRule>,
    /// Rules kept out of the check, each with why.
    pub skipped_rules: Vec<Skipped>,
    /// Entries with nothing the kit can run or measure (descriptions,
    /// `type: custom`, sections it does not run), by name.
    pub unchecked: Vec<Skipped>,
    /// Shapes the kit cannot read (a `command` that is not text, ...): each
    /// one is a failing finding at its line.
    pub problems: Vec<Problem>,
}

/// One owner-declared command.
#[derive(Debug, Clone, PartialEq)]
pub struct GateCommand {
    pub phase: Phase,
    pub section: String,
    pub name: String,
    pub line: usize,
    pub command: String,
    pub fallback: Option<String>,
    /// `required: false`: a failure is reported, not gated.
    pub required: bool,
}

/// The coverage threshold an entry declares.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub name: String,
    pub line: usize,
    pub percent: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One anti-pattern rule.
#[derive(Debug, Clone)]
pub struct GateRule {
    /// `{entry name}.{n}` (1-based): the finding's rule id.
    pub id: String,
    pub line: usize,
    pub regex: Regex,
    /// The cost of one byte searched (see `checks/rules.rs`).
    pub cost: usize,
    pub severity: Severity,
    pub message: String,
    /// Path globs a file must match (default: every Python file).
    pub include: Vec<String>,
}

/// Something named that the gate does not check, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

/// Read the file's text. A document YAML cannot parse is an error with its
/// line; a document of the wrong shape (a list at the top) too.
pub fn parse(text: &str) -> Result<QualityGates, Problem> {
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(QualityGates::default()),
        Err(e) => {
            return Err(Problem {
                line: e.line,
                message: format!("not valid YAML: {}{}", e.message, escape_hint(&e.message)),
            })
        }
    };
    let Some(sections) = root.as_map() else {
        return Err(Problem { line: root.line, message: "expected a mapping of gate sections at the top".into() });
    };
    // The older files say `version:` and `description:` at the top.
    let version_node = root.get("metadata").and_then(|m| m.get("version")).or_else(|| root.get("version"));
    let mut out = QualityGates { version: version_node.and_then(Node::as_text), ..QualityGates::default() };
    if let Some(v) = &out.version {
        if !(v == "2" || v.starts_with("2.") || v == "1" || v.starts_with("1.")) {
            out.problems.push(Problem {
                line: root.get("metadata").map_or(1, |m| m.line),
                message: format!("version {v} is not one the kit reads (2.0); see specs/guides/configuration.md for the shape the kit reads"),
            });
        }
    }
    for (key, node) in sections {
        let about_the_file =
            key == "metadata" || ((key == "version" || key == "description") && node.as_text().is_some());
        if about_the_file {
            continue;
        }
        if RULE_TABLES.contains(&key.as_str()) && node.as_map().is_some() {
            if node.get("enabled").and_then(Node::as_bool) != Some(false) {
                read_rules(&mut out, key, node);
            }
            continue;
        }
        let phase = PHASE_SECTIONS.iter().find(|(s, _)| s == key).map(|(_, p)| *p);
        let Some(entries) = node.as_seq() else {
            out.unchecked.push(Skipped { name: key.clone(), line: node.line, reason: "not a list of gates".into() });
            continue;
        };
        for (n, entry) in entries.iter().enumerate() {
            // A list of rules at the top (`code_standards:` entries with a
            // `pattern`, a `severity` and a `message`), not of gates.
            let is_rule =
                entry.get("pattern").is_some() && entry.get("command").is_none() && entry.get("rules").is_none();
            if is_rule {
                read_rule(&mut out, format!("{key}.{}", n + 1), entry);
            } else {
                read_entry(&mut out, key, phase, entry);
            }
        }
    }
    Ok(out)
}

/// YAML's double quotes take backslash escapes; a regex written there needs
/// its backslashes doubled, or single quotes.
fn escape_hint(message: &str) -> &'static str {
    if message.contains("escape") {
        "; inside double quotes write a regex backslash as `\\\\`, or use single quotes"
    } else {
        ""
    }
}

fn read_entry(out: &mut QualityGates, section: &str, phase: Option<Phase>, entry: &Node) {
    let name = entry.get("name").and_then(Node::as_text).unwrap_or_else(|| format!("{section} entry"));
    if entry.as_map().is_none() {
        out.unchecked.push(Skipped { name, line: entry.line, reason: "not a mapping".into() });
        return;
    }
    let mut acted = false;
    if entry.get("rules").is_some() {
        read_rules(out, &name, entry);
        acted = true;
    }
    if let Some(t) = entry.get("threshold") {
        acted = true;
        let scope = entry.get("scope").and_then(Node::as_text).unwrap_or_else(|| "modified_modules".into());
        match t.as_f64() {
            Some(p) if (0.0..=100.0).contains(&p) && scope == "modified_modules" => {
                if out.threshold.is_none() {
                    out.threshold = Some(Threshold { name: name.clone(), line: t.line, percent: p });
                } else {
                    out.unchecked.push(Skipped {
                        name: name.clone(),
                        line: t.line,
                        reason: "a second threshold; the first one declared is used".into(),
                    });
                }
            }
            Some(p) if (0.0..=100.0).contains(&p) => out.unchecked.push(Skipped {
                name: name.clone(),
                line: t.line,
                reason: format!("scope `{scope}`: only `modified_modules` is measured"),
            }),
            _ => out.problems.push(Problem {
                line: t.line,
                message: format!("gate `{name}`: threshold must be a percentage from 0 to 100"),
            }),
        }
    }
    let text = |key: &str| -> Result<Option<String>, Problem> {
        match entry.get(key) {
            None => Ok(None),
            Some(n) => match n.as_str() {
                Some(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
                _ => Err(Problem { line: n.line, message: format!("gate `{name}`: `{key}` must be a command line") }),
            },
        }
    };
    let (command, fallback) = match (text("command"), text("fallback")) {
        (Ok(c), Ok(f)) => (c, f),
        (Err(p), _) | (_, Err(p)) => {
            out.problems.push(p);
            return;
        }
    };
    let required = match entry.get("required") {
        None => true,
        Some(n) => match n.as_bool() {
            Some(b) => b,
            None => {
                out.problems.push(Problem {
                    line: n.line,
                    message: format!("gate `{name}`: `required` must be true or false"),
                });
                return;
            }
        },
    };
    let Some(command) = command.or_else(|| fallback.clone()) else {
        if !acted {
            let reason = match entry.get("type").and_then(Node::as_text) {
                Some(kind) => format!("type `{kind}`: a description for reviewers, nothing to run"),
                None => "no command, threshold or rules: a description for reviewers".into(),
            };
            out.unchecked.push(Skipped { name, line: entry.line, reason });
        }
        return;
    };
    let fallback = fallback.filter(|f| *f != command);
    if entry.get("threshold").is_some() {
        // The kit measures coverage itself, in the gate's one test run.
        out.unchecked.push(Skipped {
            name,
            line: entry.line,
            reason: "its command measures coverage, which the `coverage` check does with the declared threshold".into(),
        });
        return;
    }
    match phase {
        Some(phase) => out.commands.push(GateCommand {
            phase,
            section: section.to_string(),
            name,
            line: entry.line,
            command,
            fallback,
            required,
        }),
        None => out.unchecked.push(Skipped {
            name,
            line: entry.line,
            reason: format!("`{section}` is not a phase the gate runs commands at (implementation_gates, testing_gates, documentation_gates)"),
        }),
    }
}

fn read_rules(out: &mut QualityGates, owner: &str, holder: &Node) {
    let Some(rules) = holder.get("rules").and_then(Node::as_seq) else {
        out.problems.push(Problem { line: holder.line, message: format!("`{owner}`: `rules` must be a list") });
        return;
    };
    for (n, rule) in rules.iter().enumerate() {
        read_rule(out, format!("{owner}.{}", n + 1), rule);
    }
}

/// One rule, `id` its name in findings: kept, or skipped with why.
fn read_rule(out: &mut QualityGates, id: String, rule: &Node) {
    let skip = |reason: String| Skipped { name: id.clone(), line: rule.line, reason };
    let Some(pattern) = rule.get("pattern").and_then(Node::as_text) else {
        let reason = if rule.get("must_include").is_some() || rule.get("required_in").is_some() {
            "a rule that requires code to be present; only anti-patterns (a `pattern` to avoid) are checked".into()
        } else {
            "no `pattern`".into()
        };
        out.skipped_rules.push(skip(reason));
        return;
    };
    if rule.get("must_include").is_some() || rule.get("required_in").is_some() {
        out.skipped_rules.push(skip(
            "a rule that requires code to be present; only anti-patterns (a `pattern` to avoid) are checked".into(),
        ));
        return;
    }
    if let Some(when) = rule.get("applicable_when").and_then(Node::as_text) {
        out.skipped_rules.push(skip(format!("applies when `{when}`, a condition the kit cannot evaluate")));
        return;
    }
    let (regex, cost) = match compile_bounded(&pattern) {
        Ok(r) => r,
        Err(BoundError::Invalid(e)) => {
            out.skipped_rules.push(skip(unsupported(&pattern, &e.to_string())));
            return;
        }
        Err(BoundError::TooLarge) => {
            out.skipped_rules.push(skip(format!("pattern `{pattern}`: {}", too_large())));
            return;
        }
    };
    let severity = match rule.get("severity").and_then(Node::as_text).as_deref().map(str::to_ascii_lowercase) {
        None => Severity::Error,
        Some(s) if s == "error" || s == "critical" || s == "high" => Severity::Error,
        Some(_) => Severity::Warning,
    };
    let message = rule
        .get("message")
        .and_then(Node::as_text)
        .unwrap_or_else(|| format!("matches the anti-pattern `{pattern}` of {FILE}"));
    out.rules.push(GateRule { id, line: rule.line, regex, cost, severity, message, include: rule_scope(rule) });
}

/// Why a pattern cannot be checked, in words an author can act on.
fn unsupported(pattern: &str, error: &str) -> String {
    let first = error.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(error);
    if ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|l| pattern.contains(l)) {
        format!("pattern `{pattern}` uses look-around, which the regex engine (regex-lite) does not support")
    } else {
        format!("pattern `{pattern}` is not a valid regex ({first}); escape literal brackets and parentheses")
    }
}

/// The files a rule applies to: `path` (a folder from the root; `scope` in
/// the older files), then `applicable_in` (folder names anywhere), each
/// narrowed by `file_pattern` (default `*.py`).
fn rule_scope(rule: &Node) -> Vec<String> {
    let name = rule.get("file_pattern").and_then(Node::as_text).unwrap_or_else(|| "*.py".into());
    let name = name.trim_start_matches("**/").to_string();
    let mut dirs: Vec<String> = Vec::new();
    if let Some(path) = rule.get("path").or_else(|| rule.get("scope")).and_then(Node::as_text) {
        dirs.push(format!("{}/", path.trim_matches('/')));
    }
    let listed: Vec<String> = match rule.get("applicable_in") {
        Some(n) => match n.as_seq() {
            Some(items) => items.iter().filter_map(Node::as_text).collect(),
            None => n.as_text().into_iter().collect(),
        },
        None => Vec::new(),
    };
    for dir in listed {
        dirs.push(format!("**/{}/", dir.trim_matches('/')));
    }
    if dirs.is_empty() {
        return vec![format!("**/{name}")];
    }
    dirs.into_iter().map(|d| format!("{d}**/{name}")).collect()
}

/// Why the tool a command starts with is not there, or None when it is:
/// `make T...` needs a makefile with each target; anything else needs its
/// first word (after `NAME=value` assignments) to be a program `exists`
/// finds. A command that starts with shell syntax is taken as there.
pub fn missing_tool(command: &str, makefile: Option<&str>, exists: impl Fn(&str) -> bool) -> Option<String> {
    let mut words = command.split_whitespace().skip_while(|w| {
        w.split_once('=')
            .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    });
    let program = words.next()?;
    if !program.chars().all(|c| c.is_ascii_alphanumeric() || "-_./+".contains(c)) {
        return None;
    }
    if program == "make" {
        let Some(text) = makefile else { return Some("no Makefile".into()) };
        for word in words.take_while(|w| !["&&", "||", ";", "|"].contains(w)) {
            if word.starts_with('-') || word.contains('=') {
                continue;
            }
            if !has_target(text, word) {
                return Some(format!("the Makefile has no target `{word}`"));
            }
        }
        return None;
    }
    (!exists(program)).then(|| format!("`{program}` is not installed"))
}

/// The rules of the file over the added lines of the modified files: a
/// matching line is a failing finding for an `error` rule, a warning (a
/// passing finding marked `"warning": true`) otherwise; a rule that matched
/// nothing passes.
pub fn check_rules(rules: &[GateRule], files: &[ChangedFile]) -> Vec<Finding> {
    check_rules_within(rules, files, WORK_BUDGET)
}

fn check_rules_within(rules: &[GateRule], files: &[ChangedFile], budget: u64) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules {
        let before = out.len();
        let mut work = Work::new(rule.cost, budget);
        let finding = |message: String| match rule.severity {
            Severity::Error => Finding::fail("rules", &rule.id, message),
            Severity::Warning => Finding::pass("rules", &rule.id, message).with("warning", true),
        };
        'files: for file in files.iter().filter(|f| glob::selected(&f.path, &rule.include, &[])) {
            for (line, text) in &file.added {
                if !work.take(text) {
                    let message = format!("{} (rule at {FILE}:{})", work.exhausted(&rule.id), rule.line);
                    out.push(finding(message).at(file.path.clone(), Some(*line)));
                    break 'files;
                }
                if !rule.regex.is_match(text) {
                    continue;
                }
                let message = format!("{} (`{}`; rule at {FILE}:{})", rule.message, text.trim(), rule.line);
                out.push(finding(message).at(file.path.clone(), Some(*line)));
            }
        }
        if out.len() == before {
            out.push(Finding::pass("rules", &rule.id, format!("no added line matches `{}`", rule.regex.as_str())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape the workflow's projects use (version 2.0), written for this test.
    const V2: &str = r#"metadata:
  version: "2.0"
  adaptive: true

implementation_gates:
  - name: unit_tests
    command: "make test"
    fallback: "uv run pytest tests/unit"
    required: true
    description: "tests pass"

  - name: types
    command: "uv run mypy src/"
    required: false

  - name: isolation
    description: "tests run in parallel"

testing_gates:
  - name: coverage_gate
    threshold: 85
    scope: "modified_modules"
    command: "uv run pytest --cov"

  - name: n_plus_one
    type: "custom"
    applicable_when: "database_operations"

documentation_gates:
  - name: docs_build
    command: "make docs"
  - name: anti_pattern_scan
    rules:
      - pattern: "Optional\\["
        severity: "error"
        message: "Use T | None"
      - pattern: "^(?!from __future__ import annotations)"
        file_pattern: "*.py"
        severity: "error"
        message: "future import first"
      - pattern: "class Test"
        path: "tests/"
        severity: "warning"
        message: "function tests"
      - pattern: "getattr("
        severity: "warning"

commit_gates:
  - name: no_debug
    patterns: ["breakpoint()"]
"#;

    #[test]
    fn reads_the_version_2_shape() {
        let q = parse(V2).unwrap();
        assert_eq!(q.version.as_deref(), Some("2.0"));
        assert!(q.problems.is_empty(), "{:?}", q.problems);
        let names: Vec<(&str, Phase, bool)> =
            q.commands.iter().map(|c| (c.name.as_str(), c.phase, c.required)).collect();
        assert_eq!(
            names,
            [
                ("unit_tests", Phase::Implementation, true),
                ("types", Phase::Implementation, false),
                ("docs_build", Phase::Docs, true)
            ]
        );
        assert_eq!(q.commands[0].fallback.as_deref(), Some("uv run pytest tests/unit"));
        assert_eq!(q.commands[0].line, 6);
        assert_eq!(q.threshold, Some(Threshold { name: "coverage_gate".into(), line: 21, percent: 85.0 }));

        let rules: Vec<(&str, Severity)> = q.rules.iter().map(|r| (r.id.as_str(), r.severity)).collect();
        assert_eq!(rules, [("anti_pattern_scan.1", Severity::Error), ("anti_pattern_scan.3", Severity::Warning)]);
        assert!(q.rules[0].regex.is_match("x: Optional[int]"));
        assert!(glob::selected("src/a/b.py", &q.rules[0].include, &[]));
        assert!(!glob::selected("docs/a.md", &q.rules[0].include, &[]));
        assert!(glob::selected("tests/unit/test_a.py", &q.rules[1].include, &[]));
        assert!(!glob::selected("src/tests.py", &q.rules[1].include, &[]));

        let skipped: Vec<&str> = q.skipped_rules.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(skipped, ["anti_pattern_scan.2", "anti_pattern_scan.4"]);
        assert!(q.skipped_rules[0].reason.contains("look-around"), "{}", q.skipped_rules[0].reason);
        assert!(q.skipped_rules[1].reason.contains("not a valid regex"), "{}", q.skipped_rules[1].reason);

        let unchecked: Vec<&str> = q.unchecked.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(unchecked, ["isolation", "coverage_gate", "n_plus_one", "no_debug"]);
    }

    #[test]
    fn the_older_shape_and_top_level_rule_tables() {
        let q = parse(
            "implementation_gates:\n  - name: lint\n    command: \"ruff check .\"\nanti_pattern_scan:\n  enabled: true\n  rules:\n    - pattern: \"import json\"\n      severity: warning\n      message: prefer the framework's json\n    - pattern: \"^\\\\s+#[^!]\"\n      applicable_when: \"not_type_ignore\"\npattern_compliance:\n  enabled: false\n  rules:\n    - pattern: \"__all__ = \\\\[\"\n",
        )
        .unwrap();
        assert_eq!(q.version, None);
        assert_eq!(q.commands.len(), 1);
        assert_eq!(q.rules.len(), 1);
        assert_eq!(q.rules[0].id, "anti_pattern_scan.1");
        assert!(q.skipped_rules[0].reason.contains("not_type_ignore"));
    }

    /// The version 1.0 shape: `version` and `description` at the top, a
    /// top-level list of rule entries, per-area coverage targets.
    #[test]
    fn a_top_level_list_of_rules_and_a_top_level_version() {
        let q = parse(
            "version: \"1.0\"\ndescription: \"Gates\"\n\nimplementation_gates:\n  - name: tests_pass\n    command: \"make test\"\n\nstyle_rules:\n  - pattern: \"Optional\\\\[\"\n    severity: error\n    message: \"Use T | None\"\n    reference: \"AGENTS.md#types\"\n  - pattern: \"class Test\"\n    scope: \"tests/\"\n    severity: warning\n    message: \"function tests\"\n\ncoverage_targets:\n  core: 90\n",
        )
        .unwrap();
        assert_eq!(q.version.as_deref(), Some("1.0"));
        assert!(q.problems.is_empty(), "{:?}", q.problems);
        assert_eq!(q.commands.len(), 1);
        let rules: Vec<(&str, usize, Severity)> = q.rules.iter().map(|r| (r.id.as_str(), r.line, r.severity)).collect();
        assert_eq!(rules, [("style_rules.1", 9, Severity::Error), ("style_rules.2", 13, Severity::Warning)]);
        assert!(glob::selected("tests/unit/test_a.py", &q.rules[1].include, &[]));
        assert!(!glob::selected("src/pkg/a.py", &q.rules[1].include, &[]));
        let unchecked: Vec<&str> = q.unchecked.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(unchecked, ["coverage_targets"]);
    }

    #[test]
    fn missing_tools_and_make_targets() {
        let mk = "test:\n\tpytest\nlint: ruff-check\n";
        let on_path = |p: &str| p == "uv" || p == "make";
        assert_eq!(missing_tool("make test", Some(mk), on_path), None);
        assert_eq!(missing_tool("make lint test -j2", Some(mk), on_path), None);
        assert!(missing_tool("make type-check", Some(mk), on_path).unwrap().contains("no target `type-check`"));
        assert!(missing_tool("make test", None, on_path).unwrap().contains("no Makefile"));
        assert_eq!(missing_tool("uv run pytest", None, on_path), None);
        assert_eq!(missing_tool("PYTHONDONTWRITEBYTECODE=1 uv run pytest", None, on_path), None);
        assert!(missing_tool("nox -s lint", None, on_path).unwrap().contains("`nox` is not installed"));
        assert_eq!(missing_tool("(cd x && make)", None, on_path), None);
    }

    #[test]
    fn rules_over_added_lines() {
        let q = parse(V2).unwrap();
        let files = [
            ChangedFile { path: "src/a.py".into(), added: vec![(3, "def f(x: Optional[int]): ...".into())] },
            ChangedFile { path: "tests/test_a.py".into(), added: vec![(7, "class TestA:".into())] },
            ChangedFile { path: "docs/a.md".into(), added: vec![(1, "Optional[int] is old".into())] },
        ];
        let found = check_rules(&q.rules, &files);
        let fails: Vec<(&str, usize)> =
            found.iter().filter(|f| f.is_fail()).map(|f| (f.file.as_deref().unwrap(), f.line.unwrap())).collect();
        assert_eq!(fails, [("src/a.py", 3)]);
        let warned: Vec<&Finding> = found.iter().filter(|f| f.extra.get("warning").is_some()).collect();
        assert_eq!(warned.len(), 1);
        assert_eq!(warned[0].file.as_deref(), Some("tests/test_a.py"));
        assert!(fails.len() + warned.len() < found.len() || found.len() == 2);
    }

    #[test]
    fn costly_rules_are_bounded() {
        // Refused when compiled (skipped by name, like look-around), or
        // stopped where their work budget ran out, naming the rule.
        let yaml = "testing_gates:\n  - name: scan\n    rules:\n      - pattern: '(((a{1,10}){1,10}){1,10}){1,10}z'\n      - pattern: '(a{1,10}){1,10}z'\n";
        let q = parse(yaml).unwrap();
        assert_eq!(q.skipped_rules.len(), 1, "{:?}", q.skipped_rules);
        assert!(q.skipped_rules[0].reason.contains("too large"), "{:?}", q.skipped_rules);
        let added: Vec<(usize, String)> = (1..=100).map(|n| (n, "a".repeat(45))).collect();
        let files = [ChangedFile { path: "src/a.py".into(), added }];
        let budget = q.rules[0].cost as u64 * 46 * 10;
        let found = check_rules_within(&q.rules, &files, budget);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].is_fail() && found[0].line == Some(11), "{found:#?}");
        assert!(found[0].message.contains("too costly"), "{}", found[0].message);
    }

    #[test]
    fn rule_scopes() {
        let q = parse("documentation_gates:\n  - name: scan\n    rules:\n      - pattern: \"dict\\\\[\"\n        applicable_in: [\"controllers/\", \"schemas\"]\n").unwrap();
        let inc = &q.rules[0].include;
        assert!(glob::selected("app/domain/controllers/a.py", inc, &[]));
        assert!(glob::selected("schemas/x/b.py", inc, &[]));
        assert!(!glob::selected("app/models/c.py", inc, &[]));
    }

    #[test]
    fn bad_shapes_are_problems_with_lines() {
        let e = parse("rules:\n  - pattern: \"Optional\\[\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("single quotes"), "{}", e.message);
        assert!(parse("- a\n- b\n").is_err());
        let q = parse("testing_gates:\n  - name: t\n    command: [make, test]\n  - name: u\n    command: make u\n    required: maybe\n  - name: v\n    threshold: 120\n").unwrap();
        let lines: Vec<usize> = q.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 6, 8]);
        assert!(q.commands.is_empty());
        let q = parse("metadata:\n  version: \"3.1\"\n").unwrap();
        assert!(q.problems[0].message.contains("3.1"));
        assert!(parse("").unwrap().commands.is_empty());
    }
}
