//! git, run with argument vectors in the repository root.
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::error::{Error, Result};
use crate::host::process;

/// The git executable, or an error saying how to get it.
pub fn git_program() -> Result<PathBuf> {
    process::find_on_path("git")
        .ok_or_else(|| Error::usage("git not found on PATH; install git (e.g. `apt-get install git`)"))
}

/// Run git with `args` in `root` and return its output, whatever the exit status.
pub fn run(root: &Path, args: &[&str]) -> Result<Output> {
    process::capture(&git_program()?, args, root)
}

/// Run git and return stdout; a non-zero exit is an error naming the command.
pub fn stdout(root: &Path, args: &[&str]) -> Result<String> {
    stdout_bytes(root, args).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// [`stdout`] as bytes (a binary diff).
pub fn stdout_bytes(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = run(root, args)?;
    if !out.status.success() {
        return Err(failed(root, &args.join(" "), &out.stderr));
    }
    Ok(out.stdout)
}

/// The error of a git command that failed: what git said, and where to look.
pub fn failed(root: &Path, command: &str, stderr: &[u8]) -> Error {
    Error::usage(format!(
        "`git {command}` failed in {}: {}; run it there to see why, and fix the repository (or --base) it complains about",
        root.display(),
        process::tail(stderr, 3)
    ))
}

/// Whether `root` is inside a git work tree. A `.git` at or above `root` with
/// no git on PATH is an error saying so: "not a git repository" would send
/// the user to `git init` in a repository.
pub fn is_repo(root: &Path) -> Result<bool> {
    if process::find_on_path("git").is_none() {
        if root.ancestors().any(|d| d.join(".git").exists()) {
            git_program()?;
        }
        return Ok(false);
    }
    Ok(run(root, &["rev-parse", "--is-inside-work-tree"])?.status.success())
}

/// Whether git ignores the path `rel` (relative to `root`, which need not
/// exist). False outside a git work tree or when git cannot be run.
pub fn is_ignored(root: &Path, rel: &str) -> bool {
    run(root, &["check-ignore", "-q", "--", rel]).is_ok_and(|o| o.status.success())
}

/// The files git sees under `dir` (tracked, and untracked but not ignored),
/// as paths under `dir`; None when `dir` is not in a git work tree.
pub fn files_under(dir: &Path) -> Option<Vec<PathBuf>> {
    // Paths come relative to `dir` (git's default for a run inside it).
    let out = run(dir, &["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]).ok()?;
    if !out.status.success() {
        return None;
    }
    let mut files: Vec<PathBuf> = out
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| dir.join(String::from_utf8_lossy(p).as_ref()))
        .collect();
    // A file both staged and changed is listed once per state.
    files.sort();
    files.dedup();
    Some(files)
}

/// What `git cat-file --batch` found for one `REV:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A file's bytes.
    Blob(Vec<u8>),
    /// A folder, a submodule or anything but a file.
    NotAFile,
    /// No such revision, or no such path at it.
    Missing,
}

/// The objects named by `specs` (`REV:path` each), read by one `git cat-file
/// --batch` in `root`. The names go to git's standard input as data, never as
/// arguments, and the caller has checked them (see core::checks::snippets::is_revision).
pub fn cat_files(root: &Path, specs: &[String]) -> Result<Vec<Object>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new(git_program()?)
        .args(["cat-file", "--batch"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::usage(format!("cannot run git: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input: String = specs.iter().map(|s| format!("{}\n", s.replace(['\n', '\r'], ""))).collect();
    // Written from a thread: git answers while it reads, and a full pipe both
    // ways would block.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| Error::usage(format!("git cat-file failed: {e}")))?;
    let _ = writer.join();
    let mut objects = Vec::with_capacity(specs.len());
    let mut rest: &[u8] = &out.stdout;
    for _ in specs {
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            objects.push(Object::Missing);
            continue;
        };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        rest = &rest[nl + 1..];
        let parts: Vec<&str> = header.split(' ').collect();
        match parts.as_slice() {
            [_, kind, size] => {
                let size: usize = size.parse().unwrap_or(0).min(rest.len());
                let body = rest[..size].to_vec();
                rest = rest.get(size + 1..).unwrap_or(&[]);
                objects.push(if *kind == "blob" { Object::Blob(body) } else { Object::NotAFile });
            }
            _ => objects.push(Object::Missing),
        }
    }
    Ok(objects)
}

/// The commit HEAD points at, None before the first commit.
pub fn head_commit(root: &Path) -> Option<String> {
    let out = run(root, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).ok()?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}
