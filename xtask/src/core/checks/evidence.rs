//! `evidence` (implementation onward): a ticked task that names files shows
//! each of them in the change against the base (committed, staged, unstaged
//! or untracked; deleted counts too). A folder or a glob counts when anything
//! under it changed. Tasks naming no file, and tasks not ticked, are not
//! judged. The files a task names are read by `core::tasks`.
use crate::core::finding::{Finding, Status};
use crate::core::glob;
use crate::core::paths::is_under;
use crate::core::tasks::{TaskList, TaskState};

pub const ID: &str = "evidence";

/// The change the tasks are judged against.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Files added or modified since the base, root-relative.
    pub files: &'a [String],
    /// Files deleted since the base.
    pub deleted: &'a [String],
    /// What the change is measured against, for messages: `main`.
    pub since: &'a str,
    /// Named paths that exist nowhere in the working tree.
    pub absent: &'a [String],
}

/// Whether `name` (a file, a folder or a glob) is shown in the change. A
/// bare file name that is no path from the root (`_loader.py`) is how
/// authors name a module in prose: a changed file of that name shows it.
pub fn shown(name: &str, change: &Change) -> bool {
    let name = name.trim_end_matches('/');
    let is_glob = name.contains(['*', '?', '[']);
    let bare = is_bare(name, change);
    change.files.iter().chain(change.deleted).any(|f| {
        if is_glob {
            glob::matches(name, f) || glob::matches(&format!("{name}/**"), f)
        } else {
            f == name || is_under(f, name) || (bare && f.rsplit('/').next() == Some(name))
        }
    })
}

/// A name without a folder that is not a path from the root.
fn is_bare(name: &str, change: &Change) -> bool {
    !name.contains('/') && change.absent.iter().any(|a| a == name)
}

/// One finding per ticked task that names files, then a summary.
pub fn check(file: &str, tasks: &TaskList, change: &Change) -> Vec<Finding> {
    let mut out = Vec::new();
    let judged: Vec<_> = tasks.tasks.iter().filter(|t| t.state == TaskState::Done && !t.files.is_empty()).collect();
    let mut with_evidence = 0;
    for t in &judged {
        let missing: Vec<&String> = t.files.iter().filter(|n| !shown(n, change)).collect();
        let names = |list: &[&String]| list.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        let f = if missing.is_empty() {
            with_evidence += 1;
            let all: Vec<&String> = t.files.iter().collect();
            Finding::pass(ID, "task", format!("task {} changed {}", t.label(), names(&all)))
        } else {
            let reasons: Vec<String> = missing
                .iter()
                .map(|n| {
                    if is_bare(n, change) {
                        format!("no file named {n} changed since {}", change.since)
                    } else if change.absent.contains(n) {
                        format!("{n} does not exist")
                    } else if n.contains(['*', '?', '[']) {
                        format!("nothing matching {n} changed since {}", change.since)
                    } else {
                        format!("{n} is unchanged since {}", change.since)
                    }
                })
                .collect();
            Finding::fail(ID, "task", format!("task {} is ticked, but {}", t.label(), reasons.join("; ")))
                .with("unchanged", missing.iter().map(|n| n.as_str()).collect::<Vec<_>>())
        };
        out.push(f.at(file, Some(t.line)).with("files", t.files.clone()));
    }
    let total = judged.len();
    let status = if with_evidence == total { Status::Pass } else { Status::Skip };
    let message = format!("tasks with evidence {with_evidence}/{total} (ticked tasks that name files)");
    let mut summary = Finding::new(status, ID, "summary", message).at(file, None);
    if total > 0 {
        summary = summary.measure(with_evidence as f64, total as f64);
    }
    out.push(summary);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tasks::parse;

    const TASKS: &str = "- [x] **A1**: Loader in `src/pkg/loader.py`\n\
                         - [x] **A2**: Config\n  - Files: `src/pkg/config.py`, `templates/conf/`\n\
                         - [x] **A3**: Remove `src/pkg/legacy.py`\n\
                         - [x] **A4**: Tests\n  - File: `tests/unit/*.py`\n\
                         - [x] **A5**: Typo in `src/pkg/lodaer.py`\n\
                         - [ ] **A6**: Not yet `src/pkg/later.py`\n\
                         - [x] **A7**: Thought about it\n\
                         - [-] **A8**: n/a, `src/pkg/x.py` untouched\n\
                         - [x] **A9**: Read the current `_cache.py` structure\n\
                         - [x] **A10**: Split `_store.py`\n";

    #[test]
    fn ticked_tasks_show_their_files_in_the_change() {
        let files: Vec<String> =
            ["src/pkg/loader.py", "templates/conf/app.env.template", "tests/unit/test_new.py", "src/pkg/_cache.py"]
                .map(String::from)
                .to_vec();
        let deleted = vec!["src/pkg/legacy.py".to_string()];
        let absent = ["src/pkg/lodaer.py", "_cache.py", "_store.py"].map(String::from).to_vec();
        let change = Change { files: &files, deleted: &deleted, since: "main", absent: &absent };
        let f = check("specs/active/x/tasks.md", &parse(TASKS), &change);
        let got: Vec<(Status, Option<usize>, &str)> =
            f.iter().map(|f| (f.status, f.line, f.message.as_str())).collect();
        assert_eq!(
            got,
            [
                (Status::Pass, Some(1), "task A1 changed `src/pkg/loader.py`"),
                (Status::Fail, Some(2), "task A2 is ticked, but src/pkg/config.py is unchanged since main"),
                (Status::Pass, Some(4), "task A3 changed `src/pkg/legacy.py`"),
                (Status::Pass, Some(5), "task A4 changed `tests/unit/*.py`"),
                (Status::Fail, Some(7), "task A5 is ticked, but src/pkg/lodaer.py does not exist"),
                (Status::Pass, Some(11), "task A9 changed `_cache.py`"),
                (Status::Fail, Some(12), "task A10 is ticked, but no file named _store.py changed since main"),
                (Status::Skip, None, "tasks with evidence 4/7 (ticked tasks that name files)"),
            ]
        );
        assert_eq!(f[1].extra["unchanged"], serde_json::json!(["src/pkg/config.py"]));
        assert!(!shown("tests/integration/*.py", &change));
        assert!(shown("templates", &change) && !shown("templates/con", &change));
    }

    #[test]
    fn no_task_naming_files_is_a_full_score() {
        let change = Change { files: &[], deleted: &[], since: "main", absent: &[] };
        let f = check("t.md", &parse("- [x] **A1**: thought\n"), &change);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].status, f[0].measured, f[0].required), (Status::Pass, None, None));
    }
}
