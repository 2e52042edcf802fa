//! What changed: the base to compare against, the modified files and their
//! added lines. Shared by every check about "modified" code (format,
//! coverage, api-docs, rules, env-templates).
//!
//! "Modified" = changed between the base and the working tree: committed on
//! the branch since the merge base, staged, unstaged, plus untracked files
//! (git's ignore rules apply). This is the union of `git diff --name-only
//! --diff-filter=d BASE...HEAD`, `--cached`, the unstaged diff and
//! `git ls-files --others --exclude-standard`, computed with one diff of the
//! merge base against the working tree, so line numbers are those of the
//! files on disk (what coverage and black see). Deleted files are left out.
//!
//! ```no_run
//! # fn demo(root: &std::path::Path) -> xtask::error::Result<()> {
//! use xtask::host::changes::Changes;
//! let changes = Changes::collect(root, None)?; // default base
//! println!("{}", changes.describe_base());
//! let py: Vec<&String> = changes.files.iter().filter(|f| f.ends_with(".py")).collect();
//! let added = changes.added_lines(root, &changes.files)?; // path -> added line numbers
//! # let _ = (py, added); Ok(()) }
//! ```
use std::collections::BTreeSet;
use std::path::Path;

use crate::core::diff::{self, AddedLines};
use crate::core::paths::is_under;
use crate::error::{Error, Result};
use crate::host::fs::{content_hash, read_bytes, MAX_TEXT_BYTES};
use crate::host::git;

/// What the changes are measured against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// As given with `--base`, or the default branch found (`origin/HEAD`, `main`, `master`).
    pub name: String,
    /// The merge base of `name` and HEAD (a full commit id).
    pub commit: String,
    /// Whether the user chose it (`--base`).
    pub explicit: bool,
}

/// The modified files of the working tree against a base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// None: no base branch (or no commit yet): only uncommitted changes count.
    pub base: Option<Base>,
    /// Root-relative paths with `/`, sorted, existing on disk.
    pub files: Vec<String>,
    /// The subset of `files` git does not track yet (all their lines are added).
    pub untracked: BTreeSet<String>,
    /// What git compares the working tree with: the base's merge base, else
    /// HEAD, else the empty tree (no commit yet).
    against: String,
}

/// Folders never reported as changes, even when the host forgot to ignore them.
const NEVER: [&str; 2] = [".venv", "__pycache__"];

