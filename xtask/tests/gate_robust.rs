//! The gate on hostile and odd input: never a panic, never a hang,
//! never a read outside the repository; usage errors are one line and exit 2.
mod common;
mod spec_support;

use std::os::unix::fs::symlink;

use serde_json::Value;

use common::{Run, TempRepo};
use spec_support::*;

fn ws_file(doc: &str) -> String {
    format!("specs/active/{SLUG}/{doc}")
}

/// All findings of a `--json` run (repository and workspaces).
fn findings(run: &Run) -> Vec<Value> {
    let v = run.json();
    let mut all: Vec<Value> = v["checks"].as_array().unwrap().clone();
    for ws in v["workspaces"].as_array().unwrap() {
        all.extend(ws["checks"].as_array().unwrap().iter().cloned());
    }
    all
}

fn failing(run: &Run, id: &str, rule: &str) -> Vec<Value> {
    findings(run).into_iter().filter(|f| f["status"] == "fail" && f["id"] == id && f["rule"] == rule).collect()
}

fn no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.code == 0 || run.code == 1 || run.code == 2, "exit {}: {}", run.code, run.stderr);
}

fn filled() -> TempRepo {
    let repo = repo_with_source();
    write_filled(&repo, SLUG);
    repo.commit_all("filled");
    repo
}

#[test]
fn non_utf8_and_binary_documents_are_structure_findings() {
    let repo = filled();
    std::fs::write(repo.path.join(ws_file("prd.md")), b"# PRD\n\nok\n\xff\xfe bad\n").unwrap();
    std::fs::write(repo.path.join(ws_file("research/plan.md")), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let bad: Vec<(String, Option<u64>)> = failing(&run, "structure", "not-text")
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["line"].as_u64()))
        .collect();
    assert_eq!(bad, [(ws_file("prd.md"), Some(4)), (ws_file("research/plan.md"), Some(3))]);
    // Nothing else is reported about documents that are not text.
    assert!(findings(&run).iter().all(|f| f["id"] == "structure" || f["file"] != ws_file("prd.md")));
}

#[test]
fn a_20_mb_document_with_thousands_of_headings_is_checked() {
    let repo = filled();
    let path = repo.path.join(ws_file("research/analysis.md"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    let mut rng = Rng::new(7);
    let mut n = 0;
    while text.len() < 20 * 1024 * 1024 {
        n += 1;
        text.push_str(&format!("\n### Extra finding {n}\n\n{}\n", prose(&mut rng, 300)));
    }
    std::fs::write(&path, &text).unwrap();
    assert!(n > 5_000);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    no_panic(&run);
    run.assert_code(0);
    let doc_words = findings(&run)
        .into_iter()
        .find(|f| f["id"] == "words" && f["rule"] == "document" && f["file"] == ws_file("research/analysis.md"))
        .unwrap();
    assert!(doc_words["measured"].as_u64().unwrap() > 2_500_000, "{doc_words}");
}

#[test]
fn ten_thousand_blocks_in_one_file_each_reported() {
    let repo = filled();
    let mut text = repo.read(&ws_file("tasks.md"));
    for i in 0..10_000 {
        // Every third block does not compile; none has a # VERIFIED: line.
        let code = if i % 3 == 0 { "return 1" } else { "x = 1" };
        text.push_str(&format!("\n```python\n{code}\n```\n"));
    }
    repo.write(&ws_file("tasks.md"), &text);
    // Each compile error is reported at its line, and each block lacks
    // # VERIFIED: (every workspace template declares verified-snippets).
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    no_panic(&run);
    run.assert_code(1);
    let compile = failing(&run, "snippets", "compile");
    assert_eq!(compile.len(), 3334);
    assert_eq!(failing(&run, "snippets", "unverified").len(), 10_000);
    let first = text.lines().position(|l| l == "return 1").unwrap() + 1;
    assert_eq!(compile[0]["line"].as_u64(), Some(first as u64));
    // The same in a second document: twice as many.
    let mut plan = repo.read(&ws_file("research/plan.md"));
    for _ in 0..10_000 {
        plan.push_str("\n```py\nx = 1\n```\n");
    }
    repo.write(&ws_file("research/plan.md"), &plan);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    assert_eq!(failing(&run, "snippets", "unverified").len(), 20_000);
}

#[test]
fn symlink_loops_and_links_out_of_the_tree_are_not_followed() {
    let repo = filled();
    let ws = repo.path.join(format!("specs/active/{SLUG}"));
    std::fs::remove_file(ws.join("research/plan.md")).unwrap();
    symlink("plan.md", ws.join("research/plan.md")).unwrap();
    std::fs::remove_file(ws.join("tasks.md")).unwrap();
    symlink("/etc/hostname", ws.join("tasks.md")).unwrap();
    std::fs::remove_file(ws.join("recovery.md")).unwrap();
    symlink("../../../src/demo/store.py", ws.join("recovery.md")).unwrap();
    let run = repo.xtask(&["gate", SLUG, "--json", "--phase", "prd"]);
    no_panic(&run);
    run.assert_code(1);
    let unreadable = failing(&run, "structure", "unreadable");
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0]["file"], ws_file("research/plan.md"));
    let out: Vec<Value> = failing(&run, "structure", "symlink");
    let files: Vec<&str> = out.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, [ws_file("tasks.md"), ws_file("recovery.md")]);
    assert!(!run.stdout.contains("localhost") || !run.stdout.contains("127.0.0.1"));
}

