//! Findings -> what people, agents and CI read: compiler-style text, one JSON
//! document, SARIF for code scanning, GitHub annotations and a step summary.
//! The only place output formats are decided. Each renderer is a pure
//! function of a [`Report`] (one file per format); [`emit`] is the edge that
//! looks at the environment and prints.
use std::io::IsTerminal;

use crate::cli::ColorChoice;
use crate::core::finding::Finding;

pub mod annotations;
pub mod catalog;
pub mod json;
pub mod sarif;
pub mod summary;
pub mod text;

pub use annotations::github_annotations;
pub use json::JSON_VERSION;
pub use text::finding_line;

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
}

/// Findings of one workspace.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceReport {
    pub slug: String,
    pub phase: String,
    pub checks: Vec<Finding>,
}

impl WorkspaceReport {
    pub fn ok(&self) -> bool {
        !self.checks.iter().any(Finding::is_fail)
    }
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

    /// Every finding with the workspace it belongs to (None: the repository),
    /// repository first, then each workspace in order.
    pub fn placed(&self) -> impl Iterator<Item = (Option<&WorkspaceReport>, &Finding)> {
        self.checks
            .iter()
            .map(|f| (None, f))
            .chain(self.workspaces.iter().flat_map(|w| w.checks.iter().map(move |f| (Some(w), f))))
    }

    pub fn to_json(&self) -> serde_json::Value {
        json::report(self)
    }

    /// Compiler-style lines for failures and skips, then one summary line per
    /// workspace and overall.
    pub fn render_human(&self, style: &Style, title: &str) -> String {
        text::render(self, style, title)
    }
}

/// What stdout carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Compiler-style lines (plus annotations under GitHub Actions).
    #[default]
    Text,
    /// The versioned JSON document agents read.
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
}

/// Whether we run under GitHub Actions.
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Print a report the way the global flags ask: JSON, or text (plus annotations
/// under GitHub Actions). When `GITHUB_STEP_SUMMARY` names a file, a markdown
/// summary is appended to it as well, whatever the format.
pub fn emit(report: &Report, json: bool, style: &Style, title: &str) {
    emit_as(report, if json { Format::Json } else { Format::Text }, style, title);
}

/// [`emit`] the way a command's context asks (`--format`, colour), SARIF
/// results without a file shown at a file of this repository.
pub fn emit_ctx(ctx: &crate::context::Ctx, report: &Report, title: &str) {
    let anchor = ["Cargo.toml", "pyproject.toml", "README.md"].into_iter().find(|f| ctx.root.join(f).is_file());
    let options = sarif::Options { repo_anchor: anchor.unwrap_or("Cargo.toml").to_string(), ..Default::default() };
    emit_with(report, ctx.format, &ctx.style, title, &options);
}

/// [`emit`] with an explicit format.
pub fn emit_as(report: &Report, format: Format, style: &Style, title: &str) {
    emit_with(report, format, style, title, &sarif::Options::default());
}

fn emit_with(report: &Report, format: Format, style: &Style, title: &str, options: &sarif::Options) {
    match format {
        Format::Json => {
            crate::outln!("{}", serde_json::to_string_pretty(&report.to_json()).expect("JSON values always serialize"));
        }
        Format::Sarif => {
            let log = sarif::render(report, options);
            crate::outln!("{}", serde_json::to_string_pretty(&log).expect("JSON values always serialize"));
        }
        Format::Text => {
            crate::out!("{}", report.render_human(style, title));
            if in_github_actions() {
                crate::out!("{}", github_annotations(report));
            }
        }
    }
    append_step_summary(report, title);
}

/// Append the markdown summary to `$GITHUB_STEP_SUMMARY` when it is set. The
/// runner refuses a step's summary over 1 MiB, so the part we add fits in
/// what the step has left. A file that cannot be written is a warning.
fn append_step_summary(report: &Report, title: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else { return };
    let path = std::path::PathBuf::from(path);
    let used = std::fs::metadata(&path).map(|m| m.len() as usize).unwrap_or(0);
    let budget = summary::STEP_LIMIT.saturating_sub(used);
    let text = summary::render(report, title, budget);
    if text.is_empty() {
        return;
    }
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if let Err(e) = written {
        eprintln!("warning: GITHUB_STEP_SUMMARY {}: summary not written: {e}", path.display());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A report with a failure, a skip and passes, used by every renderer's tests.
    pub fn sample() -> Report {
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
    fn placed_findings_know_their_workspace() {
        let r = sample();
        let placed: Vec<(Option<&str>, &str)> =
            r.placed().map(|(w, f)| (w.map(|w| w.slug.as_str()), f.id.as_str())).collect();
        assert_eq!(placed, [(None, "compile"), (Some("x"), "words"), (Some("x"), "snippets")]);
        assert!(!r.ok() && !r.workspaces[0].ok());
    }
}
