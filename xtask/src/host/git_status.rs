//! `git status --porcelain -z` under some folders, parsed (for `git-clean`),
//! and what the working tree holds beyond HEAD (to tell what a command
//! changed).
use std::collections::BTreeMap;
use std::path::Path;

use crate::core::checks::git_clean::StatusEntry;
use crate::error::Result;
use crate::host::git;

/// Changes of tracked files under `roots` (untracked files are not listed).
/// None when `root` is not inside a git work tree.
pub fn tracked_changes(root: &Path, roots: &[String]) -> Result<Option<Vec<StatusEntry>>> {
    if !git::is_repo(root)? {
        return Ok(None);
    }
    let mut args: Vec<String> =
        ["status", "--porcelain", "-z", "--untracked-files=no", "--ignored=no", "--"].map(String::from).to_vec();
    // `:(top)` keeps pathspecs relative to the root whatever git's idea of the
    // current folder; `literal` keeps `*` and `?` in folder names plain.
    args.extend(roots.iter().map(|r| format!(":(top,literal){}", r.trim_end_matches('/'))));
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = git::run(root, &arg_refs)?;
    if !out.status.success() {
        return Err(crate::host::git::failed(root, "status", &out.stderr));
    }
    Ok(Some(parse_porcelain_z(&out.stdout)))
}

/// Each file of the working tree that differs from HEAD or is untracked
/// (ignored files left out), with a hash of its content (`deleted` when it
/// is gone). None outside a git work tree.
pub fn snapshot(root: &Path) -> Result<Option<BTreeMap<String, String>>> {
    if !git::is_repo(root)? {
        return Ok(None);
    }
    let out = git::run(root, &["status", "--porcelain", "-z", "--untracked-files=all", "--ignored=no"])?;
    if !out.status.success() {
        return Ok(None);
    }
    let files = parse_porcelain_z(&out.stdout).into_iter().map(|e| {
        let hash = crate::host::fs::content_hash(&root.join(&e.path)).unwrap_or_else(|| "deleted".into());
        (e.path, hash)
    });
    Ok(Some(files.collect()))
}

/// The files whose state differs between two snapshots, in path order.
pub fn changed_between(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths.into_iter().filter(|p| before.get(*p) != after.get(*p)).cloned().collect()
}

/// Parse `git status --porcelain -z` (v1): `XY PATH\0`, and for renames and
/// copies `XY NEW\0ORIG\0`. Paths are raw bytes; non-UTF-8 names are shown lossily.
pub fn parse_porcelain_z(bytes: &[u8]) -> Vec<StatusEntry> {
    let mut out = Vec::new();
    let mut fields = bytes.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(field) = fields.next() {
        if field.len() < 4 || field[2] != b' ' {
            continue;
        }
        let (index, worktree) = (field[0] as char, field[1] as char);
        let path = String::from_utf8_lossy(&field[3..]).into_owned();
        let orig = if matches!(index, 'R' | 'C') {
            fields.next().map(|o| String::from_utf8_lossy(o).into_owned())
        } else {
            None
        };
        out.push(StatusEntry { index, worktree, path, orig });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_renames_and_odd_names() {
        let raw = b" M src/a.py\0R  src/new name.py\0src/old.py\0?? src/u.py\0D  src/$(x);.py\0";
        let e = parse_porcelain_z(raw);
        let got: Vec<(char, char, &str, Option<&str>)> =
            e.iter().map(|e| (e.index, e.worktree, e.path.as_str(), e.orig.as_deref())).collect();
        assert_eq!(
            got,
            [
                (' ', 'M', "src/a.py", None),
                ('R', ' ', "src/new name.py", Some("src/old.py")),
                ('?', '?', "src/u.py", None),
                ('D', ' ', "src/$(x);.py", None),
            ]
        );
        assert!(parse_porcelain_z(b"").is_empty());
        assert!(parse_porcelain_z(b"garbage").is_empty());
    }
}
