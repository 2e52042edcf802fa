//! `recover`: the generated parts of recovery.md and tasks.md, computed from
//! facts (clock, git, the last gate, the task list), never typed by hand.
use crate::core::finding::{Finding, Status};
use crate::core::ledger::Entry;
use crate::core::markers;
use crate::core::tasks::TaskList;

/// Facts `recover` writes down.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// UTC time, `YYYY-MM-DDTHH:MM:SSZ`.
    pub now: String,
    /// Files changed against the base, relative to the root; None without git.
    pub files_modified: Option<Vec<String>>,
    /// What the files were compared against (e.g. `main (merge base 1a2b3c4)`).
    pub base: String,
    pub last_gate: Option<Entry>,
    /// Documents changed since the last gate.
    pub stale: Vec<String>,
}

/// recovery.md with its `last-updated`, `files-modified` and `test-status`
/// regions rewritten.
pub fn recovery_text(text: &str, facts: &Facts) -> String {
    let text = markers::replace(text, "last-updated", &format!("**Last Updated**: {}\n", facts.now));
    let files = match &facts.files_modified {
        None => "- unknown: not a git repository\n".to_string(),
        Some(files) if files.is_empty() => format!("- none yet (compared with {})\n", facts.base),
        Some(files) => {
            let mut body = format!("Compared with {}:\n", facts.base);
            for f in files {
                body.push_str(&format!("- `{f}`\n"));
            }
            body
        }
    };
    let text = markers::replace(&text, "files-modified", &files);
    markers::replace(&text, "test-status", &test_status(facts))
}

/// tasks.md with its `progress` region rewritten.
pub fn tasks_text(text: &str, tasks: &TaskList) -> String {
    markers::replace(text, "progress", &tasks.progress_block())
}

fn test_status(facts: &Facts) -> String {
    let Some(gate) = &facts.last_gate else {
        return "- No gate run yet: run `cargo xtask gate` to measure tests and coverage\n".into();
    };
    let mut out =
        format!("Last gate: {} at phase {}: {}", gate.time, gate.phase, if gate.ok { "passed" } else { "failed" });
    if !facts.stale.is_empty() {
        out.push_str(&format!(" (stale: {} changed since)", facts.stale.join(", ")));
    }
    out.push('\n');
    let of = |id: &str| gate.findings.iter().filter(move |f| f.id == id).collect::<Vec<&Finding>>();
    let tests = of("tests");
    out.push_str(&match tests.iter().find(|f| f.status == Status::Fail).or(tests.first()) {
        None => "- Unit tests: not run by that gate\n".to_string(),
        Some(f) => format!("- Unit tests: {} ({})\n", if f.is_fail() { "failing" } else { "passing" }, f.message),
    });
    let coverage = of("coverage");
    if coverage.is_empty() {
        out.push_str("- Coverage of modified modules: not measured by that gate\n");
    } else {
        for f in coverage {
            let place = f.file.as_deref().unwrap_or("overall");
            let figure = match (f.measured, f.required) {
                (Some(m), Some(r)) => format!("{m:.1}% (needs {r:.1}%)"),
                _ => f.message.clone(),
            };
            out.push_str(&format!("- Coverage {place}: {figure}{}\n", if f.is_fail() { " FAILING" } else { "" }));
        }
    }
    for f in gate.findings.iter().filter(|f| f.rule == "summary" && (f.id == "proven" || f.id == "evidence")) {
        let what = if f.id == "proven" { "Criteria proven by tests" } else { "Ticked tasks shown in the change" };
        let figure = match (f.measured, f.required) {
            (Some(m), Some(r)) => format!("{m:.0}/{r:.0}"),
            _ => f.message.clone(),
        };
        out.push_str(&format!("- {what}: {figure}\n"));
    }
    let failing = gate.findings.iter().filter(|f| f.is_fail()).count();
    out.push_str(&format!("- Failing checks: {failing}\n"));
    out
}

