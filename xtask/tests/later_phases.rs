//! The later phases end to end: api-docs, guides, rules and
//! env-templates in real repositories with real tools; recover, status, the
//! gate ledger and GitHub annotations.
mod common;
mod pyenv;
mod spec_support;

use std::process::Stdio;

use common::{Run, TempRepo};
use serde_json::Value;

/// Failing findings of a `--json` gate run: (id, file, line, message).
fn fails(run: &Run) -> Vec<(String, String, Option<u64>, String)> {
    run.failing()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn line_of(text: &str, needle: &str) -> u64 {
    spec_support::line_of(text, needle) as u64
}

#[test]
fn api_docs_reports_new_public_definitions_only() {
    let repo = pyenv::project_repo();
    // `add`'s signature is rewritten (a reformat): an old definition, not new.
    let calc = format!(
        "{}\n\ndef triple(a, b=2):\n    return a * 3\n\n\ndef _private(a):\n    return a\n\n\ndef documented(a: int) -> int:\n    \"\"\"Quadruple.\n\n    Args:\n        a: the number.\n    \"\"\"\n    return a * 4\n",
        pyenv::CALC.trim_end().replace("def add(a, b):", "def add(\n    a,\n    b,\n):")
    );
    assert!(calc.contains("def add(\n"), "{calc}");
    repo.write("src/pkg/calc.py", &calc);
    let run = repo.xtask(&["gate", "--phase", "docs", "--json"]);
    run.assert_code(1);
    let api: Vec<_> = fails(&run).into_iter().filter(|f| f.0 == "api-docs").collect();
    let triple = line_of(&calc, "def triple");
    assert!(!api.is_empty(), "{}", run.stdout);
    assert!(api.iter().all(|f| f.1 == "src/pkg/calc.py" && f.2 == Some(triple)), "{api:#?}");
    assert!(api.iter().any(|f| f.3.contains("no docstring")), "{api:#?}");
    assert!(api.iter().any(|f| f.3.contains("a, b")), "{api:#?}");
    assert!(api.iter().any(|f| f.3.contains("return type")), "{api:#?}");
    // `add` and `double` are old and undocumented: never blamed.
    assert!(!run.stdout.contains("`add`") && !run.stdout.contains("`double`"));
}

#[test]
fn a_broken_guide_block_fails_the_docs_gate() {
    let repo = pyenv::project_repo();
    let guide = "# Guide\n\nExample:\n\n```python\ndef f():\n    pass\nreturn 1\n```\n";
    repo.write("specs/guides/usage.md", guide);
    let run = repo.xtask(&["gate", "--phase", "docs", "--json"]);
    run.assert_code(1);
    let guides: Vec<_> = fails(&run).into_iter().filter(|f| f.0 == "guides").collect();
    assert_eq!(guides.len(), 1, "{}", run.stdout);
    assert_eq!((guides[0].1.as_str(), guides[0].2), ("specs/guides/usage.md", Some(8)));
    // At the testing phase guides are not checked yet.
    let testing = repo.xtask(&["gate", "--phase", "testing", "--json"]);
    assert!(fails(&testing).iter().all(|f| f.0 != "guides"), "{}", testing.stdout);
}

#[test]
fn rules_and_env_templates_read_added_lines() {
    let repo = pyenv::project_repo();
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "Cargo.toml",
        "[workspace.metadata.xtask]\nenv-templates = [\"templates/conf/*.template\"]\n\n[[workspace.metadata.xtask.rules]]\nid = \"no-print\"\nregex = '\\bprint\\('\ninclude = [\"src/**/*.py\"]\nmessage = \"use logging, not print\"\n",
    );
    repo.write("templates/conf/app.env.template", "# Known settings\nexport KNOWN_SETTING=1\n");
    repo.write("src/pkg/old.py", "import os\n\nprint(\"old\")\nX = os.environ.get(\"OLD_UNDOCUMENTED\")\n");
    repo.write("tests/unit/test_old.py", "import pkg.old\n\n\ndef test_old():\n    assert pkg.old.X is None\n");
    repo.commit_all("settings, a template and an old module");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main"]);
    let text = format!(
        "import os\n\n{}\n\ndef banner(word):\n    print(word)\n    return os.environ.get(\"NEW_SETTING\", os.getenv(\"KNOWN_SETTING\"))\n",
        pyenv::TEXT.trim_end()
    );
    repo.write("src/pkg/text.py", &text);
    // Test code sets variables up; it is not configuration.
    repo.write(
        "tests/unit/test_env.py",
        "import os\n\n\ndef test_env():\n    assert os.environ.get(\"TEST_ONLY_SETTING\") is None\n",
    );
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    run.assert_code(1);
    let f = fails(&run);
    let rules: Vec<_> = f.iter().filter(|f| f.0 == "rules").collect();
    assert_eq!(rules.len(), 1, "{}", run.stdout);
    assert_eq!((rules[0].1.as_str(), rules[0].2), ("src/pkg/text.py", Some(line_of(&text, "print(word)"))));
    let env: Vec<_> = f.iter().filter(|f| f.0 == "env-templates").collect();
    assert_eq!(env.len(), 1, "{}", run.stdout);
    assert_eq!((env[0].1.as_str(), env[0].2), ("src/pkg/text.py", Some(line_of(&text, "NEW_SETTING"))));
    assert!(env[0].3.contains("NEW_SETTING") && env[0].3.contains("templates/conf/app.env.template"));
    // The qa gate passes once the line is gone and the variable documented.
    repo.write("src/pkg/text.py", &format!("{}\n", pyenv::TEXT.trim_end()));
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    assert!(fails(&run).iter().all(|f| f.0 != "rules" && f.0 != "env-templates"), "{}", run.stdout);
}

