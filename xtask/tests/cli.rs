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

#[test]
fn a_closed_stdout_is_not_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    let repo = TempRepo::new();
    for i in 0..4 {
        repo.xtask(&["new-spec", &format!("workspace {i}")]).assert_code(0);
    }
    // `cargo xtask gate --json | head -c 1`: the reader goes away early, with
    // far more than a pipe's buffer (64 KiB) still to write.
    assert!(repo.xtask(&["gate", "--phase", "prd", "--json"]).stdout.len() > 256 * 1024);
    let mut child = common::xtask_command(&repo.path)
        .args(["gate", "--phase", "prd", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
