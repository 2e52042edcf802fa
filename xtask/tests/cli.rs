//! The command line itself: help, a bare invocation, usage errors.
mod common;

use common::TempRepo;

#[test]
fn bare_invocation_lists_the_commands() {
    let repo = TempRepo::new();
    let run = repo.xtask(&[]);
    run.assert_code(0);
    for cmd in [
        "new-spec", "list", "status", "gate", "snippets", "setup", "doctor", "test", "coverage", "fmt", "recover",
        "archive", "bench",
    ] {
        assert!(run.stdout.contains(cmd), "{cmd} missing from:\n{}", run.stdout);
    }
}

#[test]
fn unknown_command_is_a_usage_error() {
    let repo = TempRepo::new();
    repo.xtask(&["frobnicate"]).assert_code(2);
}

#[test]
fn missing_root_is_a_one_line_usage_error() {
    let repo = TempRepo::new();
    let run = repo.xtask(&["list", "--root", "/definitely/not/here"]);
    run.assert_code(2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("/definitely/not/here"));
}
