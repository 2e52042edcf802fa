//! Every command reads workspaces the same way: one reader, one link policy,
//! one markdown reader for tasks and metadata, one slug resolver.
mod common;

use std::os::unix::fs::symlink;

use common::TempRepo;

/// specs/active linked to a folder outside the repository: every command
/// refuses it, and nothing is written out there.
#[test]
fn a_specs_folder_linked_out_of_the_repository_is_refused_by_every_command() {
    let repo = TempRepo::new();
    let outside = TempRepo::new();
    outside.write("active/x/prd.md", "# PRD: Outside\n");
    outside.write("active/x/recovery.md", "**Current Phase**: prd\n");
    repo.write("specs/guides/.keep", "");
    symlink(outside.path.join("active"), repo.path.join("specs/active")).unwrap();
    let before = std::fs::read_dir(outside.path.join("active/x")).unwrap().count();
    for args in [&["gate"][..], &["gate", "x"], &["list"], &["status", "x"], &["recover", "x"], &["new-spec", "y"]] {
        let run = repo.xtask(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("specs/active"), "{args:?}: {}", run.stderr);
        assert!(!run.stdout.contains("Outside"), "{args:?} read through the link: {}", run.stdout);
    }
    assert!(!outside.exists("active/x/tmp"), "a ledger was written outside the repository");
    assert!(!outside.exists("active/y"), "new-spec wrote outside the repository");
    assert_eq!(std::fs::read_dir(outside.path.join("active/x")).unwrap().count(), before);
}

/// A specs/ folder that is itself a link out: new-spec creates nothing there.
#[test]
fn new_spec_creates_nothing_through_a_specs_link() {
    let repo = TempRepo::new();
    let outside = TempRepo::new();
    symlink(&outside.path, repo.path.join("specs")).unwrap();
    let run = repo.xtask(&["new-spec", "Anything"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!outside.exists("active"), "new-spec created a folder outside the repository");
}

/// Tasks are counted by the markdown reader the checks use: a task between
/// two indented (not fenced) backtick lines counts for the gate, list and
/// archive alike.
#[test]
fn gate_and_list_count_the_same_tasks() {
    let repo = TempRepo::new();
    repo.xtask(&["new-spec", "Counting"]).assert_code(0);
    let tasks = repo.read("specs/active/counting/tasks.md");
    let tricky = "\n    ```\n- [ ] **T99**: hidden only to a hand-written fence scanner\n    ```\n";
    repo.write("specs/active/counting/tasks.md", &format!("{tasks}{tricky}"));
    let listed = repo.xtask(&["list", "--json"]).json();
    let total = listed["workspaces"][0]["tasks"]["total"].as_u64().unwrap();
    let gated = repo.xtask(&["gate", "counting", "--phase", "research", "--json"]).json();
    let items = gated["workspaces"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "tasks" && f["rule"] == "items")
        .and_then(|f| f["measured"].as_f64())
        .unwrap();
    assert_eq!(items as u64, total);
    let plain: u64 = tasks.lines().filter(|l| l.trim_start().starts_with("- [")).count() as u64;
    assert_eq!(total, plain + 1, "T99 is a task");
    let status = repo.xtask(&["status", "counting", "--json"]).json();
    assert_eq!(status["tasks"]["total"].as_u64(), Some(total));
}

/// A slug is a name, never a path, for every command that takes one.
#[test]
fn a_slug_that_is_a_path_is_a_usage_error_everywhere() {
    let repo = TempRepo::new();
    repo.xtask(&["new-spec", "Done"]).assert_code(0);
    std::fs::create_dir_all(repo.path.join("specs/archive")).unwrap();
    std::fs::rename(repo.path.join("specs/active/done"), repo.path.join("specs/archive/done")).unwrap();
    for cmd in ["recover", "status", "archive", "gate"] {
        let run = repo.xtask(&[cmd, "../archive/done"]);
        assert_eq!(run.code, 2, "{cmd}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("not a workspace name"), "{cmd}: {}", run.stderr);
    }
}
