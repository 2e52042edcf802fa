//! Workspaces shaped like the ones this workflow's authors write
//! (xtask/tests/fixtures/real_world/README.md), through the built binary in
//! real temporary git repositories.
mod common;

use std::path::Path;

use common::TempRepo;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real_world").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A repository with `src/text.py` and the fixture workspace `name` as `slug`.
fn repo_with(name: &str, slug: &str) -> TempRepo {
    let repo = TempRepo::new();
    repo.write("src/text.py", "def shout(s):\n    return s.upper()\n\nclass Banner:\n    def render(self) -> str:\n        return shout(self.title)\n");
    for doc in ["prd.md", "recovery.md", "tasks.md"] {
        repo.write(&format!("specs/active/{slug}/{doc}"), &fixture(&format!("{name}/{doc}")));
    }
    repo.commit_all("workspace");
    repo
}

/// Line (1-based) of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no `{needle}`")) as u64 + 1
}

#[test]
fn a_numbered_prd_with_a_status_line_is_read_as_its_author_meant() {
    let slug = "shout-helper";
    let repo = repo_with("numbered", slug);
    let prd = fixture("numbered/prd.md");
    let prd_file = format!("specs/active/{slug}/prd.md");
    // `**Status**: PRD Complete, Ready for Implementation` is the implementation phase.
    let list = repo.xtask(&["list", "--json"]);
    list.assert_code(0);
    assert!(list.stdout.contains("\"implementation\""), "{}", list.stdout);
    let run = repo.xtask(&["gate", slug, "--phase", "prd", "--json"]);
    let failing = run.failing();
    let at = |id: &str, rule: &str| -> Vec<(String, Option<u64>)> {
        failing
            .iter()
            .filter(|f| f["id"] == id && f["rule"] == rule)
            .map(|f| (f["file"].as_str().unwrap_or("").to_string(), f["line"].as_u64()))
            .collect()
    };
    // The vague criteria are named; the numbered, bold-led measurable ones pass.
    assert_eq!(
        at("criteria", "measurable"),
        [
            (prd_file.clone(), Some(line_of(&prd, "No regressions"))),
            (prd_file.clone(), Some(line_of(&prd, "all tests pass")))
        ]
    );
    // Numbered, emphasized and colon-ended headings are found: no missing
    // Acceptance Criteria, Problem Statement or Architecture.
    let missing: Vec<String> = failing
        .iter()
        .filter(|f| f["id"] == "structure" && f["rule"] == "section" && f["file"] == prd_file.as_str())
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    for found in ["\"Acceptance Criteria\"", "\"Problem Statement\"", "\"Architecture\"", "\"Overview\""] {
        assert!(!missing.iter().any(|m| m.starts_with(&format!("section {found}"))), "{missing:?}");
    }
    // Each missing section once, naming what needs it.
    let interface = missing.iter().filter(|m| m.starts_with("section \"Implementation Details\"")).count();
    assert_eq!(interface, 1, "{missing:?}");
    // The method quoted from inside its class compiles where it lives and matches.
    assert!(at("snippets", "compile").is_empty() && at("snippets", "drift").is_empty(), "{failing:?}");
}

#[test]
fn a_workspace_that_only_says_draft_is_planning() {
    let repo = repo_with("status-only", "quiet-mode");
    let list = repo.xtask(&["list", "--json"]);
    list.assert_code(0);
    assert!(list.stdout.contains("\"prd\""), "{}", list.stdout);
    let run = repo.xtask(&["gate", "quiet-mode", "--json"]);
    assert!(run.failing().iter().all(|f| f["rule"] != "phase"), "{}", run.stdout);
    assert_eq!(run.json()["workspaces"][0]["phase"], "prd");
}

#[test]
fn a_teams_template_spec_folder_is_used_and_keeps_the_kits_rules() {
    let repo = TempRepo::new();
    repo.write("specs/template-spec/prd.md", &fixture("template-spec/prd.md"));
    repo.commit_all("templates");
    let created = repo.xtask(&["new-spec", "Quiet mode"]);
    created.assert_code(0);
    assert!(created.stdout.contains("from specs/template-spec/ and the built-in templates"), "{}", created.stdout);
    // The team's PRD template is what was copied...
    let prd = repo.read("specs/active/quiet-mode/prd.md");
    assert!(prd.starts_with("# Feature: Quiet mode") || prd.contains("## Technical Design"), "{prd}");
    // ...and it declares no rule, so the built-in PRD rules still apply, and status says so.
    let status = repo.xtask(&["status", "quiet-mode", "--json"]);
    let rules = status.json()["rules"].as_array().unwrap().clone();
    let acceptance: Vec<&serde_json::Value> =
        rules.iter().filter(|r| r["document"] == "prd.md" && r["section"] == "Acceptance Criteria").collect();
    assert_eq!(acceptance.len(), 3, "{rules:?}");
    assert!(acceptance[0]["from"].as_str().unwrap().starts_with("built-in template prd.md:"), "{rules:?}");
    assert_eq!(acceptance[0]["template"], "specs/template-spec/prd.md");
    // The gate measures them.
    let run = repo.xtask(&["gate", "quiet-mode", "--phase", "prd", "--json"]);
    assert!(run.failing().iter().any(|f| f["id"] == "criteria" || f["rule"] == "section"), "{}", run.stdout);
    // A setting names another folder.
    repo.write("Cargo.toml", "[workspace.metadata.xtask]\ntemplates-dir = \"docs/tpl\"\n");
    repo.write("docs/tpl/prd.md", "# Spec: {{feature}}\n\n<!-- gate: words >= 3 -->\n\n## Why\n");
    let status = repo.xtask(&["status", "quiet-mode", "--json"]);
    let rules = status.json()["rules"].as_array().unwrap().clone();
    let prd_rules: Vec<&serde_json::Value> = rules.iter().filter(|r| r["document"] == "prd.md").collect();
    assert_eq!(prd_rules.len(), 1, "{rules:?}");
    assert_eq!(prd_rules[0]["from"], "docs/tpl/prd.md:3");
}

