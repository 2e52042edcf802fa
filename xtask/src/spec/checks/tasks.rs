//! `tasks` (research onward): tasks.md holds task items; at qa every item is
//! done (`- [x]`) or marked not applicable (`- [-] reason`), and a not-applicable
//! item says why.
use crate::spec::finding::Finding;
use crate::spec::phase::Phase;
use crate::spec::tasks::{TaskList, TaskState};

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

/// Findings for the task list of `file` (tasks.md) at `phase`.
pub fn check(file: &str, tasks: &TaskList, phase: Phase) -> Vec<Finding> {
    let mut out = Vec::new();
    let c = tasks.counts();
    if phase < Phase::Research {
        return out;
    }
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
    if phase >= Phase::Qa {
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
    use crate::spec::tasks::parse;

    #[test]
    fn prd_phase_asks_nothing() {
        assert!(check("t.md", &parse("no tasks"), Phase::Prd).is_empty());
    }

    #[test]
    fn research_needs_items() {
        let f = check("t.md", &parse("# Tasks\n"), Phase::Research);
        assert!(f[0].is_fail() && f[0].rule == "items");
        let ok = check("t.md", &parse("- [ ] **R1**: read\n"), Phase::Implementation);
        assert!(ok.iter().all(|f| !f.is_fail()));
    }

    #[test]
    fn qa_needs_every_item_closed() {
        let text = "- [x] **A1**: done\n- [-] **A2**: not needed, no adapter change\n- [ ] **A3**: open\n  - Blocker: waiting on creds\n- [-] **A4**:\n";
        let f = check("t.md", &parse(text), Phase::Qa);
        let fails: Vec<_> = f.iter().filter(|f| f.is_fail()).map(|f| (f.rule.as_str(), f.line)).collect();
        assert_eq!(fails, [("not-applicable", Some(5)), ("open", Some(3))], "{f:#?}");
        assert!(f.iter().any(|f| f.message.contains("blocked: waiting on creds")));
    }
}
