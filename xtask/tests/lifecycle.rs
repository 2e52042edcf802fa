//! The workspace lifecycle end to end: `new-spec`, `list`, `archive`, run as
//! the built binary in real temporary git repositories.
mod common;
mod pyenv;
mod spec_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use common::{Run, TempRepo};

const SLUG: &str = "cafe-unicode-batch-loading";
const DOCS: [&str; 5] = ["prd.md", "tasks.md", "recovery.md", "research/analysis.md", "research/plan.md"];

/// Every file under the repository (outside .git) with its bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == ".git" {
                continue;
            }
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                files.insert(format!("{rel}/"), Vec::new());
                stack.push(path);
            } else if kind.is_symlink() {
                files.insert(rel, std::fs::read_link(&path).unwrap().to_string_lossy().as_bytes().to_vec());
            } else {
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Compare two snapshots by path, naming what differs.
#[track_caller]
fn assert_unchanged(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) {
    let changed: Vec<&String> = before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).collect();
    assert!(changed.is_empty(), "changed: {changed:?}");
}

#[track_caller]
fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "panic:\n{}", run.stderr);
    assert!([0, 1, 2].contains(&run.code), "exit {}:\n{}", run.code, run.stderr);
}

#[track_caller]
fn assert_one_line_error(run: &Run, code: i32, needle: &str) {
    run.assert_code(code);
    assert_eq!(run.stderr.lines().count(), 1, "not one line:\n{}", run.stderr);
    assert!(run.stderr.contains(needle), "{needle:?} not in:\n{}", run.stderr);
}

/// A repository with one new workspace. Its `.venv` is the shared test
/// environment: archive runs the qa gate, whose Python checks need one.
fn repo_with_workspace() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".venv\n");
    pyenv::link(&repo);
    repo.xtask(&["new-spec", "Café Ünïcode: batch-loading!!"]).assert_code(0);
    repo
}

/// A repository where `gate --phase qa` can pass: a Python
/// package with a green suite on `main` (plus the file the filled documents
/// quote), the shared venv, and on branch `feature` a diligently filled
/// workspace whose tasks are all closed, committed.
fn qa_ready_repo() -> TempRepo {
    let repo = pyenv::project_repo();
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/demo/__init__.py", "");
    repo.write("src/demo/store.py", spec_support::STORE_PY);
    repo.commit_all("the module the documents quote");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main"]);
    spec_support::write_filled(&repo, SLUG);
    // The branch's work: the file its ticked tasks name is changed.
    let tasks = format!("specs/active/{SLUG}/tasks.md");
    repo.write(&tasks, &repo.read(&tasks).replace("`src/demo/store.py`", "`src/pkg/calc.py`"));
    repo.write("src/pkg/calc.py", &format!("# Reviewed for the demo feature.\n{}", pyenv::CALC));
    close_all_tasks(&repo, SLUG);
    repo.commit_all("filled workspace");
    repo
}

/// Mark every task of a workspace's tasks.md done, and tick its criteria.
fn close_all_tasks(repo: &TempRepo, slug: &str) {
    for doc in ["tasks.md", "prd.md"] {
        let rel = format!("specs/active/{slug}/{doc}");
        repo.write(&rel, &repo.read(&rel).replace("- [ ] ", "- [x] "));
    }
}

