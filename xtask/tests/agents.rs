//! The gate in an agent's loop, end to end: the Claude Code hooks fed the JSON
//! Claude Code sends (blocking, passing, the loop guard, denied and allowed
//! edits), `agents` merging them into an existing settings file, and the
//! pre-commit hook refusing a commit that breaks a workspace (pre-commit from
//! PyPI).
mod common;
mod pyenv;
mod spec_support;

use std::process::Command;

use common::{xtask_with, Run, TempRepo};
use serde_json::{json, Value};
use spec_support::{repo_with_source, write_filled, write_fresh, SLUG};

fn stop_input(repo: &TempRepo, active: bool) -> String {
    json!({
        "session_id": "3f2c9a",
        "transcript_path": "/home/dev/.claude/projects/x/3f2c9a.jsonl",
        "cwd": repo.path,
        "permission_mode": "default",
        "hook_event_name": "Stop",
        "stop_hook_active": active,
        "last_assistant_message": "Checkpoint 7 complete: the PRD is written.",
        "background_tasks": [],
        "session_crons": []
    })
    .to_string()
}

fn edit_input(repo: &TempRepo, tool: &str, file: &str) -> String {
    let path = repo.path.join(file);
    let tool_input = match tool {
        "Write" => json!({"file_path": path, "content": "def total(xs):\n    return sum(xs)\n"}),
        "MultiEdit" => json!({"file_path": path, "edits": [{"old_string": "a", "new_string": "b"}]}),
        "Read" => json!({"file_path": path}),
        _ => json!({"file_path": path, "old_string": "x = 1", "new_string": "x = 2", "replace_all": false}),
    };
    json!({
        "session_id": "3f2c9a",
        "cwd": repo.path,
        "permission_mode": "acceptEdits",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_01"
    })
    .to_string()
}

/// Run `xtask hook SUB` with `input` on stdin, from a folder outside the
/// repository (Claude Code's own folder may be anywhere): the repository is
/// found from the input's `cwd`.
fn hook(sub: &str, input: &str) -> Run {
    let run = xtask_with(&std::env::temp_dir(), &["hook", sub], input, &[]);
    assert_eq!(run.code, 0, "hooks always exit 0\n{}\n{}", run.stdout, run.stderr);
    run
}

fn answer(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", run.stdout))
}

fn fresh_repo() -> TempRepo {
    let repo = repo_with_source();
    repo.write(".gitignore", "specs/active/*/tmp/\n");
    write_fresh(&repo, SLUG);
    repo.commit_all("a workspace just created");
    repo
}

#[test]
fn stop_blocks_a_failing_prd_workspace_and_lets_the_stop_through_once_it_passes() {
    let repo = fresh_repo();
    let run = hook("stop", &stop_input(&repo, false));
    let v = answer(&run);
    assert_eq!(v["decision"], "block");
    let reason = v["reason"].as_str().unwrap();
    assert!(reason.starts_with("The spec gate fails, so the work is not done: "), "{reason}");
    assert!(reason.contains(&format!("in specs/active/{SLUG} (phase prd)")), "{reason}");
    // Findings an agent acts on: file:line, what is missing, the check.
    let lines: Vec<&str> = reason.lines().filter(|l| l.starts_with("- ")).collect();
    assert!(lines.len() >= 5, "{reason}");
    assert!(lines
        .iter()
        .any(|l| l.contains(&format!("specs/active/{SLUG}/prd.md:")) && l.ends_with("[words/section]")));
    assert!(lines.windows(2).all(|w| w[0].chars().count() <= w[1].chars().count()), "shortest first: {reason}");
    assert!(reason.chars().count() <= 4_000, "capped: {}", reason.len());
    assert!(reason.ends_with(&format!(
        "Blocked 1 of at most 3 times in a row; run `cargo xtask gate {SLUG}` to see every finding with its figures."
    )));
    // The gate ran and recorded its result, as a `gate` run does.
    assert!(repo.read(&format!("specs/active/{SLUG}/tmp/gate.json")).contains("\"ok\":false"));

    // The agent writes the workspace properly; the next stop goes through.
    write_filled(&repo, SLUG);
    let run = hook("stop", &stop_input(&repo, true));
    assert_eq!(run.stdout, "", "nothing that blocks: {}", run.stdout);
    let guard = repo.read(&format!("specs/active/{SLUG}/tmp/stop-hook.json"));
    assert!(!guard.contains("3f2c9a"), "the count is cleared once the gate passes: {guard}");
}