#[test]
fn references_through_links_out_of_the_tree_and_absurd_ranges_are_findings() {
    let repo = filled();
    symlink("/etc/passwd", repo.path.join("src/demo/passwd.py")).unwrap();
    let block = "\n```python\n# VERIFIED: src/demo/passwd.py:1-2\nroot = 0\n```\n\n```python\n# VERIFIED: src/demo/store.py:1-99999999999999999999999\nx = 1\n```\n\n```python\n# VERIFIED: src/demo/store.py:5000000-5000001\nx = 1\n```\n\n```python\n# VERIFIED: ../../../etc/passwd:1\nx = 1\n```\n\n```python\n# VERIFIED: /etc/passwd:1\nx = 1\n```\n";
    let path = ws_file("prd.md");
    let text = repo.read(&path) + block;
    repo.write(&path, &text);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    no_panic(&run);
    run.assert_code(1);
    let refs = failing(&run, "snippets", "reference");
    let lines: Vec<u64> = refs.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    let expect: Vec<u64> =
        text.lines().enumerate().filter(|(_, l)| l.starts_with("# VERIFIED: ")).map(|(i, _)| i as u64 + 1).collect();
    assert_eq!(lines, expect[expect.len() - 5..]);
    let messages: Vec<&str> = refs.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(messages[0].contains("symbolic link out of the repository"), "{}", messages[0]);
    assert!(messages[2].contains("outside src/demo/store.py (25 lines)"), "{}", messages[2]);
    assert!(messages[3].contains("leads out of the repository"), "{}", messages[3]);
    assert!(messages[4].contains("absolute path"), "{}", messages[4]);
    assert!(!run.stdout.contains("root:x:"), "read a file outside the repository");
}

#[test]
fn unreadable_documents_are_findings() {
    let repo = filled();
    let path = repo.path.join(ws_file("prd.md"));
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not stop reads; a folder in the
        // document's place is unreadable as a document all the same.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
    }
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    no_panic(&run);
    run.assert_code(1);
    let f: Vec<Value> = findings(&run).into_iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["id"], "structure");
    assert!(["unreadable", "not-a-file"].contains(&f[0]["rule"].as_str().unwrap()));
    assert_eq!(f[0]["file"], ws_file("prd.md"));
}

#[test]
fn hand_made_workspaces_missing_files_and_upper_case_names() {
    let repo = filled();
    let ws = repo.path.join(format!("specs/active/{SLUG}"));
    std::fs::rename(ws.join("recovery.md"), ws.join("RECOVERY.md")).unwrap();
    std::fs::rename(ws.join("research"), ws.join("Research")).unwrap();
    std::fs::remove_file(ws.join("tasks.md")).unwrap();
    std::fs::write(ws.join("notes.txt"), "extra files are ignored").unwrap();
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let fails: Vec<(String, String, Option<u64>)> = findings(&run)
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| (f["rule"].as_str().unwrap().into(), f["file"].as_str().unwrap().into(), f["line"].as_u64()))
        .collect();
    assert_eq!(fails, [("missing".into(), ws_file("tasks.md"), None)]);
    assert!(run.stdout.contains(&format!("specs/active/{SLUG}/Research/plan.md")));
}

#[test]
fn a_recovery_without_a_phase_is_a_finding_and_gated_as_prd() {
    let repo = filled();
    let text = repo.read(&ws_file("recovery.md")).replace("**Current Phase**: prd", "**Current Phase**: somewhere");
    repo.write(&ws_file("recovery.md"), &text);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let phase = failing(&run, "structure", "phase");
    assert_eq!(phase.len(), 1);
    assert_eq!(run.json()["workspaces"][0]["phase"], "prd");
    // --phase answers the question.
    repo.xtask(&["gate", SLUG, "--phase", "prd"]).assert_code(0);
}