#[test]
fn new_spec_creates_a_complete_workspace() {
    let repo = TempRepo::new();
    let run = repo.xtask(&["new-spec", "Café Ünïcode: batch-loading!!"]);
    run.assert_code(0);
    assert!(run.stdout.contains(&format!("specs/active/{SLUG}/")), "{}", run.stdout);
    assert!(run.stdout.contains("next:"), "{}", run.stdout);
    let ws = format!("specs/active/{SLUG}");
    for doc in DOCS {
        let text = repo.read(&format!("{ws}/{doc}"));
        for placeholder in ["{{feature}}", "{{slug}}", "{{date}}", "{{complexity}}"] {
            assert!(!text.contains(placeholder), "{placeholder} left in {doc}");
        }
    }
    assert!(repo.path.join(&ws).join("tmp").is_dir());
    let prd = repo.read(&format!("{ws}/prd.md"));
    assert!(prd.starts_with("# PRD: Café Ünïcode: batch-loading!!\n"), "{prd}");
    assert!(prd.contains("**Status**: Draft\n"));
    assert!(prd.contains(&format!("**Workspace**: specs/active/{SLUG}/\n")));
    let created = prd.lines().find_map(|l| l.strip_prefix("**Created**: ")).unwrap();
    assert!(created.len() == 10 && created.as_bytes()[4] == b'-' && created.as_bytes()[7] == b'-', "created {created}");
    assert!(repo.read(&format!("{ws}/recovery.md")).contains(&format!("**Last Updated**: {created}\n")));
    assert!(repo.read(&format!("{ws}/recovery.md")).contains("**Current Phase**: prd\n"));
    let analysis = repo.read(&format!("{ws}/research/analysis.md"));
    assert!(analysis.contains("**Complexity**: medium (minimum analysis steps by complexity: simple 18, medium 25"));
    // The progress block is filled in from the task list.
    let tasks = repo.read(&format!("{ws}/tasks.md"));
    let total = tasks.lines().filter(|l| l.starts_with("- [ ] **")).count();
    assert!(tasks.contains(&format!("- Total Tasks: {total}\n- Completed: 0\n")), "{tasks}");
    assert!(tasks.contains("- Current Focus: P1\n"));
    // Nothing but the workspace was written.
    let written: Vec<String> = snapshot(&repo.path).into_keys().collect();
    assert!(written.iter().all(|p| p == "specs/" || p == "specs/active/" || p.starts_with(&format!("{ws}/"))));
}

#[test]
fn new_spec_options_templates_and_subfolders() {
    let repo = TempRepo::new();
    repo.write("templates/prd.md", "# PRD: {{feature}}\n\nOur own PRD for {{slug}}, {{complexity}}.\n");
    std::fs::create_dir_all(repo.path.join("src/deep")).unwrap();
    let run =
        common::xtask_in(&repo.path.join("src/deep"), &["new-spec", "Two", "words", "--complexity", "multi-system"]);
    run.assert_code(0);
    assert_eq!(
        repo.read("specs/active/two-words/prd.md"),
        "# PRD: Two words\n\nOur own PRD for two-words, multi-system.\n"
    );
    assert!(repo.read("specs/active/two-words/research/analysis.md").contains("**Complexity**: multi-system ("));
    assert!(!repo.exists("src/deep/specs"));
    let json = repo.xtask(&["new-spec", "JSON please", "--json"]);
    json.assert_code(0);
    let v = json.json();
    assert_eq!((v["version"].as_u64(), v["slug"].as_str()), (Some(1), Some("json-please")));
    assert_eq!(v["path"], "specs/active/json-please");
    repo.xtask(&["new-spec", "x", "--complexity", "huge"]).assert_code(2);
}

