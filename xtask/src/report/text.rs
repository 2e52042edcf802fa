//! Compiler-style text for people: `error[words]: specs/active/x/prd.md:41: ...`
//! for each failure and skip, then one line per workspace and a verdict.
use super::{Report, Style};
use crate::core::finding::{Finding, Status};

pub fn render(report: &Report, style: &Style, title: &str) -> String {
    let mut out = String::new();
    for f in report.all() {
        if f.status != Status::Pass || is_warning(f) {
            out.push_str(&finding_line(style, f));
            out.push('\n');
        }
    }
    for w in &report.workspaces {
        out.push_str(&format!("{} {} (phase {}): {}\n", title, w.slug, w.phase, counts(style, &w.checks)));
    }
    if !report.checks.is_empty() {
        out.push_str(&format!("{title} repository: {}\n", counts(style, &report.checks)));
    }
    let verdict = if report.ok() { style.green("ok") } else { style.red("FAILED") };
    out.push_str(&format!("{title}: {verdict}\n"));
    out
}

fn counts(style: &Style, findings: &[Finding]) -> String {
    let n = |s: Status| findings.iter().filter(|f| f.status == s).count();
    let (fail, pass, skip) = (n(Status::Fail), n(Status::Pass), n(Status::Skip));
    let fail_text = format!("{fail} failed");
    let mut text = format!("{}, {pass} passed", if fail > 0 { style.red(&fail_text) } else { fail_text });
    if skip > 0 {
        text.push_str(&format!(", {skip} skipped"));
    }
    text
}

/// `error[words]: specs/active/x/prd.md:41: message`
pub fn finding_line(style: &Style, f: &Finding) -> String {
    let label = match f.status {
        Status::Pass if is_warning(f) => style.yellow(&format!("warning[{}]", f.id)),
        Status::Fail => style.red(&format!("error[{}]", f.id)),
        Status::Skip => style.yellow(&format!("skip[{}]", f.id)),
        Status::Pass => style.green(&format!("ok[{}]", f.id)),
    };
    format!("{label}: {}{}", location(f).map(|l| format!("{l}: ")).unwrap_or_default(), f.message)
}

/// A passing finding that still asks for attention (an optional quality
/// gate that failed, a rule of warning severity).
fn is_warning(f: &Finding) -> bool {
    f.extra.get("warning").and_then(serde_json::Value::as_bool) == Some(true)
}

/// `file:line`, `file`, or nothing.
pub fn location(f: &Finding) -> Option<String> {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => Some(format!("{file}:{line}")),
        (Some(file), None) => Some(file.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn human_output_is_compiler_style() {
        let text = render(&sample(), &Style::default(), "gate");
        assert!(text
            .contains("error[words]: specs/active/x/prd.md:41: section \"Architecture\" has 512 words, needs 600\n"));
        assert!(text.contains("skip[snippets]: specs/active/x/prd.md:90: block skipped: generated\n"));
        assert!(text.contains("gate x (phase prd): 1 failed, 0 passed, 1 skipped\n"));
        assert!(text.ends_with("gate: FAILED\n"));
        assert!(!text.contains("ok[compile]"), "passes are counted, not listed");
    }

    #[test]
    fn finding_without_a_place() {
        let f = Finding::fail("tests", "failed", "2 tests failed");
        assert_eq!(finding_line(&Style::default(), &f), "error[tests]: 2 tests failed");
        assert_eq!(location(&f.clone().at("tests/unit", None)).as_deref(), Some("tests/unit"));
    }
}