#[test]
fn recover_rewrites_generated_parts_and_keeps_every_written_line() {
    let repo = TempRepo::new();
    repo.xtask(&["new-spec", "Resume me"]).assert_code(0);
    let ws = "specs/active/resume-me";
    let recovery = format!("{ws}/recovery.md");
    let tasks = format!("{ws}/tasks.md");
    let mine = repo.read(&recovery).replace("[the feature in one sentence]", "A  resumable   feature ✓");
    repo.write(&recovery, &mine);
    let t = repo.read(&tasks);
    let first_open = t.lines().find(|l| l.starts_with("- [ ] **")).unwrap().to_string();
    repo.write(&tasks, &t.replacen(&first_open, &first_open.replacen("- [ ]", "- [x]", 1), 1));
    repo.write("src/pkg/new.py", "X = 1\n");
    let run = repo.xtask(&["recover", "resume-me"]);
    run.assert_code(0);
    assert!(run.stdout.contains("phase: prd"), "{}", run.stdout);
    assert!(run.stdout.contains("next task: "), "{}", run.stdout);
    let after = repo.read(&recovery);
    assert!(after.contains("- `src/pkg/new.py`\n"), "{after}");
    let stamp = after.lines().find_map(|l| l.strip_prefix("**Last Updated**: ")).unwrap();
    assert!(stamp.len() == 20 && stamp.ends_with('Z') && &stamp[10..11] == "T", "{stamp}");
    // Every line outside the generated regions is byte-identical.
    let outside = |text: &str| -> Vec<String> {
        let mut inside = false;
        let mut out = Vec::new();
        for l in text.split_inclusive('\n') {
            if l.contains("<!-- xtask:end ") {
                inside = false;
            }
            if !inside {
                out.push(l.to_string());
            }
            if l.contains("<!-- xtask:begin ") {
                inside = true;
            }
        }
        out
    };
    assert_eq!(outside(&after), outside(&mine));
    let t_after = repo.read(&tasks);
    assert!(t_after.contains("- Completed: "), "{t_after}");
    let closed = t_after.lines().filter(|l| l.starts_with("- [x] ")).count();
    assert!(t_after.contains(&format!("- Completed: {closed}\n")), "{t_after}");
    // A second run changes nothing it does not own.
    let again = repo.xtask(&["recover", "resume-me", "--json"]);
    again.assert_code(0);
    assert_eq!(again.json()["phase"], "prd");
    repo.xtask(&["recover", "no-such"]).assert_code(2);
}

#[test]
fn status_shows_every_rule_measured_against_required() {
    let repo = TempRepo::new();
    repo.xtask(&["new-spec", "Dash board"]).assert_code(0);
    let run = repo.xtask(&["status", "dash-board"]);
    run.assert_code(1);
    assert!(run.stdout.contains("rules at phase prd (measured / required):"), "{}", run.stdout);
    assert!(run.stdout.contains("last gate: never run"), "{}", run.stdout);
    let v = repo.xtask(&["status", "dash-board", "--json"]).json();
    let checks = v["checks"].as_array().unwrap();
    let words: Vec<&Value> = checks.iter().filter(|f| f["id"] == "words").collect();
    // One finding per word rule of the three prose templates, each measured.
    assert!(words.len() >= 3 + 6 + 5 + 4, "{}", words.len());
    assert!(words.iter().all(|f| f["measured"].is_number() && f["required"].is_number()), "{words:#?}");
    assert!(checks.iter().any(|f| f["id"] == "criteria" && f["required"] == 8));
    assert!(v["next"].as_str().unwrap().starts_with("fix ["));
}

