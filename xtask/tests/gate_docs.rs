//! `cargo xtask gate` on the planning phase, end to end: real temporary git
//! repositories, real python3, the built binary. A fresh workspace fails, a
//! diligently filled one passes, and each single defect is caught at its line.
mod common;
mod spec_support;

use serde_json::Value;

use common::{Run, TempRepo};
use spec_support::*;

/// The failing findings of a `--json` run: (id, rule, file, line).
fn failures(run: &Run) -> Vec<(String, String, String, Option<u64>)> {
    run.failing()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

fn fail(id: &str, rule: &str, file: &str, line: Option<usize>) -> (String, String, String, Option<u64>) {
    (id.into(), rule.into(), file.into(), line.map(|l| l as u64))
}

fn ws_file(doc: &str) -> String {
    format!("specs/active/{SLUG}/{doc}")
}

/// A repository with a filled workspace, all committed; returns the texts.
fn filled_repo() -> (TempRepo, Vec<(String, String)>) {
    let repo = repo_with_source();
    let docs = write_filled(&repo, SLUG);
    repo.commit_all("filled workspace");
    (repo, docs)
}

fn doc_text<'a>(docs: &'a [(String, String)], name: &str) -> &'a str {
    &docs.iter().find(|(n, _)| n == name).unwrap().1
}

/// Replace the first `from` in a workspace document, returning the new text.
fn edit(repo: &TempRepo, doc: &str, from: &str, to: &str) -> String {
    let path = ws_file(doc);
    let text = repo.read(&path);
    assert!(text.contains(from), "`{from}` not in {doc}");
    let text = text.replacen(from, to, 1);
    repo.write(&path, &text);
    text
}

/// Insert `block` after the line containing `anchor` in a document.
fn insert_after(repo: &TempRepo, doc: &str, anchor: &str, block: &str) -> String {
    let path = ws_file(doc);
    let text = repo.read(&path);
    let at = line_of(&text, anchor);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(at, block);
    let text = lines.join("\n") + "\n";
    repo.write(&path, &text);
    text
}

#[test]
fn a_fresh_workspace_fails_with_file_and_line() {
    let repo = repo_with_source();
    repo.xtask(&["new-spec", "Demo"]).assert_code(0);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let f = failures(&run);
    for id in ["words", "residue", "criteria", "diagram"] {
        let of_id: Vec<_> = f.iter().filter(|x| x.0 == id).collect();
        assert!(!of_id.is_empty(), "no {id} finding in {f:?}");
        assert!(of_id.iter().all(|x| !x.2.is_empty() && x.3.is_some()), "{id} without file:line: {of_id:?}");
    }
    let prd = repo.read(&ws_file("prd.md"));
    let criteria = f.iter().find(|x| x.0 == "criteria").unwrap();
    assert_eq!(
        (criteria.2.as_str(), criteria.3),
        (ws_file("prd.md").as_str(), Some(line_of(&prd, "## Acceptance Criteria") as u64))
    );
    let diagram = f.iter().find(|x| x.0 == "diagram").unwrap();
    assert_eq!(diagram.3, Some(line_of(&prd, "## Architecture") as u64));
    // Human output is compiler-style.
    let human = repo.xtask(&["gate", SLUG]);
    human.assert_code(1);
    let arch = line_of(&prd, "## Architecture");
    assert!(
        human.stdout.contains(&format!(
            "error[words]: specs/active/demo/prd.md:{arch}: section \"Architecture\" has 0 words, needs 600"
        )),
        "{}",
        human.stdout
    );
}

