//! `git-clean`: during the prd phase no tracked file under the source roots is
//! changed (planning writes no code). Untracked and ignored files are allowed.
use crate::core::finding::Finding;

/// One entry of `git status --porcelain`: the two status letters, the path and,
/// for renames and copies, the original path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    pub index: char,
    pub worktree: char,
    pub path: String,
    pub orig: Option<String>,
}

impl StatusEntry {
    pub fn is_tracked_change(&self) -> bool {
        !matches!((self.index, self.worktree), ('?', '?') | ('!', '!'))
    }

    fn describe(&self) -> &'static str {
        let c = if self.worktree != ' ' { self.worktree } else { self.index };
        match (self.index, c) {
            ('U', _) | (_, 'U') => "unmerged",
            ('R', _) => "renamed",
            ('C', _) => "copied",
            ('A', _) => "added to the index",
            (_, 'D') => "deleted",
            (_, 'T') => "changed type",
            _ => "modified",
        }
    }
}

/// Findings for `entries` (already limited to the source roots).
pub fn check(entries: &[StatusEntry], roots: &[String]) -> Vec<Finding> {
    let changed: Vec<&StatusEntry> = entries.iter().filter(|e| e.is_tracked_change()).collect();
    let roots_text = roots.iter().map(|r| format!("{}/", r.trim_end_matches('/'))).collect::<Vec<_>>().join(", ");
    if changed.is_empty() {
        return vec![Finding::pass(
            "git-clean",
            "modified",
            format!("no tracked file under {roots_text} is changed during the prd phase"),
        )];
    }
    changed
        .into_iter()
        .map(|e| {
            let from = e.orig.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default();
            // `git stash push -- NEW OLD` refuses a staged rename (OLD is known
            // to git no more), and stashing NEW alone leaves OLD deleted: undo
            // the rename first, which keeps the content.
            let aside = match (&e.orig, e.index) {
                (Some(orig), 'R') => format!(
                    "undo the rename, keeping its content (`git mv {} {orig}`), then set what remains aside until \
                     the plan passes (`git stash push -- {orig}`, back with `git stash pop`)",
                    e.path
                ),
                _ => format!(
                    "set the change aside until the plan passes (`git stash push -- {}`, back with `git stash pop`)",
                    e.path
                ),
            };
            Finding::fail(
                "git-clean",
                "modified",
                format!(
                    "{}{from} is {} during the prd phase, which plans and writes no code; {aside}, or, when the \
                     plan is done, move the workspace to its next phase (`**Current Phase**: research` in its \
                     recovery.md)",
                    e.path,
                    e.describe(),
                ),
            )
            .at(&e.path, None)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::finding::Status;

    fn entry(index: char, worktree: char, path: &str) -> StatusEntry {
        StatusEntry { index, worktree, path: path.into(), orig: None }
    }

    #[test]
    fn untracked_is_fine_tracked_changes_are_not() {
        let roots = ["src".to_string()];
        let f = check(&[entry('?', '?', "src/new.py"), entry('!', '!', "src/x.pyc")], &roots);
        assert_eq!(f[0].status, Status::Pass);
        let f = check(&[entry(' ', 'M', "src/a.py"), entry('D', ' ', "src/b.py"), entry('?', '?', "src/c.py")], &roots);
        let got: Vec<(Status, Option<&str>)> = f.iter().map(|f| (f.status, f.file.as_deref())).collect();
        assert_eq!(got, [(Status::Fail, Some("src/a.py")), (Status::Fail, Some("src/b.py"))]);
        assert!(f[1].message.contains("deleted"));
        assert!(f[0].message.contains("(`git stash push -- src/a.py`, back with `git stash pop`)"), "{}", f[0].message);
        // A rename is undone first (stashing both paths fails on a staged rename).
        let renamed = StatusEntry { index: 'R', worktree: ' ', path: "src/b.py".into(), orig: Some("src/a.py".into()) };
        let f = check(&[renamed], &roots);
        assert!(f[0].message.starts_with("src/b.py (from src/a.py) is renamed"), "{}", f[0].message);
        assert!(f[0].message.contains("(`git mv src/b.py src/a.py`)"), "{}", f[0].message);
        assert!(f[0].message.contains("(`git stash push -- src/a.py`, back with `git stash pop`)"), "{}", f[0].message);
    }
}