/// A hand-made workspace that never says where it stands (a recovery.md
/// with `## Context` and `## State` sections, a PRD without a status line,
/// no analysis) and one whose only status names no phase: `list` says why
/// each has none in the words the gate uses, never that only recovery.md's
/// `**Current Phase**:` line is read.
#[test]
fn list_says_why_a_workspace_has_no_phase() {
    let repo = TempRepo::new();
    let ws = "specs/active/split-listeners";
    repo.write(
        &format!("{ws}/prd.md"),
        "# PRD: Split listeners\n\n## 1. Introduction\n\nListeners move to the session factory.\n",
    );
    repo.write(
        &format!("{ws}/recovery.md"),
        "# Recovery - Split listeners\n\n## Context\nSplitting the module.\n\n## State\n- Workspace created.\n",
    );
    repo.write(&format!("{ws}/tasks.md"), "# Tasks\n\n- [x] Read the module\n- [ ] Measure coverage\n");
    let held = "specs/active/held-back";
    repo.write(&format!("{held}/prd.md"), "# PRD: Held back\n\n**Status**: On hold until the release\n");
    repo.commit_all("hand-made workspaces");
    let list = repo.xtask(&["list", "--json"]);
    list.assert_code(0);
    let v = list.json();
    let notes = |slug: &str| -> Vec<String> {
        let ws = v["workspaces"].as_array().unwrap().iter().find(|w| w["slug"] == slug).unwrap();
        assert!(ws.get("phase").is_none(), "{ws}");
        ws["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
    };
    let split = notes("split-listeners");
    assert!(split.contains(&"research/analysis.md missing".to_string()), "{split:?}");
    assert!(
        split.iter().any(|n| n.starts_with(
            "no phase: neither recovery.md nor prd.md has a `**Current Phase**:`, `**Phase**:` or `**Status**:` line"
        )),
        "{split:?}"
    );
    let held_notes = notes("held-back");
    assert!(
        held_notes
            .iter()
            .any(|n| n == "prd.md:3 reads `**Status**: On hold until the release`, which names no phase the kit knows"),
        "{held_notes:?}"
    );
    // The gate says the same of the first, as a structure finding.
    let gate = repo.xtask(&["gate", "split-listeners", "--json"]);
    assert!(gate.failing().iter().any(|f| f["rule"] == "phase"
        && f["message"].as_str().unwrap().starts_with("neither recovery.md nor prd.md says where the work stands")));
}

/// A workspace made and gated on a branch: its documents are committed
/// there, its `tmp/` (the gate's record) is git-ignored. Back on main only
/// `tmp/` is left in specs/active/: that folder is not a workspace, so
/// neither `list` nor the gate treats it as one with five missing
/// documents; `list` says what it is.
#[test]
fn a_workspace_folder_left_with_only_tmp_after_a_branch_switch_is_not_a_workspace() {
    let repo = TempRepo::new();
    repo.write(".gitignore", "/specs/active/*/tmp/\n");
    repo.commit_all("main");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.xtask(&["new-spec", "Docs theming"]).assert_code(0);
    repo.xtask(&["gate", "docs-theming", "--json"]);
    assert!(repo.exists("specs/active/docs-theming/tmp/gate.json"));
    repo.commit_all("a workspace");
    repo.git(&["checkout", "-q", "main"]);
    assert!(repo.exists("specs/active/docs-theming/tmp/gate.json") && !repo.exists("specs/active/docs-theming/prd.md"));

    let list = repo.xtask(&["list"]);
    list.assert_code(0);
    assert!(list.stdout.starts_with("no workspaces in specs/active/"), "{}", list.stdout);
    assert!(
        list.stdout.contains("note: specs/active/docs-theming: holds only tmp/, the gate's scratch folder"),
        "{}",
        list.stdout
    );
    let gate = repo.xtask(&["gate", "--phase", "prd", "--json"]);
    gate.assert_code(0);
    assert!(gate.json()["workspaces"].as_array().is_none_or(|w| w.is_empty()), "{}", gate.stdout);
}
