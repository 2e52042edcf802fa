//! The markdown summary a GitHub Actions job page shows (written to
//! `$GITHUB_STEP_SUMMARY`): per workspace and per check, failed/passed; the
//! first failing findings; a `<details>` block with the rest. The runner
//! refuses a step summary over 1 MiB, so the text is cut to the budget it is
//! given, with a line saying how much was left out.
use std::collections::BTreeMap;

use super::text::location;
use super::{catalog, Report};
use crate::core::finding::{Finding, Status};

/// The runner's limit for one step's summary, in bytes.
pub const STEP_LIMIT: usize = 1024 * 1024;
/// Failing findings shown before the `<details>` block.
pub const FIRST: usize = 5;
/// Kept back for closing tags and the note on what was cut.
const RESERVE: usize = 512;

/// The summary of `report`, at most `budget` bytes (empty when not even the
/// overview fits).
pub fn render(report: &Report, title: &str, budget: usize) -> String {
    if budget < RESERVE * 2 {
        return String::new();
    }
    let mut w = Writer { out: String::new(), limit: budget - RESERVE, omitted: 0 };
    let (fail, pass, skip) = counts(report.all());
    let mark = if report.ok() { "✅" } else { "❌" };
    w.line(&format!("## {mark} {title}: {fail} failed, {pass} passed{}", skipped(skip)));
    w.line("");
    w.line("| | Scope | Phase | Failed | Passed | Skipped |");
    w.line("|---|---|---|---:|---:|---:|");
    let mut sections: Vec<(String, Option<&str>, &[Finding])> = Vec::new();
    for ws in &report.workspaces {
        sections.push((code(&ws.slug), Some(ws.phase.as_str()), &ws.checks));
    }
    if !report.checks.is_empty() {
        sections.push(("repository".to_string(), None, &report.checks));
    }
    for (name, phase, findings) in &sections {
        let (f, p, s) = counts(findings.iter());
        w.line(&format!("| {} | {name} | {} | {f} | {p} | {s} |", verdict(f), phase.unwrap_or("")));
    }
    for (name, phase, findings) in &sections {
        section(&mut w, name, *phase, findings);
    }
    if w.omitted > 0 {
        w.out.push_str(&format!(
            "\n_{} more lines left out to keep the step summary under 1 MiB; `cargo xtask gate` prints every finding._\n",
            w.omitted
        ));
    }
    w.out
}

fn section(w: &mut Writer, name: &str, phase: Option<&str>, findings: &[Finding]) {
    let (fail, _, _) = counts(findings.iter());
    w.line("");
    let phase = phase.map(|p| format!(" (phase {p})")).unwrap_or_default();
    w.line(&format!("### {} {name}{phase}", verdict(fail)));
    w.line("");
    w.line("| | Check | Failed | Passed | Skipped | What it measures |");
    w.line("|---|---|---:|---:|---:|---|");
    let mut by_check: BTreeMap<(usize, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let order = catalog::ids().position(|c| c == f.id).unwrap_or(usize::MAX);
        by_check.entry((order, f.id.as_str())).or_default().push(f);
    }
    for ((_, id), fs) in &by_check {
        let (f, p, s) = counts(fs.iter().copied());
        w.line(&format!("| {} | {id} | {f} | {p} | {s} | {} |", verdict(f), md(catalog::check(id).short)));
    }
    let mut notable: Vec<&Finding> = findings.iter().filter(|f| f.is_fail()).collect();
    notable.extend(findings.iter().filter(|f| f.status == Status::Skip));
    if notable.is_empty() {
        return;
    }
    w.line("");
    for f in notable.iter().take(FIRST) {
        w.line(&item(f));
    }
    if notable.len() > FIRST {
        let rest = &notable[FIRST..];
        w.line("");
        // Opened and closed as one piece, so a cut never leaves a block open.
        if w.fits(200) {
            w.line(&format!("<details><summary>{} more</summary>", rest.len()));
            w.line("");
            for f in rest {
                w.line(&item(f));
            }
            w.out.push_str("\n</details>\n");
        } else {
            w.omitted += rest.len() + 2;
        }
    }
}

