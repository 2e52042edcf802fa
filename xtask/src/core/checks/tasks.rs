//! `tasks` (research onward): tasks.md holds task items; at qa every item is
//! done (`- [x]`) or marked not applicable (`- [-] reason`), and a not-applicable
//! item says why.
use crate::core::checks::WorkspaceInput;
use crate::core::finding::Finding;
use crate::core::tasks::{TaskList, TaskState};

pub const ID: &str = "tasks";

/// The text of an item after its `**ID**:` opener.
fn reason<'a>(text: &'a str, id: Option<&str>) -> &'a str {
    let mut rest = text.trim();
    if let Some(id) = id {
        rest = rest.strip_prefix(&format!("**{id}**")).unwrap_or(rest);
        rest = rest.trim_start().trim_start_matches(':');
    }
    rest.trim()
}

/// From research on: tasks.md has task items, and each not-applicable one
/// says why.
pub fn check_items(ws: &WorkspaceInput) -> Vec<Finding> {
    ws.tasks.as_ref().map_or_else(Vec::new, |(file, list)| items(file, list))
}

/// At qa: every task is done or not applicable.
pub fn check_closed(ws: &WorkspaceInput) -> Vec<Finding> {
    ws.tasks.as_ref().map_or_else(Vec::new, |(file, list)| closed(file, list))
}

/// The `items` and `not-applicable` findings of the task list of `file`.
pub fn items(file: &str, tasks: &TaskList) -> Vec<Finding> {
    let mut out = Vec::new();
    let c = tasks.counts();
    if c.total == 0 {
        out.push(
            Finding::fail(ID, "items", "tasks.md has no task items (`- [ ] **ID**: ...`); break the plan into tasks")
                .at(file, None)
                .measure(0.0, 1.0),
        );
        return out;
    }
    out.push(Finding::pass(ID, "items", format!("{} task items", c.total)).at(file, None).measure(c.total as f64, 1.0));
    for t in tasks.tasks.iter().filter(|t| t.state == TaskState::NotApplicable) {
        if reason(&t.text, t.id.as_deref()).is_empty() {
            out.push(
                Finding::fail(
                    ID,
                    "not-applicable",
                    format!("task {} is marked not applicable without a reason", t.label()),
                )
                .at(file, Some(t.line)),
            );
        }
    }
    out
}

/// The `open` findings: every task closed (none when there is no task: that
/// is already an `items` failure).
pub fn closed(file: &str, tasks: &TaskList) -> Vec<Finding> {
    let mut out = Vec::new();
    let c = tasks.counts();
    if c.total == 0 {
        return out;
    }
    {
        let open: Vec<_> = tasks.tasks.iter().filter(|t| !t.is_closed()).collect();
        for t in &open {
            let why = match &t.blocker {
                Some(b) => format!(" (blocked: {b})"),
                None => String::new(),
            };
            out.push(
                Finding::fail(
                    ID,
                    "open",
                    format!("task {} is still open{why}; check it or mark it `- [-] reason`", t.label()),
                )
                .at(file, Some(t.line)),
            );
        }
        if open.is_empty() {
            out.push(
                Finding::pass(ID, "open", format!("all {} tasks done or not applicable", c.total))
                    .at(file, None)
                    .measure(c.closed() as f64, c.total as f64),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tasks::parse;

    #[test]
    fn research_needs_items() {
        let f = items("t.md", &parse("# Tasks\n"));
        assert!(f[0].is_fail() && f[0].rule == "items");
        assert!(closed("t.md", &parse("# Tasks\n")).is_empty());
        let ok = items("t.md", &parse("- [ ] **R1**: read\n"));
        assert!(ok.iter().all(|f| !f.is_fail()));
    }

    #[test]
    fn qa_needs_every_item_closed() {
        let text = "- [x] **A1**: done\n- [-] **A2**: not needed, no adapter change\n- [ ] **A3**: open\n  - Blocker: waiting on creds\n- [-] **A4**:\n";
        let list = parse(text);
        let f: Vec<Finding> = items("t.md", &list).into_iter().chain(closed("t.md", &list)).collect();
        let fails: Vec<_> = f.iter().filter(|f| f.is_fail()).map(|f| (f.rule.as_str(), f.line)).collect();
        assert_eq!(fails, [("not-applicable", Some(5)), ("open", Some(3))], "{f:#?}");
        assert!(f.iter().any(|f| f.message.contains("blocked: waiting on creds")));
    }
}
