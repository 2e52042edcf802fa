//! Findings -> text for people, one JSON document for agents, and GitHub
//! annotations under Actions. The only place output formats are decided.
use std::io::IsTerminal;

use serde_json::{json, Value};

use crate::cli::ColorChoice;
use crate::core::finding::{Finding, Status};

/// Version of the JSON document; bumped only on incompatible changes.
pub const JSON_VERSION: u64 = 1;

/// Terminal styling; plain text when colour is off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// `auto` colours only a terminal, and never when NO_COLOR is set.
    pub fn new(choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        };
        Style { color }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn red(&self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn yellow(&self, text: &str) -> String {
        self.paint("1;33", text)
    }
    pub fn green(&self, text: &str) -> String {
        self.paint("1;32", text)
    }
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Findings of one workspace.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceReport {
    pub slug: String,
    pub phase: String,
    pub checks: Vec<Finding>,
}

/// Everything one command found: repository-level checks and workspace checks.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checks: Vec<Finding>,
    pub workspaces: Vec<WorkspaceReport>,
}

impl Report {
    pub fn all(&self) -> impl Iterator<Item = &Finding> {
        self.checks.iter().chain(self.workspaces.iter().flat_map(|w| w.checks.iter()))
    }

    pub fn ok(&self) -> bool {
        !self.all().any(Finding::is_fail)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "version": JSON_VERSION,
            "ok": self.ok(),
            "checks": self.checks.iter().map(Finding::to_json).collect::<Vec<_>>(),
            "workspaces": self.workspaces.iter().map(|w| json!({
                "slug": w.slug,
                "phase": w.phase,
                "ok": !w.checks.iter().any(Finding::is_fail),
                "checks": w.checks.iter().map(Finding::to_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// Compiler-style lines for failures and skips, then one summary line per
    /// workspace and overall.
    pub fn render_human(&self, style: &Style, title: &str) -> String {
        let mut out = String::new();
        for f in &self.checks {
            push_finding(&mut out, style, f);
        }
        for w in &self.workspaces {
            for f in &w.checks {
                push_finding(&mut out, style, f);
            }
        }
        for w in &self.workspaces {
            out.push_str(&format!("{} {} (phase {}): {}\n", title, w.slug, w.phase, counts(style, &w.checks)));
        }
        if !self.checks.is_empty() {
            out.push_str(&format!("{title} repository: {}\n", counts(style, &self.checks)));
        }
        let verdict = if self.ok() { style.green("ok") } else { style.red("FAILED") };
        out.push_str(&format!("{title}: {verdict}\n"));
        out
    }
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
        Status::Fail => style.red(&format!("error[{}]", f.id)),
        Status::Skip => style.yellow(&format!("skip[{}]", f.id)),
        Status::Pass => style.green(&format!("ok[{}]", f.id)),
    };
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{label}: {file}:{line}: {}", f.message),
        (Some(file), None) => format!("{label}: {file}: {}", f.message),
        _ => format!("{label}: {}", f.message),
    }
}

fn push_finding(out: &mut String, style: &Style, f: &Finding) {
    if f.status != Status::Pass {
        out.push_str(&finding_line(style, f));
        out.push('\n');
    }
}

/// `::error file=...,line=...::message` lines for GitHub Actions, one per failure.
pub fn github_annotations(report: &Report) -> String {
    let mut out = String::new();
    for f in report.all().filter(|f| f.is_fail()) {
        let mut props = Vec::new();
        if let Some(file) = &f.file {
            props.push(format!("file={}", escape_property(file)));
        }
        if let Some(line) = f.line {
            props.push(format!("line={line}"));
        }
        props.push(format!("title={}", escape_property(&format!("{}/{}", f.id, f.rule))));
        out.push_str(&format!("::error {}::{}\n", props.join(","), escape_data(&f.message)));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Whether we run under GitHub Actions.
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Print a report the way the global flags ask: JSON, or text (plus annotations
/// under GitHub Actions).
pub fn emit(report: &Report, json: bool, style: &Style, title: &str) {
    if json {
        crate::outln!("{}", serde_json::to_string_pretty(&report.to_json()).expect("JSON values always serialize"));
    } else {
        crate::out!("{}", report.render_human(style, title));
        if in_github_actions() {
            crate::out!("{}", github_annotations(report));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            checks: vec![Finding::pass("compile", "file", "12 files compile")],
            workspaces: vec![WorkspaceReport {
                slug: "x".into(),
                phase: "prd".into(),
                checks: vec![
                    Finding::fail("words", "section", "section \"Architecture\" has 512 words, needs 600")
                        .at("specs/active/x/prd.md", Some(41))
                        .measure(512.0, 600.0),
                    Finding::skip("snippets", "skipped", "block skipped: generated")
                        .at("specs/active/x/prd.md", Some(90)),
                ],
            }],
        }
    }

    #[test]
    fn human_output_is_compiler_style() {
        let text = sample().render_human(&Style::default(), "gate");
        assert!(text
            .contains("error[words]: specs/active/x/prd.md:41: section \"Architecture\" has 512 words, needs 600\n"));
        assert!(text.contains("skip[snippets]: specs/active/x/prd.md:90: block skipped: generated\n"));
        assert!(text.contains("gate x (phase prd): 1 failed, 0 passed, 1 skipped\n"));
        assert!(text.ends_with("gate: FAILED\n"));
    }

    #[test]
    fn json_document_shape() {
        let v = sample().to_json();
        assert_eq!(v["version"], 1);
        assert_eq!(v["ok"], false);
        assert_eq!(v["checks"][0]["status"], "pass");
        assert_eq!(v["workspaces"][0]["checks"][0]["line"], 41);
    }

    #[test]
    fn annotations_escape() {
        let text = github_annotations(&sample());
        assert_eq!(
            text,
            "::error file=specs/active/x/prd.md,line=41,title=words/section::section \"Architecture\" has 512 words, needs 600\n"
        );
    }
}