#[test]
fn a_diligently_filled_workspace_passes_the_prd_gate() {
    let (repo, _) = filled_repo();
    let run = repo.xtask(&["gate", SLUG, "--phase", "prd", "--json"]);
    assert_eq!(failures(&run), [], "{}", run.stdout);
    run.assert_code(0);
    let v = run.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["ok"], true);
    let ws = &v["workspaces"][0];
    assert_eq!((ws["slug"].as_str(), ws["phase"].as_str()), (Some(SLUG), Some("prd")));
    // Word findings carry counted and raw figures.
    let words: Vec<&Value> = ws["checks"].as_array().unwrap().iter().filter(|f| f["id"] == "words").collect();
    assert!(words.len() >= 15, "{words:?}");
    for w in &words {
        assert!(w["measured"].as_u64().unwrap() >= w["required"].as_u64().unwrap(), "{w}");
        assert!(w["raw"].as_u64().unwrap() >= w["measured"].as_u64().unwrap(), "{w}");
    }
    // Snippets were compiled and their references matched.
    let snippets: u64 = ws["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "snippets" && f["status"] == "pass")
        .map(|f| f["blocks"].as_u64().unwrap_or(0))
        .sum();
    assert!(snippets >= 8, "{}", run.stdout);
    // The workspace's own phase (prd, from recovery.md) gives the same verdict.
    repo.xtask(&["gate", SLUG]).assert_code(0);
    let human = repo.xtask(&["gate", SLUG]);
    assert!(human.stdout.ends_with("gate: ok\n"), "{}", human.stdout);
}

#[test]
fn a_vague_criterion_is_caught_at_its_line() {
    let (repo, docs) = filled_repo();
    let prd = doc_text(&docs, "prd.md");
    let vague_line = line_of(prd, "**AC3**");
    let old = prd.lines().nth(vague_line - 1).unwrap();
    let new_text = edit(&repo, "prd.md", old, "- [ ] **AC3**: Offload works correctly");
    assert_eq!(line_of(&new_text, "Offload works correctly"), vague_line);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [fail("criteria", "measurable", &ws_file("prd.md"), Some(vague_line))]);
}

#[test]
fn a_misplaced_future_import_is_caught_at_its_line() {
    let (repo, _) = filled_repo();
    let block = "\n```python\n# VERIFIED: syntax checked\nimport os\nfrom __future__ import annotations\n```\n";
    let text = insert_after(&repo, "prd.md", "## Implementation Details", block);
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let line = line_of(&text, "from __future__ import annotations");
    assert_eq!(failures(&run), [fail("snippets", "compile", &ws_file("prd.md"), Some(line))]);
    assert!(run.stdout.contains("from __future__ imports must occur at the beginning of the file"), "{}", run.stdout);
}

#[test]
fn a_block_without_verified_is_caught_at_its_fence() {
    let (repo, _) = filled_repo();
    let text =
        insert_after(&repo, "research/plan.md", "## Industry Best Practices", "\n```py\nretries = 3  # MARK\n```\n");
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let fence = line_of(&text, "retries = 3  # MARK") - 1;
    assert_eq!(failures(&run), [fail("snippets", "unverified", &ws_file("research/plan.md"), Some(fence))]);
}

#[test]
fn a_drifted_reference_is_caught_at_the_drifted_line() {
    let (repo, _) = filled_repo();
    let text =
        edit(&repo, "research/plan.md", "    self.rows.extend(rows)  # keep order", "    self.rows.append(rows)");
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let line = line_of(&text, "self.rows.append(rows)");
    assert_eq!(failures(&run), [fail("snippets", "drift", &ws_file("research/plan.md"), Some(line))]);
}

#[test]
fn a_missing_reference_is_caught_at_its_verified_line() {
    let (repo, _) = filled_repo();
    let text = edit(&repo, "research/plan.md", "# VERIFIED: src/demo/store.py:2\n", "# VERIFIED: src/demo/gone.py:2\n");
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let line = line_of(&text, "src/demo/gone.py:2");
    assert_eq!(failures(&run), [fail("snippets", "reference", &ws_file("research/plan.md"), Some(line))]);
    assert!(run.stdout.contains("src/demo/gone.py does not exist"), "{}", run.stdout);
}

#[test]
fn a_left_placeholder_is_caught_at_its_line() {
    let (repo, _) = filled_repo();
    let text = insert_after(
        &repo,
        "research/analysis.md",
        "## Phase 3: Integration Analysis",
        "\n[Findings of the integration analysis steps]\n",
    );
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    let line = line_of(&text, "[Findings of the integration analysis steps]");
    assert_eq!(failures(&run), [fail("residue", "placeholder", &ws_file("research/analysis.md"), Some(line))]);
}