/// `- ❌ `file:line` **words/section**: message`
fn item(f: &Finding) -> String {
    let mark = if f.is_fail() { "❌" } else { "⚠️ skipped" };
    let place = location(f).map(|l| format!("{} ", code(&l))).unwrap_or_default();
    format!("- {mark} {place}**{}/{}**: {}", md(&f.id), md(&f.rule), md(&f.message))
}

struct Writer {
    out: String,
    limit: usize,
    omitted: usize,
}

impl Writer {
    /// One line, or nothing and a count of what was left out once full.
    fn line(&mut self, text: &str) {
        if self.omitted == 0 && self.out.len() + text.len() < self.limit {
            self.out.push_str(text);
            self.out.push('\n');
        } else {
            self.omitted += 1;
        }
    }

    fn fits(&self, bytes: usize) -> bool {
        self.omitted == 0 && self.out.len() + bytes < self.limit
    }
}

fn counts<'a>(findings: impl Iterator<Item = &'a Finding>) -> (usize, usize, usize) {
    findings.fold((0, 0, 0), |(f, p, s), x| match x.status {
        Status::Fail => (f + 1, p, s),
        Status::Pass => (f, p + 1, s),
        Status::Skip => (f, p, s + 1),
    })
}

fn skipped(n: usize) -> String {
    if n > 0 {
        format!(", {n} skipped")
    } else {
        String::new()
    }
}

fn verdict(failed: usize) -> &'static str {
    if failed > 0 {
        "❌"
    } else {
        "✅"
    }
}

/// Text from a finding, shown as text: markdown and HTML characters escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A path as a code span (escaped text when it holds a backtick).
fn code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        md(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::WorkspaceReport;
    use super::*;

    #[test]
    fn per_workspace_and_per_check() {
        let text = render(&sample(), "gate", STEP_LIMIT);
        assert!(text.starts_with("## ❌ gate: 1 failed, 1 passed, 1 skipped\n"), "{text}");
        assert!(text.contains("| ❌ | `x` | prd | 1 | 0 | 1 |\n"));
        assert!(text.contains("| ✅ | repository |  | 0 | 1 | 0 |\n"));
        assert!(text.contains("### ❌ `x` (phase prd)\n"));
        assert!(text.contains("| ❌ | words | 1 | 0 | 0 |"));
        assert!(text.contains(
            "- ❌ `specs/active/x/prd.md:41` **words/section**: section \"Architecture\" has 512 words, needs 600\n"
        ));
        assert!(text.contains("- ⚠️ skipped `specs/active/x/prd.md:90` **snippets/skipped**"));
        assert!(!text.contains("<details>"), "nothing beyond the first findings");
    }

    #[test]
    fn the_rest_goes_in_details() {
        let checks = (1..=8).map(|i| Finding::fail("words", "section", format!("finding <{i}> | *x*"))).collect();
        let report = Report {
            checks: Vec::new(),
            workspaces: vec![WorkspaceReport { slug: "w".into(), phase: "prd".into(), checks }],
        };
        let text = render(&report, "gate", STEP_LIMIT);
        assert!(text.contains("finding &lt;1&gt; \\| \\*x\\*"));
        let (first, details) = text.split_once("<details><summary>3 more</summary>").unwrap();
        assert_eq!(first.matches("- ❌").count(), FIRST);
        assert_eq!(details.matches("- ❌").count(), 3);
        assert!(details.ends_with("</details>\n"));
    }

    #[test]
    fn stays_within_the_budget() {
        let checks: Vec<Finding> =
            (0..20_000).map(|i| Finding::fail("words", "section", format!("finding {i} {}", "x".repeat(80)))).collect();
        let report = Report {
            checks: Vec::new(),
            workspaces: vec![WorkspaceReport { slug: "w".into(), phase: "prd".into(), checks }],
        };
        let whole = render(&report, "gate", usize::MAX);
        assert!(whole.len() > STEP_LIMIT, "the test needs a report larger than the limit");
        for budget in [STEP_LIMIT, STEP_LIMIT - 700_000, 5_000] {
            let text = render(&report, "gate", budget);
            assert!(text.len() <= budget, "{} > {budget}", text.len());
            assert!(text.contains("more lines left out to keep the step summary under 1 MiB"));
            assert_eq!(text.matches("<details>").count(), text.matches("</details>").count());
        }
        assert_eq!(render(&report, "gate", 100), "");
    }
}