impl Changes {
    /// Changes against `--base REV` when given, else against the default base.
    pub fn collect(root: &Path, explicit: Option<&str>) -> Result<Changes> {
        let base = resolve_base(root, explicit)?;
        let against = match &base {
            Some(b) => b.commit.clone(),
            None => head_or_empty_tree(root)?,
        };
        let mut files: BTreeSet<String> = BTreeSet::new();
        files.extend(names(root, &against, "d")?);
        let untracked = git::stdout(root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        let untracked: BTreeSet<String> = diff::split_nul(&untracked).into_iter().filter(|p| !is_never(p)).collect();
        files.extend(untracked.iter().cloned());
        // A path git lists that is gone or not a file (a type change to a
        // symlinked folder, a file deleted after staging) is not a change to check.
        let files: Vec<String> = files.into_iter().filter(|p| !is_never(p) && root.join(p).is_file()).collect();
        Ok(Changes { base, files, untracked, against })
    }

    /// One line saying what the changes are measured against, for reports.
    pub fn describe_base(&self) -> String {
        match &self.base {
            Some(b) => format!("changes against {} (merge base {})", b.name, &b.commit[..b.commit.len().min(10)]),
            None => "no base branch (no origin/HEAD, main, master, origin/main or origin/master): only uncommitted changes count".to_string(),
        }
    }

    /// What the change is measured against, in a few words: `main`, or
    /// `the last commit` without a base branch.
    pub fn since(&self) -> String {
        match &self.base {
            Some(b) => b.name.clone(),
            None => "the last commit".to_string(),
        }
    }

    /// Files deleted between the base and the working tree (one `git diff`).
    pub fn deleted(&self, root: &Path) -> Result<Vec<String>> {
        names(root, &self.against, "D")
    }

    /// Modified files under any of `folders` (root-relative; "" or "." is the root).
    pub fn under(&self, folders: &[String]) -> Vec<String> {
        self.files.iter().filter(|f| folders.iter().any(|d| is_under(f, d))).cloned().collect()
    }

    /// Added lines of `paths` (1-based, numbered as in the working tree).
    /// Untracked files count every line as added.
    pub fn added_lines(&self, root: &Path, paths: &[String]) -> Result<AddedLines> {
        let mut out = AddedLines::new();
        let tracked: Vec<&str> = paths.iter().filter(|p| !self.untracked.contains(*p)).map(String::as_str).collect();
        if !tracked.is_empty() {
            let pathspecs: Vec<String> = tracked.iter().map(|p| format!(":(literal){p}")).collect();
            let mut args = vec![
                "-c",
                "core.quotepath=false",
                "diff",
                "-U0",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "-M",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                &self.against,
                "--",
            ];
            // `:(literal)`: a file named `*.py` or `:x` means itself.
            args.extend(pathspecs.iter().map(String::as_str));
            let patch = git::stdout(root, &args)?;
            out.extend(diff::added_lines(&patch).into_iter().filter(|(p, _)| tracked.contains(&p.as_str())));
        }
        for path in paths.iter().filter(|p| self.untracked.contains(*p)) {
            let text = read_bytes(&root.join(path), MAX_TEXT_BYTES).map(|b| String::from_utf8_lossy(&b).into_owned());
            out.insert(path.clone(), diff::all_lines(&text.unwrap_or_default()));
        }
        Ok(out)
    }
}

impl Changes {
    /// The fingerprint of this change (`core::ledger::change_fingerprint`):
    /// one full `git diff` of the working tree against the base (HEAD when
    /// there is none), and the content of each untracked file.
    pub fn fingerprint(&self, root: &Path) -> Result<String> {
        let args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--binary", &self.against, "--"];
        let diff = git::stdout_bytes(root, &args)?;
        let untracked: Vec<(String, String)> = self
            .untracked
            .iter()
            .map(|p| (p.clone(), content_hash(&root.join(p)).unwrap_or_else(|| "deleted".into())))
            .collect();
        Ok(crate::core::ledger::change_fingerprint(self.base.as_ref().map(|b| b.commit.as_str()), &diff, &untracked))
    }
}

/// The paths `git diff --name-only --diff-filter=FILTER` lists between
/// `against` and the working tree.
fn names(root: &Path, against: &str, filter: &str) -> Result<Vec<String>> {
    let filter = format!("--diff-filter={filter}");
    let args = ["-c", "core.quotepath=false", "diff", "--name-only", "-z", &filter, "--no-ext-diff", against, "--"];
    Ok(diff::split_nul(&git::stdout(root, &args)?))
}

fn is_never(path: &str) -> bool {
    path.split('/').any(|part| NEVER.contains(&part))
}

/// `--base REV` -> its merge base with HEAD; no `--base` -> of `origin/HEAD`,
/// `main`, `master`, `origin/main` and `origin/master`, the one whose merge
/// base with HEAD is the most recent (the branch checked out only when no
/// other exists); None when none exists or HEAD has no commit yet.
pub fn resolve_base(root: &Path, explicit: Option<&str>) -> Result<Option<Base>> {
    if !git::is_repo(root)? {
        return Err(Error::usage(format!(
            "{}: not a git repository; changes are measured against git history (run `git init`)",
            root.display()
        )));
    }
    let head = git::run(root, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])?;
    let has_head = head.status.success();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    if let Some(rev) = explicit {
        let verified = git::run(root, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
        if !verified.status.success() {
            return Err(Error::usage(format!(
                "--base {rev}: no such commit or branch in {}; pass an existing branch, tag or commit",
                root.display()
            )));
        }
        if !has_head {
            return Err(Error::usage(format!("--base {rev}: the repository has no commit on HEAD yet; commit first")));
        }
        let commit = merge_base(root, rev)?.ok_or_else(|| {
            Error::usage(format!("--base {rev}: no common history with HEAD; pass a base this branch grew from"))
        })?;
        return Ok(Some(Base { name: rev.to_string(), commit, explicit: true }));
    }
    if !has_head {
        return Ok(None);
    }
    // origin/main and origin/master last: a CI checkout of a pull request often
    // has neither origin/HEAD nor a local main. Of those that exist, the one
    // this branch left most recently: a local main ahead of origin (the kit's
    // adoption committed, not pushed yet) is where a feature branch started,
    // and its commits are not the feature's. The branch checked out is never
    // its own base (on main itself, the base stays origin's).
    let current = git::run(root, &["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    let current = String::from_utf8_lossy(&current.stdout).trim().to_string();
    let mut best: Option<Base> = None;
    let mut itself: Option<Base> = None;
    for candidate in ["origin/HEAD", "main", "master", "origin/main", "origin/master"] {
        let exists = git::run(root, &["rev-parse", "--verify", "--quiet", &format!("{candidate}^{{commit}}")])?;
        if !exists.status.success() {
            continue;
        }
        let Some(commit) = merge_base(root, candidate)? else { continue };
        // A candidate that already holds HEAD (the branch itself, or a main
        // the branch was merged into) would leave no change: only a fallback.
        if candidate == current || commit == head {
            if itself.is_none() {
                itself = Some(Base { name: candidate.to_string(), commit, explicit: false });
            }
            continue;
        }
        let newer = match &best {
            None => true,
            Some(b) => {
                b.commit != commit
                    && git::run(root, &["merge-base", "--is-ancestor", &b.commit, &commit])?.status.success()
            }
        };
        if newer {
            best = Some(Base { name: candidate.to_string(), commit, explicit: false });
        }
    }
    Ok(best.or(itself))
}

fn merge_base(root: &Path, rev: &str) -> Result<Option<String>> {
    let out = git::run(root, &["merge-base", rev, "HEAD"])?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok((out.status.success() && !commit.is_empty()).then_some(commit))
}

/// HEAD, or git's empty tree when there is no commit yet.
fn head_or_empty_tree(root: &Path) -> Result<String> {
    if git::run(root, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])?.status.success() {
        return Ok("HEAD".to_string());
    }
    // The empty tree's id depends on the repository's hash function.
    let out = git::stdout(root, &["hash-object", "-t", "tree", "/dev/null"])?;
    Ok(out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders() {
        assert!(is_never(".venv/lib/x.py") && is_never("a/__pycache__/b.pyc") && !is_never("src/venv.py"));
    }
}