#[test]
fn a_thin_section_is_caught_at_its_heading() {
    let (repo, docs) = filled_repo();
    let prd = doc_text(&docs, "prd.md");
    // Cut the prose under "Solution Summary" (the paragraph after the heading).
    let heading = line_of(prd, "### Solution Summary");
    let lines: Vec<&str> = prd.lines().collect();
    let mut kept: Vec<&str> = lines[..heading + 1].to_vec();
    let mut i = heading + 1;
    while !lines[i].starts_with('#') && !lines[i].starts_with("<!--") {
        i += 1;
    }
    kept.push("Too short to count.");
    kept.push("");
    kept.extend(&lines[i..]);
    repo.write(&ws_file("prd.md"), &(kept.join("\n") + "\n"));
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [fail("words", "section", &ws_file("prd.md"), Some(heading))]);
    let v = run.json();
    let f = v["workspaces"][0]["checks"].as_array().unwrap().iter().find(|f| f["status"] == "fail").unwrap().clone();
    let (measured, raw) = (f["measured"].as_u64().unwrap(), f["raw"].as_u64().unwrap());
    assert!((4..20).contains(&measured) && raw > measured, "{f}");
    assert_eq!(f["required"], 100);
}

#[test]
fn a_tracked_edit_under_src_fails_and_an_untracked_file_does_not() {
    let (repo, _) = filled_repo();
    repo.write("src/demo/new_module.py", "x = 1\n");
    repo.xtask(&["gate", SLUG]).assert_code(0);
    repo.write("src/demo/store.py", &format!("{STORE_PY}\n# an edit during planning\n"));
    let run = repo.xtask(&["gate", SLUG, "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [fail("git-clean", "modified", "src/demo/store.py", None)]);
    assert!(run.json()["checks"].as_array().unwrap().iter().any(|f| f["id"] == "git-clean"));
    // Later phases change code: git-clean is the prd phase's rule only.
    let later = repo.xtask(&["gate", SLUG, "--phase", "research", "--json"]);
    assert!(failures(&later).iter().all(|f| f.0 != "git-clean"), "{}", later.stdout);
}

#[test]
fn a_block_that_would_write_a_file_writes_nothing() {
    let (repo, _) = filled_repo();
    let block = "\n```python\n# VERIFIED: syntax checked\nimport pathlib\npathlib.Path('pwned.txt').write_text('ran')\nopen('/tmp/xtask-pwned-marker', 'w').write('ran')\n```\n";
    insert_after(&repo, "prd.md", "## Testing Strategy", block);
    let _ = std::fs::remove_file("/tmp/xtask-pwned-marker");
    repo.xtask(&["gate", SLUG]).assert_code(0);
    assert!(!repo.exists("pwned.txt"));
    assert!(!repo.exists(&format!("specs/active/{SLUG}/pwned.txt")));
    assert!(!std::path::Path::new("/tmp/xtask-pwned-marker").exists());
    // And no bytecode was written anywhere in the repository.
    let status = repo.git(&["status", "--porcelain", "--ignored"]);
    assert!(!status.contains("__pycache__") && !status.contains(".pyc"), "{status}");
}

#[test]
fn the_ledger_records_the_hashes_the_ledger_readers_compute() {
    let (repo, _) = filled_repo();
    let ws = repo.path.join(format!("specs/active/{SLUG}"));
    // A byte order mark, CRLF line ends, a generated region and an upper-case name.
    let prd = repo.read(&ws_file("prd.md"));
    std::fs::write(ws.join("prd.md"), format!("\u{feff}{prd}")).unwrap();
    let tasks = repo.read(&ws_file("tasks.md")).replace('\n', "\r\n");
    repo.write(&ws_file("tasks.md"), &tasks);
    std::fs::rename(ws.join("recovery.md"), ws.join("RECOVERY.md")).unwrap();
    repo.xtask(&["gate", SLUG]).assert_code(0);
    let ledger = xtask::core::ledger::Entry::from_json(&repo.read(&ws_file("tmp/gate.json"))).unwrap();
    let dir = xtask::host::workspaces::WorkspaceDir {
        name: SLUG.into(),
        location: xtask::host::workspaces::Location::Active,
        path: ws.clone(),
    };
    let mut current = xtask::host::workspaces::read(&repo.path, &dir).hashes();
    let mut recorded = ledger.hashes.clone();
    current.sort();
    recorded.sort();
    assert_eq!(recorded, current);
    assert!(ledger.changed_since(&current).is_empty());
}