/// Where to resume, for people and agents: phase, next task, failing checks.
pub fn summary(slug: &str, phase: &str, tasks: &TaskList, facts: &Facts) -> Vec<String> {
    let c = tasks.counts();
    let mut lines = vec![
        format!("workspace: {slug}"),
        format!("phase: {phase}"),
        format!("tasks: {}/{} closed, {} open, {} blocked", c.closed(), c.total, c.open, c.blocked),
    ];
    match tasks.current_focus() {
        Some(t) => lines.push(format!("next task: {} (tasks.md:{}): {}", t.label(), t.line, t.text)),
        None if c.open > 0 => lines.push("next task: every open task is blocked; resolve a blocker first".into()),
        None => lines.push("next task: none left; run `cargo xtask gate` at phase qa, then archive".into()),
    }
    for t in tasks.blocked() {
        lines.push(format!("blocked: {} (tasks.md:{}): {}", t.label(), t.line, t.blocker.as_deref().unwrap_or("")));
    }
    // The criteria the last gate did not find proven: what the work is for.
    let unproven = |f: &&Finding| f.id == "proven" && f.rule != "summary" && f.status != Status::Pass;
    if let Some(g) = &facts.last_gate {
        for f in g.findings.iter().filter(unproven) {
            let at = f.line.map(|l| format!(" (prd.md:{l})")).unwrap_or_default();
            let label = f.extra.get("criterion").and_then(|v| v.as_str()).unwrap_or("criterion");
            lines.push(format!("not proven: {label}{at}: {}", f.message));
        }
    }
    match &facts.last_gate {
        None => lines.push("last gate: never run; run `cargo xtask gate ".to_string() + slug + "`"),
        Some(g) => {
            let stale = if facts.stale.is_empty() { String::new() } else { " (stale)".into() };
            lines.push(format!(
                "last gate: {} at phase {}: {}{stale}",
                g.time,
                g.phase,
                if g.ok { "passed" } else { "failed" }
            ));
            for f in g.findings.iter().filter(|f| f.is_fail() && !unproven(f)) {
                let at = match (&f.file, f.line) {
                    (Some(file), Some(line)) => format!("{file}:{line}: "),
                    (Some(file), None) => format!("{file}: "),
                    _ => String::new(),
                };
                lines.push(format!("failing: [{}] {at}{}", f.id, f.message));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tasks::parse;

    const RECOVERY: &str = "# R\n<!-- xtask:begin last-updated -->\n**Last Updated**: 2026-01-01\n<!-- xtask:end last-updated -->\n**Current Phase**: testing\n\nMy own notes  stay.\n\n<!-- xtask:begin files-modified -->\n- none yet\n<!-- xtask:end files-modified -->\n<!-- xtask:begin test-status -->\nold\n<!-- xtask:end test-status -->\ntail\n";

    fn gate() -> Entry {
        Entry {
            time: "2026-11-23T10:00:00Z".into(),
            phase: "testing".into(),
            ok: false,
            findings: vec![
                Finding::pass("tests", "pytest", "12 passed"),
                Finding::fail("coverage", "module", "low").at("src/pkg/a.py", None).measure(71.25, 90.0),
            ],
            hashes: vec![],
            change: None,
        }
    }

    #[test]
    fn rewrites_only_generated_regions() {
        let facts = Facts {
            now: "2026-11-23T12:00:00Z".into(),
            files_modified: Some(vec!["src/pkg/a.py".into()]),
            base: "main".into(),
            last_gate: Some(gate()),
            stale: vec![],
        };
        let out = recovery_text(RECOVERY, &facts);
        assert!(out.contains("**Last Updated**: 2026-11-23T12:00:00Z\n"));
        assert!(out.contains("- `src/pkg/a.py`\n"));
        assert!(out.contains("- Unit tests: passing (12 passed)\n"));
        assert!(out.contains("- Coverage src/pkg/a.py: 71.2% (needs 90.0%) FAILING\n"), "{out}");
        // Every line outside the regions is byte-identical.
        let outside = |t: &str| {
            t.lines()
                .filter(|l| l.contains("My own") || *l == "tail" || l.starts_with("**Current"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(outside(&out), outside(RECOVERY));
        assert_eq!(recovery_text(&out, &facts), out);
    }

    #[test]
    fn resume_summary() {
        let tasks = parse("- [x] **A1**: a\n- [ ] **A2**: b\n  - Blocker: creds\n- [ ] **A3**: c\n");
        let facts = Facts { last_gate: Some(gate()), ..Facts::default() };
        let lines = summary("x", "testing", &tasks, &facts);
        assert!(lines.contains(&"next task: A3 (tasks.md:4): **A3**: c".to_string()), "{lines:#?}");
        assert!(lines.iter().any(|l| l.starts_with("blocked: A2 (tasks.md:2)")));
        assert!(lines.iter().any(|l| l == "failing: [coverage] src/pkg/a.py: low"));
    }

    #[test]
    fn unproven_criteria_are_listed_where_work_resumes() {
        let mut g = gate();
        let prd = "specs/active/x/prd.md";
        g.findings.extend([
            Finding::pass("proven", "criterion", "AC1 proven").at(prd, Some(40)).with("criterion", "AC1"),
            Finding::fail("proven", "criterion", "AC2 is ticked, but `t.py::a` failed (t.py:3)")
                .at(prd, Some(41))
                .with("criterion", "AC2"),
            Finding::skip("proven", "criterion", "AC3 is not proven yet").at(prd, Some(42)).with("criterion", "AC3"),
            Finding::skip("proven", "summary", "criteria proven 1/3").at(prd, Some(38)).measure(1.0, 3.0),
        ]);
        let facts = Facts { last_gate: Some(g), ..Facts::default() };
        let lines = summary("x", "testing", &parse("- [ ] **A1**: a\n"), &facts);
        let unproven: Vec<&String> = lines.iter().filter(|l| l.starts_with("not proven: ")).collect();
        assert_eq!(
            unproven,
            [
                "not proven: AC2 (prd.md:41): AC2 is ticked, but `t.py::a` failed (t.py:3)",
                "not proven: AC3 (prd.md:42): AC3 is not proven yet"
            ]
        );
        assert!(!lines.iter().any(|l| l.starts_with("failing: [proven]")), "listed once: {lines:#?}");
        let status = recovery_text(RECOVERY, &facts);
        assert!(status.contains("- Criteria proven by tests: 1/3\n"), "{status}");
    }
}
