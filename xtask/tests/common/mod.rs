//! Shared harness for end-to-end tests: a real temporary git repository and the
//! built `xtask` binary run inside it. Each test file does `mod common;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary git repository, removed on drop.
pub struct TempRepo {
    pub path: PathBuf,
}

impl TempRepo {
    /// An empty git repository with one commit-ready identity, on branch `main`.
    pub fn new() -> TempRepo {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repos");
        std::fs::create_dir_all(&base).unwrap();
        let path = base.join(format!("r{}-{}-{}", std::process::id(), n, nanos()));
        std::fs::create_dir_all(&path).unwrap();
        let repo = TempRepo { path: path.canonicalize().unwrap() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// Write `text` to `rel` (creating folders).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path.join(rel).exists()
    }

    /// Run git; panics when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git").args(args).current_dir(&self.path).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git add -A && git commit -m msg`.
    pub fn commit_all(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
    }

    /// Run `xtask ARGS` with the repository as the current folder.
    pub fn xtask(&self, args: &[&str]) -> Run {
        xtask_in(&self.path, args)
    }
}

impl Drop for TempRepo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn nanos() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

/// The outcome of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON (for `--json` runs).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// The failing findings of a `--json` gate run, repository and workspaces.
    pub fn failing(&self) -> Vec<serde_json::Value> {
        let v = self.json();
        let mut all: Vec<serde_json::Value> = v["checks"].as_array().cloned().unwrap_or_default();
        for ws in v["workspaces"].as_array().into_iter().flatten() {
            all.extend(ws["checks"].as_array().cloned().unwrap_or_default());
        }
        all.retain(|f| f["status"] == "fail");
        all
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr);
        self
    }
}

/// `program` (a build of the kit) as a command in `dir`, in the environment
/// every test gives it: colour off; no GitHub annotations, step summary or
/// Claude Code project (a CI runner's or an agent's own variables must not
/// reach the tool, nor its output their summary); uv using the interpreters
/// installed here, never one it downloads.
pub fn kit_command(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("CLAUDE_PROJECT_DIR")
        .env("UV_PYTHON_DOWNLOADS", "never");
    cmd
}

/// The built binary as a command in `dir` ([`kit_command`]).
pub fn xtask_command(dir: &Path) -> Command {
    kit_command(env!("CARGO_BIN_EXE_xtask"), dir)
}

/// Run the built binary in `dir` like [`xtask_in`], with `stdin` as its
/// standard input and `env` added to its environment.
pub fn xtask_with(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    use std::io::Write;
    let mut child = xtask_command(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run the built binary in `dir` with colour off, no GitHub annotations and
/// no step summary (a CI runner's own variables must not reach the tool).
pub fn xtask_in(dir: &Path, args: &[&str]) -> Run {
    let out: Output = xtask_command(dir).args(args).stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
