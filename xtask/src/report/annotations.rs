//! GitHub Actions workflow commands (`::error file=...,line=...::message`), one
//! per failure. The runner shows at most 10 error annotations per step, so
//! the first 10 are annotated and one closing notice says how many more there
//! are and where to read them.
use super::Report;
use crate::core::finding::Finding;

/// Error annotations GitHub shows for one step; the rest would be dropped
/// without a word.
pub const ERRORS_PER_STEP: usize = 10;

pub fn github_annotations(report: &Report) -> String {
    let failures: Vec<&Finding> = report.all().filter(|f| f.is_fail()).collect();
    let mut out = String::new();
    for f in failures.iter().take(ERRORS_PER_STEP) {
        out.push_str(&error_command(f));
    }
    if failures.len() > ERRORS_PER_STEP {
        let more = failures.len() - ERRORS_PER_STEP;
        let text = format!(
            "{more} more failing finding{} not annotated (GitHub shows {ERRORS_PER_STEP} errors per step); \
             every finding is in the log above and in the job summary",
            if more == 1 { "" } else { "s" }
        );
        out.push_str(&format!("::notice title={}::{}\n", escape_property("spec gate"), escape_data(&text)));
    }
    out
}

/// One `::error` command for a failing finding.
fn error_command(f: &Finding) -> String {
    let mut props = Vec::new();
    if let Some(file) = &f.file {
        props.push(format!("file={}", escape_property(file)));
    }
    if let Some(line) = f.line {
        props.push(format!("line={line}"));
    }
    props.push(format!("title={}", escape_property(&format!("{}/{}", f.id, f.rule))));
    format!("::error {}::{}\n", props.join(","), escape_data(&f.message))
}

/// A command's message: `%`, CR and LF are encoded (the runner decodes them),
/// so a message never ends the command early or starts a new one.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property value: also `:` and `,`, which separate the properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::WorkspaceReport;
    use super::*;

    #[test]
    fn one_error_per_failure() {
        assert_eq!(
            github_annotations(&sample()),
            "::error file=specs/active/x/prd.md,line=41,title=words/section::section \"Architecture\" has 512 words, needs 600\n"
        );
    }

    #[test]
    fn escapes_what_the_runner_decodes() {
        let f =
            Finding::fail("snippets", "drift", "100% off,\r\nnext: line").at("specs/active/a,b/odd:name%.md", Some(3));
        assert_eq!(
            error_command(&f),
            "::error file=specs/active/a%2Cb/odd%3Aname%25.md,line=3,title=snippets/drift::100%25 off,%0D%0Anext: line\n"
        );
    }

    #[test]
    fn ten_errors_then_a_notice() {
        let checks = (1..=13).map(|i| Finding::fail("words", "section", format!("finding {i}"))).collect();
        let report = Report { checks, workspaces: vec![WorkspaceReport::default()] };
        let text = github_annotations(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11);
        assert!(lines[..10].iter().all(|l| l.starts_with("::error ")));
        assert!(lines[9].ends_with("::finding 10"));
        assert!(
            lines[10].starts_with("::notice title=spec gate::3 more failing findings not annotated"),
            "{}",
            lines[10]
        );
    }
}
