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
    let out = run(root, args)?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            root.display(),
            process::tail(&out.stderr, 3)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `root` is inside a git work tree.
pub fn is_repo(root: &Path) -> bool {
    run(root, &["rev-parse", "--is-inside-work-tree"]).is_ok_and(|o| o.status.success())
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