#[test]
fn requires_python_rejects_newer_syntax_in_snippets() {
    let repo = filled();
    let path = ws_file("prd.md");
    let text = repo.read(&path)
        + "\n```python\n# VERIFIED: syntax checked\nmatch command:\n    case 'go':\n        pass\n```\n";
    repo.write(&path, &text);
    repo.xtask(&["gate", SLUG]).assert_code(0);
    repo.write("pyproject.toml", "[project]\nname = \"demo\"\nrequires-python = \">=3.8\"\n");
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let compile = failing(&run, "snippets", "compile");
    assert_eq!(compile.len(), 1);
    assert!(compile[0]["message"].as_str().unwrap().contains("3.8"), "{}", compile[0]);
}

#[test]
fn bare_gate_checks_every_active_workspace() {
    let repo = filled();
    write_fresh(&repo, "second");
    let run = repo.xtask(&["gate", "--phase", "prd", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let slugs: Vec<(&str, bool)> = v["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["slug"].as_str().unwrap(), w["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(slugs, [(SLUG, true), ("second", false)]);
    // Named workspaces: only those.
    repo.xtask(&["gate", SLUG]).assert_code(0);
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    let repo = filled();
    for args in [vec!["gate", "nope"], vec!["gate", "../demo"], vec!["gate", SLUG, "nope"]] {
        let run = repo.xtask(&args);
        run.assert_code(2);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{args:?}: {}", run.stderr);
    }
    assert!(repo.xtask(&["gate", "nope"]).stderr.contains("unknown workspace `nope`"));
    // A workspace that links out of specs/ is refused.
    let outside = TempRepo::new();
    symlink(&outside.path, repo.path.join("specs/active/elsewhere")).unwrap();
    let run = repo.xtask(&["gate", "elsewhere"]);
    run.assert_code(2);
    assert!(run.stderr.contains("out of specs/"), "{}", run.stderr);
    // Met while gating every workspace, it is a finding, and not read.
    let run = repo.xtask(&["gate", "--phase", "prd", "--json"]);
    run.assert_code(1);
    let fails: Vec<(String, String)> = findings(&run)
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| (f["rule"].as_str().unwrap().into(), f["file"].as_str().unwrap().into()))
        .collect();
    assert_eq!(fails, [("symlink".to_string(), "specs/active/elsewhere".to_string())]);
    // Nor written to: no ledger lands in the folder it points at.
    assert!(!outside.exists("tmp"), "the gate wrote through a link out of specs/");
}

#[test]
fn an_unknown_or_hidden_rule_in_a_template_is_exit_2_naming_file_and_line() {
    let repo = filled();
    let template = builtin_template("prd.md");
    let bad = template.replacen("<!-- gate: words >= 2000", "<!-- gate: colour >= 3; words >= 2000", 1);
    assert_ne!(bad, template);
    repo.write("templates/prd.md", &bad);
    let run = repo.xtask(&["gate", SLUG]);
    run.assert_code(2);
    let line = line_of(&bad, "colour >= 3");
    assert!(run.stderr.contains(&format!("templates/prd.md:{line}: unknown gate rule `colour`")), "{}", run.stderr);
    // An arrow in a comment that swallows a rule is a template error too.
    let swallowed = template.replacen(
        "## Architecture (600+ words)",
        "<!-- e.g.\n```\na ---> b\n```\n-->\n\n## Architecture (600+ words)",
        1,
    );
    repo.write("templates/prd.md", &swallowed);
    let run = repo.xtask(&["gate", SLUG]);
    run.assert_code(2);
    assert!(run.stderr.contains("inside a code block"), "{}", run.stderr);
}

#[test]
fn rules_come_from_the_template_not_the_filled_copy() {
    let repo = filled();
    // Deleting the rule comments from the filled PRD does not weaken the gate.
    let path = ws_file("prd.md");
    let text = repo.read(&path);
    let stripped: String = text
        .lines()
        .filter(|l| !l.contains("gate:"))
        .map(|l| if l.contains("**AC1**") { "- [ ] **AC1**: Works correctly\n".to_string() } else { format!("{l}\n") })
        .collect();
    repo.write(&path, &stripped);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    assert_eq!(failing(&run, "criteria", "measurable").len(), 1);
    // A team that drops the measurable rule from its template drops the check.
    let template = builtin_template("prd.md").replace("; measurable under \"Acceptance Criteria\"", "");
    repo.write("templates/prd.md", &template);
    repo.xtask(&["gate", SLUG]).assert_code(0);
}

#[test]
fn no_python_is_exit_2_saying_so() {
    let repo = filled();
    // A PATH with git but no python3.
    let bin = repo.path.join("only-git");
    std::fs::create_dir(&bin).unwrap();
    let git = std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    symlink(String::from_utf8_lossy(&git.stdout).trim(), bin.join("git")).unwrap();
    let out = common::xtask_command(&repo.path).args(["gate", SLUG]).env("PATH", &bin).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("python3 not found"), "{err}");
}
