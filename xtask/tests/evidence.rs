//! Claims with their evidence, end to end: criteria proven by the
//! gate's own pytest run, ticked tasks shown in the change. Real temporary
//! git repositories, the real binary, real pytest from the shared venv.
mod common;
mod pyenv;
mod spec_support;

use common::{Run, TempRepo};
use serde_json::Value;
use spec_support::{line_of, write_fresh, SLUG};

/// The findings of one check id in the workspace's report.
fn of(run: &Run, id: &str) -> Vec<Value> {
    let v = run.json();
    v["workspaces"][0]["checks"].as_array().unwrap().iter().filter(|f| f["id"] == id).cloned().collect()
}

/// (status, line, message) of the per-item findings of `id`.
fn items(run: &Run, id: &str) -> Vec<(String, Option<u64>, String)> {
    of(run, id)
        .iter()
        .filter(|f| f["rule"] != "summary")
        .map(|f| {
            (f["status"].as_str().unwrap().to_string(), f["line"].as_u64(), f["message"].as_str().unwrap().to_string())
        })
        .collect()
}

const TESTS: &str = "\
import pytest

from pkg.calc import add


def test_adds():
    assert add(2, 3) == 5


def test_fails():
    assert add(2, 2) == 5


@pytest.mark.skip(reason=\"not on this machine\")
def test_skipped():
    pass


@pytest.mark.parametrize(\"n\", [1, 2])
def test_sizes(n):
    assert add(n, 0) == n


class TestCalc:
    def test_zero(self):
        assert add(0, 0) == 0
";

/// Logs every test that starts, so a test can prove each ran once per gate
/// (no second pytest session), whatever processes the run was spread over.
const COUNTING_CONFTEST: &str = "\
import os

LOG = os.path.join(os.path.dirname(__file__), \"..\", \"..\", \"runs.log\")


def pytest_runtest_setup(item):
    with open(LOG, \"a\") as log:
        log.write(item.nodeid + \"\\n\")
";

const PRD: &str = "\
# PRD: Proof

## Acceptance Criteria

- [x] **AC1**: add returns the sum for 100% of the sampled pairs (`tests/unit/test_proof.py::test_adds`)
- [x] **AC2**: every lost row is counted
  - `tests/unit/test_proof.py::test_missing`
- [x] **AC3**: 2 + 2 gives 5 in 0 cases `tests/unit/test_proof.py::test_fails`
- [x] **AC4**: runs on 3 platforms `tests/unit/test_proof.py::test_skipped`
- [x] **AC5**: handles 3 sizes `tests/unit/test_proof.py::test_sizes[3]`
- [x] **AC6**: handles 2 sizes `tests/unit/test_proof.py::test_sizes`
- [ ] **AC7**: zero lost rows, proven by nothing yet
- [x] **AC8**: zero is neutral in 1 method `tests/unit/test_proof.py::TestCalc::test_zero`
";

/// A workflow-shaped repository on branch `feature` with tests of every
/// outcome, a session-counting conftest.py, a change to a module (so the
/// coverage run is the test run) and a workspace whose PRD is `PRD`.
fn proof_repo() -> TempRepo {
    let repo = pyenv::project_repo();
    repo.write(".gitignore", ".venv\n__pycache__/\n.pytest_cache/\n.coverage\nruns.log\n");
    repo.write("tests/unit/test_proof.py", TESTS);
    repo.write("tests/unit/conftest.py", COUNTING_CONFTEST);
    repo.write("src/pkg/calc.py", &format!("{}\n\ndef negate(a):\n    return -a\n", pyenv::CALC.trim_end()));
    repo.write(
        "tests/unit/test_negate.py",
        "from pkg.calc import negate\n\n\ndef test_negate():\n    assert negate(2) == -2\n",
    );
    write_fresh(&repo, SLUG);
    repo.write(&format!("specs/active/{SLUG}/prd.md"), PRD);
    repo
}

/// The tests that started, in order (one line each).
fn runs(repo: &TempRepo) -> Vec<String> {
    if !repo.exists("runs.log") {
        return Vec::new();
    }
    repo.read("runs.log").lines().map(str::to_string).collect()
}

/// Every test of the gate's run started once: one run, no second session.
#[track_caller]
fn assert_each_test_ran_once(repo: &TempRepo) {
    let all = runs(repo);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(all.len(), unique.len(), "a test ran twice: {all:#?}");
    assert!(all.iter().any(|t| t == "tests/unit/test_proof.py::test_adds"), "{all:#?}");
}

#[test]
fn criteria_are_proven_by_the_gates_own_test_run() {
    let repo = proof_repo();
    let run = repo.xtask(&["gate", SLUG, "--phase", "testing", "--json"]);
    run.assert_code(1);
    // One run gave the tests check, coverage and every criterion.
    assert_each_test_ran_once(&repo);
    let coverage = run.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "coverage" && f["file"] == "src/pkg/calc.py");
    assert!(coverage, "the run measured coverage: {}", run.stdout);
    let at = |needle: &str| Some(line_of(PRD, needle) as u64);
    let got = items(&run, "proven");
    let expect = [
        (
            "pass",
            at("**AC1**"),
            "AC1 proven: `tests/unit/test_proof.py::test_adds` passed (tests/unit/test_proof.py:6)",
        ),
        (
            "fail",
            at("**AC2**"),
            "AC2 is ticked, but `tests/unit/test_proof.py::test_missing` is not in the gate's test run; \
             tests/unit/test_proof.py has TestCalc::test_zero, test_adds, test_fails, and 3 more",
        ),
        (
            "fail",
            at("**AC3**"),
            "AC3 is ticked, but `tests/unit/test_proof.py::test_fails` failed (tests/unit/test_proof.py:10)",
        ),
        (
            "fail",
            at("**AC4**"),
            "AC4 is ticked, but `tests/unit/test_proof.py::test_skipped` was skipped (tests/unit/test_proof.py:14)",
        ),
        (
            "fail",
            at("**AC5**"),
            "AC5 is ticked, but `tests/unit/test_proof.py::test_sizes[3]` is not in the gate's test run; \
             tests/unit/test_proof.py has test_sizes[1], test_sizes[2]",
        ),
        ("pass", at("**AC6**"), "AC6 proven: `tests/unit/test_proof.py::test_sizes` passed (2 tests)"),
        ("fail", at("**AC7**"), ""),
        (
            "pass",
            at("**AC8**"),
            "AC8 proven: `tests/unit/test_proof.py::TestCalc::test_zero` passed (tests/unit/test_proof.py:25)",
        ),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for ((status, line, message), (want_status, want_line, want_message)) in got.iter().zip(expect) {
        assert_eq!((status.as_str(), *line), (want_status, want_line), "{message}");
        if !want_message.is_empty() {
            assert_eq!(message, want_message);
        }
    }
    assert!(got[6].2.starts_with("AC7 names no test"), "{}", got[6].2);
    // The JSON carries each criterion's tests and their outcomes.
    let ac3 = of(&run, "proven").into_iter().find(|f| f["criterion"] == "AC3").unwrap();
    assert_eq!(ac3["ticked"], true);
    assert_eq!(ac3["tests"][0]["name"], "tests/unit/test_proof.py::test_fails");
    assert_eq!(ac3["tests"][0]["outcome"], "failed");
    assert_eq!(
        (ac3["tests"][0]["file"].as_str(), ac3["tests"][0]["line"].as_u64()),
        (Some("tests/unit/test_proof.py"), Some(10))
    );
    let summary = of(&run, "proven").into_iter().find(|f| f["rule"] == "summary").unwrap();
    assert_eq!(summary["message"], "criteria proven 3/8 under \"Acceptance Criteria\" (7 ticked)");
    // The tests finding names the failing test at its line.
    let tests = run.json()["checks"].as_array().unwrap().iter().find(|f| f["id"] == "tests").cloned().unwrap();
    assert_eq!(tests["failed"][0]["node_id"], "tests/unit/test_proof.py::test_fails");
    assert_eq!(tests["failed"][0]["line"], 11, "the line where it failed");
}

#[test]
fn a_criterion_naming_no_test_fails_from_the_rules_phase_on() {
    let repo = proof_repo();
    let prd = format!("specs/active/{SLUG}/prd.md");
    repo.write(
        &prd,
        "# PRD: Proof\n\n## Acceptance Criteria\n\n- [ ] **AC1**: zero lost rows\n\
         - [x] **AC2**: 5 is 2 + 3 (`tests/unit/test_proof.py::test_adds`)\n",
    );
    // Before testing (the shipped template's phase): not judged.
    let before = repo.xtask(&["gate", SLUG, "--phase", "implementation", "--json"]);
    assert!(of(&before, "proven").is_empty(), "{}", before.stdout);
    // From testing on: judged, at the criterion's line.
    let from = repo.xtask(&["gate", SLUG, "--phase", "testing", "--json"]);
    let got = items(&from, "proven");
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!((got[0].0.as_str(), got[0].1), ("fail", Some(5)));
    assert!(got[0].2.starts_with("AC1 names no test"));
    assert_eq!(got[1].0, "pass");
    // A team that moves the rule moves the phase.
    repo.write(
        "templates/prd.md",
        &spec_support::builtin_template("prd.md").replace("from testing", "from implementation"),
    );
    let moved = repo.xtask(&["gate", SLUG, "--phase", "implementation", "--json"]);
    assert_eq!(items(&moved, "proven").len(), 2, "{}", moved.stdout);
    // An unknown phase in the rule stops the gate with the template's line.
    repo.write("templates/prd.md", &spec_support::builtin_template("prd.md").replace("from testing", "from later"));
    let bad = repo.xtask(&["gate", SLUG]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("templates/prd.md:") && bad.stderr.contains("`later` is not a phase"),
        "{}",
        bad.stderr
    );
}

#[test]
fn planning_gates_start_no_pytest_for_the_rule() {
    let repo = proof_repo();
    repo.write("templates/prd.md", &spec_support::builtin_template("prd.md").replace("from testing", "from prd"));
    let prd = format!("specs/active/{SLUG}/prd.md");
    repo.write(&prd, &PRD.replace("- [x]", "- [ ]"));
    let run = repo.xtask(&["gate", SLUG, "--phase", "research", "--json"]);
    // Nothing is ticked and the tests do not run at research: no pytest.
    assert!(runs(&repo).is_empty());
    let got = items(&run, "proven");
    assert!(got.iter().any(|g| g.0 == "skip" && g.2.contains("judged once the gate runs them")), "{got:#?}");
    assert!(got.iter().any(|g| g.0 == "fail" && g.2.starts_with("AC7 names no test")), "{got:#?}");
    // A ticked criterion needs its test: one session, even at research.
    repo.write(&prd, PRD);
    repo.xtask(&["gate", SLUG, "--phase", "research", "--json"]);
    assert_each_test_ran_once(&repo);
}

const TASKS: &str = "\
# Tasks: Proof

- [x] **A1**: Add negate to `src/pkg/calc.py`
- [x] **A2**: A new module
  - File: `src/pkg/fresh.py`
- [x] **A3**: Shout louder
  - Files: `src/pkg/text.py`
- [x] **A4**: Everything under the package `src/pkg/`
- [x] **A5**: Integration tests
  - File: `tests/integration/`
- [x] **A6**: The unit tests, `tests/unit/*.py`
- [ ] **A7**: Not done yet, `src/pkg/text.py`
- [x] Read `calc.py` first [6459ec4a]
- [x] Tidy `text.py` [c2e0d599]
- [x] **R1**: Read the text module
  - Read: `src/pkg/text.py`
- [x] **D1**: Thought about the design
";

#[test]
fn ticked_tasks_show_their_files_in_the_change() {
    let repo = proof_repo();
    // calc.py is committed on the branch; fresh.py is new and untracked.
    repo.commit_all("negate");
    repo.write("src/pkg/fresh.py", "X = 1\n");
    repo.write(&format!("specs/active/{SLUG}/tasks.md"), TASKS);
    let run = repo.xtask(&["gate", SLUG, "--phase", "implementation", "--json"]);
    let at = |needle: &str| Some(line_of(TASKS, needle) as u64);
    let got = items(&run, "evidence");
    let expect = [
        ("pass", at("**A1**"), "task A1 changed `src/pkg/calc.py`"),
        ("pass", at("**A2**"), "task A2 changed `src/pkg/fresh.py`"),
        ("fail", at("**A3**"), "task A3 is ticked, but src/pkg/text.py is unchanged since main"),
        ("pass", at("**A4**"), "task A4 changed `src/pkg/`"),
        ("fail", at("**A5**"), "task A5 is ticked, but tests/integration/ does not exist"),
        ("pass", at("**A6**"), "task A6 changed `tests/unit/*.py`"),
        // A module named by its file name alone, as authors write in prose.
        ("pass", at("Read `calc.py`"), "task \"Read `calc.py` first [6459ec4a]\" changed `calc.py`"),
        (
            "fail",
            at("Tidy `text.py`"),
            "task \"Tidy `text.py` [c2e0d599]\" is ticked, but no file named text.py changed since main",
        ),
    ];
    let got: Vec<(&str, Option<u64>, &str)> = got.iter().map(|g| (g.0.as_str(), g.1, g.2.as_str())).collect();
    assert_eq!(got, expect);
    let summary = of(&run, "evidence").into_iter().find(|f| f["rule"] == "summary").unwrap();
    assert_eq!(summary["message"], "tasks with evidence 5/8 (ticked tasks that name files)");
    // Research does not judge tasks: the files of ticked tasks may be unchanged.
    let research = repo.xtask(&["gate", SLUG, "--phase", "research", "--json"]);
    assert!(of(&research, "evidence").is_empty(), "{}", research.stdout);
    // Deleting a file is a change too.
    std::fs::remove_file(repo.path.join("src/pkg/text.py")).unwrap();
    repo.write("tests/unit/test_text.py", "def test_gone():\n    pass\n");
    let run = repo.xtask(&["gate", SLUG, "--phase", "implementation", "--json"]);
    let a3 = items(&run, "evidence").into_iter().find(|g| g.1 == at("**A3**")).unwrap();
    assert_eq!((a3.0.as_str(), a3.2.as_str()), ("pass", "task A3 changed `src/pkg/text.py`"));
}

#[test]
fn status_and_recover_show_the_claims_of_the_last_gate() {
    let repo = proof_repo();
    repo.write("src/pkg/fresh.py", "X = 1\n");
    repo.write(&format!("specs/active/{SLUG}/tasks.md"), TASKS);
    let before = repo.xtask(&["status", SLUG]);
    assert!(before.stdout.contains("claims: criteria proven and tasks with evidence are judged by `cargo xtask gate"));
    repo.xtask(&["gate", SLUG, "--phase", "testing"]).assert_code(1);
    let status = repo.xtask(&["status", SLUG]);
    assert!(status.stdout.contains("claims judged by the last gate ("), "{}", status.stdout);
    assert!(
        status.stdout.contains("criteria proven 3/8 under \"Acceptance Criteria\" (7 ticked)"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("tasks with evidence 5/8"), "{}", status.stdout);
    let line = line_of(PRD, "**AC3**");
    assert!(
        status.stdout.contains(&format!("FAIL proven       prd.md:{line}  AC3 is ticked, but")),
        "{}",
        status.stdout
    );
    let json = repo.xtask(&["status", SLUG, "--json"]).json();
    let ac5 = json["claims"].as_array().unwrap().iter().find(|f| f["criterion"] == "AC5").unwrap().clone();
    assert_eq!(ac5["tests"][0]["outcome"], "missing");
    let recover = repo.xtask(&["recover", SLUG]);
    recover.assert_code(0);
    let line = line_of(PRD, "**AC2**");
    assert!(
        recover.stdout.contains(&format!("not proven: AC2 (prd.md:{line}): AC2 is ticked, but")),
        "{}",
        recover.stdout
    );
    assert!(repo.read(&format!("specs/active/{SLUG}/recovery.md")).contains("- Criteria proven by tests: 3/8"));
}

/// Run git in `dir`; panics when it fails.
fn git_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The worked example (specs/archive/criteria-proven-by-tests), proven end to end as an adopter would meet
/// it: this repository cloned at the commit that archived it, the archived workspace copied back to
/// specs/active, and the qa gate run against the commit before the workspace
/// was created. Each criterion is proven by this repository's own pytest
/// suite in the gate's own run; each ticked task that names files shows them
/// in the change.
#[test]
fn the_archived_worked_example_is_proven_by_the_qa_gate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().canonicalize().unwrap();
    let slug = "criteria-proven-by-tests";
    let archived = format!("specs/archive/{slug}");
    assert!(root.join(&archived).join("prd.md").is_file(), "the worked example is in {archived}");
    // The repository as it was when the example was archived: its research
    // quotes code by line (`# VERIFIED:`), and later work moves those lines.
    let archived_at = git_in(
        &root,
        &["log", "--full-history", "--diff-filter=A", "--format=%H", "-1", "--", &format!("{archived}/prd.md")],
    );
    let scratch = TempRepo::new();
    let clone = scratch.path.join("clone");
    git_in(&scratch.path, &["clone", "-q", "--no-checkout", root.to_str().unwrap(), "clone"]);
    git_in(&clone, &["checkout", "-q", &archived_at]);
    // The base the work was measured against: the parent of the commit that
    // created the workspace (--full-history: on a branch that merged main in,
    // the commit is behind a merge's second parent).
    let created = git_in(
        &clone,
        &["log", "--full-history", "--diff-filter=A", "--format=%H", "--", &format!("specs/active/{slug}/prd.md")],
    );
    let first = created.lines().last().expect("the commit that created the workspace is in the history");
    let base = format!("{first}^");
    std::fs::rename(clone.join(&archived), clone.join(format!("specs/active/{slug}"))).unwrap();
    std::os::unix::fs::symlink(pyenv::host().join(".venv"), clone.join(".venv")).unwrap();

    let run = common::xtask_in(&clone, &["gate", slug, "--phase", "qa", "--base", &base, "--json"]);
    let v = run.json();
    let ws = &v["workspaces"][0];
    let checks = ws["checks"].as_array().unwrap();
    let failing: Vec<&Value> = checks.iter().filter(|f| f["status"] == "fail").collect();
    assert!(failing.is_empty(), "the example's own findings at qa: {failing:#?}\n{}", run.stderr);
    let criteria: Vec<&Value> = checks.iter().filter(|f| f["id"] == "proven" && f["rule"] == "criterion").collect();
    assert_eq!(criteria.len(), 10, "{criteria:#?}");
    for c in &criteria {
        assert_eq!((c["status"].as_str(), c["ticked"].as_bool()), (Some("pass"), Some(true)), "{c}");
        let test = &c["tests"][0];
        assert_eq!(test["outcome"], "passed", "{c}");
        assert!(test["nodeid"].as_str().unwrap().starts_with("xtask/python/tests/test_xtask_outcomes.py::"), "{c}");
    }
    let summary = |id: &str| checks.iter().find(|f| f["id"] == id && f["rule"] == "summary").cloned().unwrap();
    assert_eq!(summary("proven")["message"], "criteria proven 10/10 under \"Acceptance Criteria\" (10 ticked)");
    let tasks = summary("evidence");
    assert!(tasks["measured"].as_f64().unwrap() >= 15.0, "{tasks}");
    assert_eq!(tasks["measured"], tasks["required"], "{tasks}");
    // The same run's unit tests: the suite that proves the criteria passes.
    let tests = v["checks"].as_array().unwrap().iter().find(|f| f["id"] == "tests").cloned().unwrap();
    assert_eq!(tests["status"], "pass", "{tests}");
}