/// A repository that git-ignores specs/ (agent setups often do): the
/// workspace is created, with a warning that it can be neither committed nor
/// gated in CI, naming how to find the rule; `--json` carries it too.
#[test]
fn new_spec_warns_when_the_workspace_is_git_ignored() {
    let repo = TempRepo::new();
    repo.write(".gitignore", "# AI infrastructure is local-only\nspecs/\n");
    let run = repo.xtask(&["new-spec", "Hidden plan"]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("warning: specs/active/hidden-plan/ is git-ignored: it cannot be committed, nor gated in CI"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("git check-ignore -v specs/active/hidden-plan/prd.md"), "{}", run.stderr);
    let json = repo.xtask(&["--json", "new-spec", "Other plan"]).json();
    assert!(json["warnings"][0].as_str().unwrap().contains("is git-ignored"), "{json:#}");
    assert!(repo.xtask(&["doctor"]).stdout.contains("specs/ is git-ignored"));
    repo.write(".gitignore", "");
    let quiet = repo.xtask(&["new-spec", "Open plan"]);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
}

/// The kit's adoption committed on main but not pushed (origin is behind):
/// a feature branch's change is measured from main, where it started, not
/// from origin, so the adoption's files are not the feature's. On main
/// itself the base stays origin's, and its unpushed commits are the change.
#[test]
fn the_base_is_where_the_branch_left_main_even_before_main_is_pushed() {
    let repo = TempRepo::new();
    repo.write("src/app.py", "x = 1\n");
    repo.commit_all("the project");
    let pushed = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["update-ref", "refs/remotes/origin/main", pushed.trim()]);
    repo.git(&["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
    repo.write("kit/adopted.txt", "the kit\n");
    repo.commit_all("adopt the kit");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.xtask(&["new-spec", "Feature"]).assert_code(0);
    repo.write("src/feature.py", "y = 2\n");
    repo.commit_all("the feature");
    let changed = |repo: &TempRepo| {
        repo.xtask(&["recover", "feature"]).assert_code(0);
        repo.read("specs/active/feature/recovery.md")
    };
    let text = changed(&repo);
    assert!(text.contains("src/feature.py") && !text.contains("kit/adopted.txt"), "{text}");
    assert!(text.contains("against main (merge base"), "{text}");
    // On main, with the adoption not pushed: origin is the base.
    repo.commit_all("recovered");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--ff-only", "feature"]);
    let text = changed(&repo);
    assert!(text.contains("kit/adopted.txt") && text.contains("src/feature.py"), "{text}");
    assert!(text.contains("against origin/HEAD (merge base"), "{text}");
    // Back on the branch that main now holds: main would leave no change, so
    // origin is the base again, not an empty change.
    repo.commit_all("recovered on main");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--ff-only", "main"]);
    let text = changed(&repo);
    assert!(text.contains("src/feature.py"), "{text}");
    assert!(text.contains("against origin/HEAD (merge base"), "{text}");
}

#[test]
fn new_spec_refusals() {
    let repo = repo_with_workspace();
    for name in ["!!!", "日本語", "🚀", "..", "  "] {
        assert_one_line_error(&repo.xtask(&["new-spec", name]), 2, "empty slug");
    }
    let before = snapshot(&repo.path);
    // Same slug from another spelling: exit 1, nothing written.
    assert_one_line_error(&repo.xtask(&["new-spec", "cafe unicode batch loading"]), 1, "already exists");
    // A slug taken in the archive.
    std::fs::create_dir_all(repo.path.join("specs/archive/old-one")).unwrap();
    assert_one_line_error(&repo.xtask(&["new-spec", "Old one"]), 1, "specs/archive/old-one");
    std::fs::remove_dir_all(repo.path.join("specs/archive")).unwrap();
    assert_unchanged(&before, &snapshot(&repo.path));
}

#[test]
fn hostile_names_stay_inside_specs_active() {
    let repo = TempRepo::new();
    let long = "ab ".repeat(100);
    let names = [
        "../../etc/passwd",
        "..\\..\\windows",
        "$(touch pwned) `touch pwned2`; rm -rf / && echo",
        "\"quoted\" 'single' <angle> |pipe| *glob?",
        "line\nbreak\r\nand\ttab",
        long.as_str(),
        "-rf",
        "{{slug}} {{date}} [x]",
        "Ω≈ç√∫ mixed ÿ",
        ".hidden",
    ];
    for name in names {
        let run = repo.xtask(&["new-spec", "--", name]);
        assert_no_panic(&run);
    }
    for entry in snapshot(&repo.path).keys() {
        assert!(entry.starts_with("specs/active/") || entry == "specs/" || entry == "specs/active/", "{entry}");
    }
    assert!(!repo.exists("pwned") && !repo.exists("pwned2"));
    let listed = repo.xtask(&["list", "--json"]);
    listed.assert_code(0);
    let v = listed.json();
    for ws in v["workspaces"].as_array().unwrap() {
        let slug = ws["slug"].as_str().unwrap();
        assert!(slug.len() <= 60 && !slug.starts_with('-') && !slug.contains(".."), "{slug}");
    }
    assert!(repo.exists("specs/active/etc-passwd/prd.md"));
    // The feature name is kept verbatim in the title, placeholders included, on one line.
    assert!(repo.read("specs/active/slug-date-x/prd.md").starts_with("# PRD: {{slug}} {{date}} [x]\n"));
    assert!(repo.read("specs/active/line-break-and-tab/prd.md").starts_with("# PRD: line break and tab\n"));
}

#[test]
fn racing_new_specs_one_wins() {
    let repo = TempRepo::new();
    for round in 0..4 {
        let name = format!("Race {round}");
        let spawn = || {
            common::xtask_command(&repo.path)
                .args(["new-spec", &name])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let mut codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap()).collect();
        codes.sort();
        assert_eq!(
            codes,
            [0, 1],
            "round {round}: {:?}",
            outs.iter().map(|o| String::from_utf8_lossy(&o.stderr)).collect::<Vec<_>>()
        );
        let loser = outs.iter().find(|o| o.status.code() == Some(1)).unwrap();
        assert_eq!(String::from_utf8_lossy(&loser.stderr).lines().count(), 1);
        let ws = format!("specs/active/race-{round}");
        for doc in DOCS {
            assert!(repo.read(&format!("{ws}/{doc}")).contains(&format!("Race {round}")), "{doc}");
        }
        assert!(repo.path.join(&ws).join("tmp").is_dir());
    }
    // No temporary folder is left behind.
    let leftovers: Vec<String> = std::fs::read_dir(repo.path.join("specs/active"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn list_reads_hand_made_workspaces() {
    let repo = repo_with_workspace();
    // Upper-case names, a missing document, extra files.
    repo.write("specs/active/by-hand/PRD.md", "# PRD: Made by hand\n\n**Created**: 2025-01-02\n");
    repo.write("specs/active/by-hand/RECOVERY.md", "# R\n\n**Current Phase**: Implementation\n");
    repo.write(
        "specs/active/by-hand/Tasks.md",
        "- [x] **A1**: one\n- [-] **A2**: not needed here\n- [ ] **A3**: three\n",
    );
    repo.write("specs/active/by-hand/notes.txt", "extra");
    repo.write("specs/active/by-hand/Research/Plan.md", "# plan");
    // An empty folder and a stray file.
    std::fs::create_dir_all(repo.path.join("specs/active/empty")).unwrap();
    repo.write("specs/active/README.md", "not a workspace");
    let run = repo.xtask(&["list"]);
    run.assert_code(0);
    let by_hand = run.stdout.lines().find(|l| l.contains("by-hand")).unwrap();
    for part in ["active", "implementation", "2/3", "2025-01-02", "Made by hand"] {
        assert!(by_hand.contains(part), "{part} not in {by_hand:?}");
    }
    assert!(run.stdout.contains("note: research/analysis.md missing"), "{}", run.stdout);
    assert!(run.stdout.contains(SLUG));
    assert!(!run.stdout.contains("README"));

    let v = repo.xtask(&["list", "--json"]).json();
    assert_eq!(v["version"], 1);
    let all = v["workspaces"].as_array().unwrap();
    assert_eq!(all.iter().map(|w| w["slug"].as_str().unwrap()).collect::<Vec<_>>(), ["by-hand", SLUG, "empty"]);
    let by_hand = &all[0];
    assert_eq!(by_hand["phase"], "implementation");
    assert_eq!(by_hand["tasks"]["done"], 1);
    assert_eq!(by_hand["tasks"]["not_applicable"], 1);
    assert_eq!(by_hand["tasks"]["total"], 3);
    assert_eq!(by_hand["location"], "active");
    let empty = &all[2];
    assert!(empty.get("phase").is_none() && empty.get("tasks").is_none());
    assert_eq!(empty["notes"].as_array().unwrap().len(), 5, "{empty}");
}

#[test]
fn list_survives_hostile_folders() {
    let repo = repo_with_workspace();
    let outside = TempRepo::new();
    outside.write("secret.md", "# PRD: Secret outside\n");
    outside.write("prd.md", "# PRD: Secret outside\n");
    let ws = repo.path.join("specs/active");
    repo.write("specs/active/bin ary/prd.md", "");
    std::fs::write(ws.join("bin ary/prd.md"), b"# PRD: \xff\xfe\0\n").unwrap();
    repo.write("specs/active/crlf-bom/prd.md", "\u{feff}# PRD: Windows\r\n\r\n**Created**: 2024-12-31\r\n");
    repo.write("specs/active/crlf-bom/tasks.md", "- [x] **A1**: a\r\n- [ ] **A2**: b\r\n");
    std::fs::create_dir_all(ws.join("folder-docs/prd.md")).unwrap();
    std::fs::create_dir_all(ws.join("$(x) `y` ;z& \u{1b}[31mred")).unwrap();
    repo.write("specs/active/fences/tasks.md", "```\n- [ ] **X1**: in code\n");
    std::os::unix::fs::symlink(&outside.path, ws.join("link-out")).unwrap();
    std::fs::create_dir_all(ws.join("leaky")).unwrap();
    std::os::unix::fs::symlink(outside.path.join("secret.md"), ws.join("leaky/prd.md")).unwrap();
    std::os::unix::fs::symlink("loop", ws.join("loop")).unwrap();
    std::fs::create_dir_all(ws.join("loopy")).unwrap();
    std::os::unix::fs::symlink("prd.md", ws.join("loopy/prd.md")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", ws.join("dangling")).unwrap();
    use std::os::unix::ffi::OsStrExt;
    std::fs::create_dir_all(ws.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9"))).unwrap();

    for args in [&["list"][..], &["list", "--json"]] {
        let run = repo.xtask(args);
        assert_no_panic(&run);
        run.assert_code(0);
        assert!(!run.stdout.contains("Secret outside"), "read through a symlink:\n{}", run.stdout);
        assert!(!run.stdout.contains('\u{1b}'), "terminal escape printed");
    }
    let v = repo.xtask(&["list", "--json"]).json();
    let find = |slug: &str| v["workspaces"].as_array().unwrap().iter().find(|w| w["slug"] == slug).cloned().unwrap();
    assert_eq!(find("crlf-bom")["title"], "Windows");
    assert_eq!(find("crlf-bom")["created"], "2024-12-31");
    assert_eq!(find("crlf-bom")["tasks"]["done"], 1);
    assert_eq!(find("fences")["tasks"]["total"], 0);
    let notes = |slug: &str| find(slug)["notes"].to_string();
    assert!(notes("bin ary").contains("not UTF-8"), "{}", notes("bin ary"));
    assert!(notes("folder-docs").contains("a folder"), "{}", notes("folder-docs"));
    assert!(notes("leaky").contains("outside specs/"), "{}", notes("leaky"));
    assert!(notes("link-out").contains("outside specs/"), "{}", notes("link-out"));
    assert!(notes("loopy").contains("symlink loop"), "{}", notes("loopy"));

    // Hostile slugs for archive: never a panic, never a move.
    let before = snapshot(&repo.path);
    for slug in ["../..", "..", ".", "/etc", "a/b", "loop", "dangling", "link-out/..", "", "\u{1b}[2J"] {
        let run = repo.xtask(&["archive", slug]);
        assert_no_panic(&run);
        assert_ne!(run.code, 0, "{slug:?}");
    }
    assert_unchanged(&before, &snapshot(&repo.path));
}

#[test]
fn list_with_no_workspaces_and_broken_specs() {
    let repo = TempRepo::new();
    let run = repo.xtask(&["list"]);
    run.assert_code(0);
    assert!(run.stdout.contains("new-spec"));
    assert_eq!(repo.xtask(&["list", "--json"]).json()["workspaces"], serde_json::json!([]));
    assert!(!repo.exists("specs/archive/INDEX.md"));
    repo.write("specs/active", "a file where a folder should be");
    assert_one_line_error(&repo.xtask(&["list"]), 2, "specs/active");
    assert_one_line_error(&repo.xtask(&["new-spec", "x"]), 2, "specs/active");
    // specs/active as a symlink out of the repository: refused, nothing written there.
    let outside = TempRepo::new();
    std::fs::remove_file(repo.path.join("specs/active")).unwrap();
    std::os::unix::fs::symlink(&outside.path, repo.path.join("specs/active")).unwrap();
    assert_one_line_error(&repo.xtask(&["new-spec", "x"]), 2, "leads outside the repository");
    assert_one_line_error(&repo.xtask(&["list"]), 2, "leads outside the repository");
    assert!(!outside.exists("x"));
}

#[test]
fn archive_refuses_a_failing_qa_gate_and_changes_nothing() {
    let repo = qa_ready_repo();
    let tasks = format!("specs/active/{SLUG}/tasks.md");
    let text = repo.read(&tasks);
    let first_closed = text.lines().position(|l| l.starts_with("- [x] **")).unwrap() + 1;
    let reopened: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == first_closed { l.replacen("- [x]", "- [ ]", 1) } else { l.to_string() })
        .collect();
    repo.write(&tasks, &(reopened.join("\n") + "\n"));
    repo.commit_all("one task reopened");
    let before = snapshot(&repo.path);
    let run = repo.xtask(&["archive", SLUG]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(&format!("error[tasks]: specs/active/{SLUG}/tasks.md:{first_closed}:")),
        "{}",
        run.stdout
    );
    assert_eq!(run.stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--force") && run.stderr.contains("--phase qa"), "{}", run.stderr);
    assert_unchanged(&before, &snapshot(&repo.path));
    // The same through --json, and a dry run: still refused, still nothing
    // changed; the only failure is the reopened task, and `gate --phase qa`
    // agrees with archive.
    let json = repo.xtask(&["archive", SLUG, "--json", "--dry-run"]);
    json.assert_code(1);
    let v = json.json();
    assert_eq!(v["ok"], false);
    assert!(v["refused"].as_str().unwrap().starts_with(&format!("archive {SLUG} refused: the qa check failed")), "{v}");
    let failed: Vec<&serde_json::Value> =
        v["checks"].as_array().unwrap().iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!((&failed[0]["id"], &failed[0]["rule"]), (&serde_json::json!("tasks"), &serde_json::json!("open")));
    assert_unchanged(&before, &snapshot(&repo.path));
    repo.xtask(&["gate", SLUG, "--phase", "qa"]).assert_code(1);
    // Not applicable needs a reason.
    close_all_tasks(&repo, SLUG);
    let text = repo.read(&tasks);
    let id =
        text.lines().find_map(|l| l.strip_prefix("- [x] **").and_then(|r| r.split("**").next())).unwrap().to_string();
    let line = text.lines().find(|l| l.starts_with(&format!("- [x] **{id}**"))).unwrap().to_string();
    repo.write(&tasks, &text.replacen(&line, &format!("- [-] **{id}**:"), 1));
    let run = repo.xtask(&["archive", SLUG]);
    run.assert_code(1);
    assert!(run.stdout.contains(&format!("task {id} is marked not applicable without a reason")), "{}", run.stdout);
}

#[test]
fn archive_moves_marks_records_and_indexes() {
    let repo = qa_ready_repo();
    let tasks = format!("specs/active/{SLUG}/tasks.md");
    let text = repo.read(&tasks);
    let line = text.lines().filter(|l| l.starts_with("- [x] **")).nth(1).unwrap().to_string();
    let id = line.trim_start_matches("- [x] **").split("**").next().unwrap().to_string();
    repo.write(&tasks, &text.replacen(&line, &format!("- [-] **{id}**: no shared state, so nothing to race"), 1));
    repo.commit_all("done");
    // One source of truth: the qa gate passes, so archive will not refuse.
    repo.xtask(&["gate", SLUG, "--phase", "qa"]).assert_code(0);
    let dry = repo.xtask(&["archive", SLUG, "--dry-run"]);
    dry.assert_code(0);
    assert!(dry.stdout.contains("would: move"), "{}", dry.stdout);
    assert!(repo.exists(&format!("specs/active/{SLUG}/prd.md")) && !repo.exists("specs/archive/INDEX.md"));

    let run = repo.xtask(&["archive", SLUG]);
    run.assert_code(0);
    assert!(run.stdout.contains(&format!("archived {SLUG} to specs/archive/{SLUG}/")), "{}", run.stdout);
    assert!(!repo.exists(&format!("specs/active/{SLUG}")));
    let ws = format!("specs/archive/{SLUG}");
    for doc in DOCS {
        assert!(repo.exists(&format!("{ws}/{doc}")), "{doc}");
    }
    assert!(repo.read(&format!("{ws}/prd.md")).contains("\n**Status**: Complete\n"));
    assert!(repo.read(&format!("{ws}/recovery.md")).contains("\n**Current Phase**: archived\n"));
    let record = repo.read(&format!("{ws}/archive.md"));
    assert!(record.contains("**Forced**: no\n"), "{record}");
    let index = repo.read("specs/archive/INDEX.md");
    assert!(index.contains(&format!("| {SLUG} | Demo Batch Loader | ")), "{index}");
    assert!(index.contains(" | passed |"), "{index}");
    // list shows it archived; the same slug cannot be created again.
    let v = repo.xtask(&["list", "--json"]).json();
    assert_eq!(v["workspaces"][0]["location"], "archive");
    assert_eq!(v["workspaces"][0]["phase"], "archived");
    assert_eq!(v["workspaces"][0]["archived"]["forced"], false);
    // The last gate's record follows the two lines archive itself rewrote.
    assert_eq!(v["workspaces"][0]["gate"]["stale"], false, "{v:#}");
    repo.xtask(&["new-spec", "Café Ünïcode: batch-loading!!"]).assert_code(1);
    // Archiving again: refused, exit 1.
    assert_one_line_error(&repo.xtask(&["archive", SLUG]), 1, "already archived");
}

#[test]
fn archive_force_is_recorded() {
    let repo = repo_with_workspace();
    // A gate record of another shape is left alone (it made archive panic).
    repo.write(&format!("specs/active/{SLUG}/tmp/gate.json"), "[]");
    let run = repo.xtask(&["archive", SLUG, "--force", "--json"]);
    run.assert_code(0);
    let v = run.json();
    assert_eq!((v["ok"].as_bool(), v["forced"].as_bool()), (Some(true), Some(true)));
    assert!(!v["checks"].as_array().unwrap().is_empty());
    let ws = format!("specs/archive/{SLUG}");
    assert!(repo.read(&format!("{ws}/archive.md")).contains("**Forced**: yes\n"));
    assert!(repo.read("specs/archive/INDEX.md").contains(" | forced |"));
    let listed = repo.xtask(&["list"]);
    assert!(listed.stdout.contains(", forced)"), "{}", listed.stdout);
}

#[test]
fn archive_unknown_slug_and_existing_target() {
    let repo = repo_with_workspace();
    assert_one_line_error(&repo.xtask(&["archive", "no-such-thing"]), 2, "specs/active/no-such-thing");
    assert_one_line_error(&repo.xtask(&["archive", "../../etc"]), 2, "not a workspace name");
    close_all_tasks(&repo, SLUG);
    repo.write(&format!("specs/archive/{SLUG}/prd.md"), "# PRD: an older one\n");
    let before = snapshot(&repo.path);
    assert_one_line_error(&repo.xtask(&["archive", SLUG, "--force"]), 1, "already exists; nothing moved");
    assert_unchanged(&before, &snapshot(&repo.path));
}

#[test]
fn lost_or_stale_index_is_regenerated() {
    let repo = repo_with_workspace();
    repo.xtask(&["new-spec", "Second"]).assert_code(0);
    repo.xtask(&["archive", SLUG, "--force"]).assert_code(0);
    let index = repo.read("specs/archive/INDEX.md");
    std::fs::remove_file(repo.path.join("specs/archive/INDEX.md")).unwrap();
    let run = repo.xtask(&["list"]);
    run.assert_code(0);
    assert!(run.stdout.contains("regenerated specs/archive/INDEX.md"));
    assert_eq!(repo.read("specs/archive/INDEX.md"), index);
    // A current index is left alone.
    assert!(!repo.xtask(&["list"]).stdout.contains("regenerated"));
    // A stale one (edited, or missing a row) is rebuilt by archive too.
    repo.write("specs/archive/INDEX.md", "# stale\n");
    repo.xtask(&["archive", "second", "--force"]).assert_code(0);
    let index = repo.read("specs/archive/INDEX.md");
    assert!(index.contains(&format!("| {SLUG} |")) && index.contains("| second | Second |"), "{index}");
}

#[test]
fn interrupted_archives_are_finished_by_the_next_run() {
    let repo = repo_with_workspace();
    repo.xtask(&["new-spec", "Second"]).assert_code(0);
    close_all_tasks(&repo, "second");
    // Crash after step 2: the record is written, the folder never moved.
    repo.write(
        &format!("specs/active/{SLUG}/archive.md"),
        "# Archive record\n\n**Archived**: 2020-01-01\n**Forced**: yes\n",
    );
    let listed = repo.xtask(&["list"]);
    assert!(listed.stdout.contains("an archive was interrupted"), "{}", listed.stdout);
    repo.xtask(&["archive", SLUG, "--force"]).assert_code(0);
    assert!(!repo.read(&format!("specs/archive/{SLUG}/archive.md")).contains("2020-01-01"));
    // Crash after step 3: moved with its record, PRD and recovery not yet marked.
    let record = "# Archive record\n\n**Archived**: 2021-02-03\n**Forced**: no\n";
    repo.write("specs/active/second/archive.md", record);
    std::fs::create_dir_all(repo.path.join("specs/archive")).unwrap();
    std::fs::rename(repo.path.join("specs/active/second"), repo.path.join("specs/archive/second")).unwrap();
    let before = snapshot(&repo.path);
    repo.xtask(&["archive", "second", "--dry-run"]).assert_code(0);
    assert_unchanged(&before, &snapshot(&repo.path));
    let run = repo.xtask(&["archive", "second"]);
    run.assert_code(0);
    assert!(run.stdout.contains("finish the interrupted archive"), "{}", run.stdout);
    assert!(repo.read("specs/archive/second/prd.md").contains("**Status**: Complete\n"));
    assert!(repo.read("specs/archive/second/recovery.md").contains("**Current Phase**: archived\n"));
    assert!(repo.read("specs/archive/INDEX.md").contains("| second | Second | 2021-02-03 | passed |"));
    assert_one_line_error(&repo.xtask(&["archive", "second"]), 1, "already archived");
}

#[test]
fn list_shows_the_last_gate_and_whether_it_is_stale() {
    use xtask::core::{finding::Finding, ledger};
    let repo = repo_with_workspace();
    let ws = repo.path.join("specs/active").join(SLUG);
    let hashes = DOCS
        .iter()
        .map(|d| (d.to_string(), ledger::document_hash(&std::fs::read(ws.join(d)).unwrap())))
        .collect::<Vec<_>>();
    let entry = ledger::Entry {
        time: "2026-11-23T10:00:00Z".into(),
        phase: "prd".into(),
        ok: false,
        findings: vec![Finding::fail("words", "document", "short"), Finding::pass("structure", "files", "ok")],
        hashes,
        change: None,
    };
    repo.write(&format!("specs/active/{SLUG}/{}", ledger::FILE), &entry.to_json().to_string());
    let row = |run: &Run| run.stdout.lines().find(|l| l.contains(SLUG)).unwrap().to_string();
    let run = repo.xtask(&["list"]);
    assert!(row(&run).contains(" failed 1 ") && !row(&run).contains("stale"), "{}", run.stdout);
    repo.write(&format!("specs/active/{SLUG}/prd.md"), "# PRD: edited since\n");
    let run = repo.xtask(&["list"]);
    assert!(row(&run).contains(" failed 1 (stale) "), "{}", run.stdout);
    let v = repo.xtask(&["list", "--json"]).json();
    assert_eq!(v["workspaces"][0]["gate"]["stale"], true);
    assert_eq!(v["workspaces"][0]["gate"]["changed"], serde_json::json!(["prd.md"]));
}