/// A source file changed while the workspace plans: `status` shows the
/// repository check that failed at the last gate (it used to count it in the
/// gate's figure and show it nowhere), and it is the next step once the
/// documents pass.
#[test]
fn status_shows_the_repository_checks_the_last_gate_failed() {
    let repo = spec_support::repo_with_source();
    spec_support::write_filled(&repo, "demo");
    repo.commit_all("filled");
    repo.write("src/demo/store.py", &(spec_support::STORE_PY.to_string() + "\n\ndef later():\n    return 1\n"));
    let gate = repo.xtask(&["gate", "demo"]);
    gate.assert_code(1);
    assert!(gate.stdout.contains("error[git-clean]"), "{}", gate.stdout);
    let run = repo.xtask(&["status", "demo"]);
    assert!(run.stdout.contains("repository checks that failed at the last gate"), "{}", run.stdout);
    assert!(run.stdout.contains("src/demo/store.py is modified during the prd phase"), "{}", run.stdout);
    assert!(run.stdout.contains("git stash push -- src/demo/store.py"), "{}", run.stdout);
    let v = repo.xtask(&["status", "demo", "--json"]).json();
    assert_eq!(v["repository"][0]["id"], "git-clean", "{v:#}");
    let next = v["next"].as_str().unwrap();
    assert!(next.starts_with("fix [git-clean] src/demo/store.py: "), "{next}");
    assert!(next.ends_with("(as the last gate found; `cargo xtask gate demo` checks again)"), "{next}");
    // At another phase the finding may not apply (git-clean runs only while
    // planning): it is not shown.
    let recovery = "specs/active/demo/recovery.md";
    repo.write(recovery, &repo.read(recovery).replace("**Current Phase**: prd", "**Current Phase**: research"));
    let run = repo.xtask(&["status", "demo"]);
    assert!(!run.stdout.contains("repository checks that failed"), "{}", run.stdout);
    assert!(!run.stdout.contains("git-clean"), "{}", run.stdout);
}

#[test]
fn a_passing_gate_goes_stale_when_a_document_changes() {
    let repo = spec_support::repo_with_source();
    spec_support::write_filled(&repo, "demo");
    repo.commit_all("filled");
    repo.xtask(&["gate", "demo"]).assert_code(0);
    let listed = repo.xtask(&["list", "--json"]).json();
    assert_eq!(listed["workspaces"][0]["gate"]["ok"], true);
    assert_eq!(listed["workspaces"][0]["gate"]["stale"], false);
    // recover rewrites generated regions only: still not stale.
    repo.xtask(&["recover", "demo"]).assert_code(0);
    assert_eq!(repo.xtask(&["list", "--json"]).json()["workspaces"][0]["gate"]["stale"], false);
    let prd = "specs/active/demo/prd.md";
    repo.write(prd, &format!("{}\nOne more sentence.\n", repo.read(prd)));
    let listed = repo.xtask(&["list", "--json"]).json();
    assert_eq!(listed["workspaces"][0]["gate"]["stale"], true);
    assert_eq!(listed["workspaces"][0]["gate"]["changed"], serde_json::json!(["prd.md"]));
    let status = repo.xtask(&["status", "demo", "--json"]).json();
    assert_eq!(status["last_gate"]["stale"], true);
    assert!(repo.xtask(&["status", "demo"]).stdout.contains("stale: prd.md changed since"));
}

#[test]
fn github_actions_get_annotations() {
    let repo = TempRepo::new();
    repo.xtask(&["new-spec", "Annotated"]).assert_code(0);
    let out = common::xtask_command(&repo.path)
        .args(["gate", "annotated"])
        .env("GITHUB_ACTIONS", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("::error file=specs/active/annotated/prd.md,line="), "{stdout}");
    assert!(stdout.lines().filter(|l| l.starts_with("::error ")).count() > 5);
}

#[test]
fn the_bare_gate_checks_the_archived_examples_too() {
    let repo = pyenv::project_repo();
    let example = "# PRD: Example\n\n```python\n# VERIFIED: syntax checked\ndef f(:\n    pass\n```\n";
    repo.write("specs/archive/old-example/prd.md", example);
    let run = repo.xtask(&["gate", "--json"]);
    run.assert_code(1);
    let snippets: Vec<_> = fails(&run).into_iter().filter(|f| f.0 == "snippets").collect();
    assert_eq!(snippets.len(), 1, "{}", run.stdout);
    assert_eq!((snippets[0].1.as_str(), snippets[0].2), ("specs/archive/old-example/prd.md", Some(5)));
    // Gating a named phase is about the active work: archives are left alone.
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    assert!(fails(&run).iter().all(|f| f.0 != "snippets"), "{}", run.stdout);
}