#[test]
fn the_loop_guard_lets_a_failing_stop_through_after_the_limit_and_says_so() {
    let repo = fresh_repo();
    repo.write("Cargo.toml", "[workspace.metadata.xtask]\nhook-max-blocks = 2\n");
    let counts = |run: &Run| answer(run)["reason"].as_str().map(|r| r.lines().last().unwrap().to_string());
    let first = hook("stop", &stop_input(&repo, false));
    assert!(counts(&first).unwrap().starts_with("Blocked 1 of at most 2 times"));
    let second = hook("stop", &stop_input(&repo, true));
    assert!(counts(&second).unwrap().starts_with("Blocked 2 of at most 2 times"));
    let third = answer(&hook("stop", &stop_input(&repo, true)));
    assert!(third.get("decision").is_none(), "the stop goes through: {third}");
    let message = third["systemMessage"].as_str().unwrap();
    assert!(message.contains("the stop hook blocked 2 times in a row and now lets the agent stop"), "{message}");
    // A stop the agent reaches on its own later starts a new count.
    let again = hook("stop", &stop_input(&repo, false));
    assert!(counts(&again).unwrap().starts_with("Blocked 1 of at most 2 times"));
    // A subagent is counted apart from the main agent.
    let sub = json!({"session_id": "3f2c9a", "cwd": repo.path, "hook_event_name": "SubagentStop",
        "stop_hook_active": true, "agent_id": "a7", "agent_type": "general-purpose"})
    .to_string();
    let run = hook("subagent-stop", &sub);
    assert!(counts(&run).unwrap().starts_with("Blocked 1 of at most 2 times"), "{}", run.stdout);

    // A workspace whose tmp/ leads out of the repository cannot keep the
    // count (nothing is written through it): the hook blocks once, then lets
    // the stop through rather than blocking forever.
    let outside = std::env::temp_dir().join(format!("xtask-guard-out-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    let tmp = repo.path.join(format!("specs/active/{SLUG}/tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::os::unix::fs::symlink(&outside, &tmp).unwrap();
    let blocked = hook("stop", &stop_input(&repo, false));
    assert!(counts(&blocked).unwrap().starts_with("Blocked 1 of at most 2 times"), "{}", blocked.stdout);
    let released = hook("stop", &stop_input(&repo, true));
    let v = answer(&released);
    let _ = std::fs::remove_dir_all(&outside);
    assert!(v.get("decision").is_none(), "the stop goes through: {v}");
    assert!(v["systemMessage"].as_str().unwrap().contains("blocked once and now lets the agent stop"), "{v}");
    assert!(released.stderr.contains("cannot count its blocks"), "{}", released.stderr);
}

#[test]
fn edits_to_the_source_are_denied_while_every_workspace_plans() {
    let repo = fresh_repo();
    for (tool, file) in
        [("Write", "src/demo/loader.py"), ("Edit", "src/demo/store.py"), ("MultiEdit", "src/demo/store.py")]
    {
        let v = answer(&hook("pre-tool-use", &edit_input(&repo, tool, file)));
        let out = &v["hookSpecificOutput"];
        assert_eq!(out["hookEventName"], "PreToolUse");
        assert_eq!(out["permissionDecision"], "deny", "{tool} {file}");
        let reason = out["permissionDecisionReason"].as_str().unwrap();
        assert!(reason.contains(&format!("specs/active/{SLUG} is at phase prd")), "{reason}");
        assert!(reason.starts_with(&format!("{file} is under the source root src/")), "{reason}");
    }
    // Planning documents, files outside the source roots and reads are allowed
    // (no decision: Claude Code's own permissions apply).
    for (tool, file) in [("Edit", "specs/active/demo/prd.md"), ("Write", "README.md"), ("Read", "src/demo/store.py")] {
        assert_eq!(hook("pre-tool-use", &edit_input(&repo, tool, file)).stdout, "", "{tool} {file}");
    }
    // A `..` does not hide a source file.
    let sneaky = edit_input(&repo, "Write", "specs/../src/demo/x.py");
    assert_eq!(answer(&hook("pre-tool-use", &sneaky))["hookSpecificOutput"]["permissionDecision"], "deny");
    // Once the workspace moves on to implementation, code may change.
    let recovery = format!("specs/active/{SLUG}/recovery.md");
    repo.write(&recovery, &repo.read(&recovery).replace("**Current Phase**: prd", "**Current Phase**: implementation"));
    assert_eq!(hook("pre-tool-use", &edit_input(&repo, "Write", "src/demo/loader.py")).stdout, "");
}

#[test]
fn a_hook_that_cannot_judge_tells_the_person_and_blocks_nothing() {
    let run = hook("stop", "{not json");
    let v = answer(&run);
    assert!(v.get("decision").is_none());
    assert!(v["systemMessage"].as_str().unwrap().contains("the hook input is not JSON"), "{v}");
    // A session outside any repository (the test folders live inside this
    // one, so the folder is made under the system's temporary folder).
    let outside = std::env::temp_dir().join(format!("xtask-no-repo-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    let input = json!({"session_id": "s", "cwd": outside, "hook_event_name": "Stop", "stop_hook_active": false});
    let run = xtask_with(&outside, &["hook", "stop"], &input.to_string(), &[]);
    let _ = std::fs::remove_dir_all(&outside);
    assert_eq!(run.code, 0);
    assert!(answer(&run)["systemMessage"].as_str().unwrap().contains("no repository"), "{}", run.stdout);
    // No active workspace: nothing to gate, nothing printed.
    let bare = repo_with_source();
    assert_eq!(hook("stop", &stop_input(&bare, false)).stdout, "");
}

#[test]
fn a_passing_result_is_reused_until_the_change_or_a_document_differs() {
    let repo = pyenv::project_repo();
    // The module the filled workspace quotes, already on main.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/demo/__init__.py", "");
    repo.write("src/demo/store.py", spec_support::STORE_PY);
    repo.write(".gitignore", &(repo.read(".gitignore") + "specs/active/*/tmp/\n"));
    repo.commit_all("the store the feature builds on");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--ff-only", "main"]);
    write_filled(&repo, SLUG);
    let recovery = format!("specs/active/{SLUG}/recovery.md");
    repo.write(&recovery, &repo.read(&recovery).replace("**Current Phase**: prd", "**Current Phase**: implementation"));
    repo.commit_all("the feature, planned and implemented");
    let ledger = format!("specs/active/{SLUG}/tmp/gate.json");

    let first = hook("stop", &stop_input(&repo, false));
    assert_eq!(first.stdout, "", "the implementation gate passes: {}\n{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("gate: unit tests"), "the tests ran: {}", first.stderr);
    let recorded = repo.read(&ledger);
    assert!(recorded.contains("\"change\":"), "{recorded}");

    let second = hook("stop", &stop_input(&repo, false));
    assert_eq!(second.stdout, "");
    assert!(!second.stderr.contains("gate: unit tests"), "reused, not run again: {}", second.stderr);
    assert_eq!(repo.read(&ledger), recorded);

    // A change to the code since the last gate: the tests run again.
    repo.write("src/pkg/calc.py", &(pyenv::CALC.to_string() + "\n\ndef triple(a):\n    return add(a, double(a))\n"));
    let third = hook("stop", &stop_input(&repo, false));
    assert!(third.stderr.contains("gate: unit tests"), "{}", third.stderr);
    assert_eq!(third.stdout, "", "{}", third.stdout);
    let fourth = hook("stop", &stop_input(&repo, false));
    assert!(!fourth.stderr.contains("gate: unit tests"));
    // A document edited: the gate runs again too.
    let prd = format!("specs/active/{SLUG}/prd.md");
    repo.write(&prd, &(repo.read(&prd) + "\nOne more sentence about the rollout.\n"));
    let fifth = hook("stop", &stop_input(&repo, false));
    assert!(fifth.stderr.contains("gate: unit tests"), "{}", fifth.stderr);
    // An untracked link to a FIFO (git lists the link, never the FIFO) is
    // part of the change by its target: the hook used to open the FIFO
    // through it and wait for a writer forever.
    assert!(std::process::Command::new("mkfifo").arg(repo.path.join("pipe")).status().unwrap().success());
    std::os::unix::fs::symlink("pipe", repo.path.join("dump")).unwrap();
    let sixth = hook("stop", &stop_input(&repo, false));
    assert!(sixth.stderr.contains("gate: unit tests"), "{}", sixth.stderr);
    assert_eq!(sixth.stdout, "", "{}", sixth.stdout);
    let seventh = hook("stop", &stop_input(&repo, false));
    assert!(!seventh.stderr.contains("gate: unit tests"), "{}", seventh.stderr);
}

#[test]
fn agents_merges_the_hooks_into_an_existing_settings_file() {
    let repo = repo_with_source();
    let before = "{\n  \"permissions\": {\n    \"allow\": [\"Bash(make test)\"],\n    \"deny\": [\"Read(./.env)\"]\n  },\n  \"hooks\": {\n    \"PostToolUse\": [\n      {\n        \"matcher\": \"Write|Edit\",\n        \"hooks\": [{\"type\": \"command\", \"command\": \"make format\"}]\n      }\n    ]\n  },\n  \"env\": {\"PYTHONDONTWRITEBYTECODE\": \"1\"},\n  \"model\": \"opus\"\n}\n";
    repo.write(".claude/settings.json", before);

    let dry = repo.xtask(&["agents", "--dry-run"]);
    dry.assert_code(0);
    assert!(dry.stdout.starts_with("--- .claude/settings.json\n+++ .claude/settings.json\n@@ "), "{}", dry.stdout);
    assert!(dry.stdout.contains("+        \"matcher\": \"Edit|Write|MultiEdit|NotebookEdit\",\n"), "{}", dry.stdout);
    assert!(dry.stdout.ends_with("(dry run: .claude/settings.json not written)\n"));
    assert_eq!(repo.read(".claude/settings.json"), before, "a dry run writes nothing");

    let run = repo.xtask(&["agents"]);
    run.assert_code(0);
    assert!(run.stdout.contains("added the gate's hooks for Stop, SubagentStop, PreToolUse"), "{}", run.stdout);
    let after = repo.read(".claude/settings.json");
    let v: Value = serde_json::from_str(&after).unwrap();
    // serde_json sorts keys: read the order from the text itself.
    let at = |key: &str| after.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("{key} missing: {after}"));
    assert!(at("permissions") < at("hooks") && at("hooks") < at("env") && at("env") < at("model"), "{after}");
    assert!(at("PostToolUse") < at("Stop") && at("Stop") < at("SubagentStop") && at("SubagentStop") < at("PreToolUse"));
    assert_eq!(v["permissions"]["deny"][0], "Read(./.env)");
    assert_eq!(v["hooks"]["PostToolUse"][0]["hooks"][0]["command"], "make format");
    assert_eq!(v["hooks"]["Stop"][0]["hooks"][0]["type"], "command");
    assert_eq!(v["hooks"]["Stop"][0]["hooks"][0]["command"], "cd \"$CLAUDE_PROJECT_DIR\" && cargo xtask hook stop");
    assert_eq!(
        v["hooks"]["SubagentStop"][0]["hooks"][0]["command"],
        "cd \"$CLAUDE_PROJECT_DIR\" && cargo xtask hook subagent-stop"
    );
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "cd \"$CLAUDE_PROJECT_DIR\" && cargo xtask hook pre-tool-use"
    );

    // Idempotent: a second run changes nothing, byte for byte.
    let again = repo.xtask(&["agents"]);
    again.assert_code(0);
    assert!(again.stdout.contains("already installed; nothing to change"), "{}", again.stdout);
    assert_eq!(repo.read(".claude/settings.json"), after);
    let json = repo.xtask(&["agents", "--dry-run", "--json"]).json();
    assert_eq!((json["changed"].clone(), json["diff"].clone()), (json!(false), json!("")));

    // A file that is not JSON is refused, untouched, with where and what to do.
    repo.write(".claude/settings.json", "{\n  \"model\": \"opus\",\n}\n");
    let bad = repo.xtask(&["agents"]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains(".claude/settings.json: not valid JSON (trailing comma at line 3 column 1)"),
        "{}",
        bad.stderr
    );
    assert_eq!(repo.read(".claude/settings.json"), "{\n  \"model\": \"opus\",\n}\n");
}

#[test]
fn agents_creates_the_settings_file_when_there_is_none() {
    let repo = repo_with_source();
    repo.xtask(&["agents"]).assert_code(0);
    let v: Value = serde_json::from_str(&repo.read(".claude/settings.json")).unwrap();
    assert_eq!(v["hooks"].as_object().unwrap().len(), 3);
}

/// The kit's `.pre-commit-hooks.yaml`, and the documented `repo: local`
/// entry built from it, run by pre-commit itself on a real commit.
#[test]
fn pre_commit_refuses_a_commit_that_breaks_a_workspace() {
    let tools = pyenv::tools();
    let kit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = kit.join(".pre-commit-hooks.yaml");
    let pre_commit = tools.join("pre-commit");
    let home = TempRepo::new();
    let run = |repo: &TempRepo, args: &[&str]| {
        let out = Command::new(&pre_commit)
            .args(args)
            .current_dir(&repo.path)
            .env("PRE_COMMIT_HOME", home.path.join("cache"))
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let repo = repo_with_source();
    let (code, out) = run(&repo, &["validate-manifest", manifest.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");

    // The documented local entry, with `cargo xtask` standing for the built
    // binary (this temporary repository has no kit to run through cargo).
    let text = std::fs::read_to_string(&manifest).unwrap();
    let entry = text.lines().find_map(|l| l.trim().strip_prefix("entry: ")).unwrap();
    let args = entry.strip_prefix("cargo xtask ").expect("the hook runs the kit through cargo");
    repo.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: spec-gate\n        name: spec gate\n        entry: {} {args}\n        language: system\n        pass_filenames: false\n        always_run: true\n",
            env!("CARGO_BIN_EXE_xtask")
        ),
    );
    repo.write(".gitignore", "specs/active/*/tmp/\n");
    write_filled(&repo, SLUG);
    repo.git(&["add", "-A"]);
    let (code, out) = run(&repo, &["install"]);
    assert_eq!(code, 0, "{out}");
    let commit = |msg: &str| {
        let out = Command::new("git")
            .args(["commit", "-q", "-m", msg])
            .current_dir(&repo.path)
            .env("PRE_COMMIT_HOME", home.path.join("cache"))
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = commit("a planned feature");
    assert!(ok, "a passing workspace commits: {out}");

    // A vague acceptance criterion: the commit is refused, the finding shown.
    let prd = format!("specs/active/{SLUG}/prd.md");
    let text = repo.read(&prd);
    let criteria = text.find("Acceptance Criteria").unwrap();
    let item = criteria + text[criteria..].find("\n- ").unwrap() + 1;
    let end = item + text[item..].find('\n').unwrap();
    repo.write(&prd, &format!("{}- [ ] The loader works correctly{}", &text[..item], &text[end..]));
    repo.git(&["add", "-A"]);
    let (ok, out) = commit("a vague criterion");
    assert!(!ok, "the commit must be refused: {out}");
    assert!(out.contains("spec gate") && out.contains("Failed"), "{out}");
    assert!(out.contains("error[criteria]") && out.contains("\"The loader works correctly\""), "{out}");
    assert_eq!(repo.git(&["log", "--format=%s", "-1"]).trim(), "a planned feature");
}
