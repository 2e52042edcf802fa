//! Reading `black --check --diff`: which files it would change, which it
//! cannot parse (exit 123), and the diff of each file.
use std::collections::BTreeMap;

/// One file black cannot parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

/// What one `black --check --diff` run said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlackReport {
    /// Files black would reformat, as it named them.
    pub would_reformat: Vec<String>,
    pub parse_errors: Vec<ParseError>,
    /// The diff black printed for each file.
    pub diffs: BTreeMap<String, String>,
}

/// Parse black's stdout (diffs) and stderr (one line per file). Both the
/// current `error: cannot parse: PATH:L:C` form and the older
/// `error: cannot format PATH: Cannot parse: L:C: ...` form are understood.
pub fn parse(stdout: &str, stderr: &str) -> BlackReport {
    let mut report = BlackReport::default();
    let lines: Vec<&str> = stderr.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some(path) = line.strip_prefix("would reformat ") {
            report.would_reformat.push(path.trim_end().to_string());
        } else if let Some((what, rest)) =
            line.strip_prefix("error: ").filter(|l| l.starts_with("cannot parse")).and_then(|l| l.split_once(": "))
        {
            // `cannot parse[ for target version Python 3.15]: PATH:LINE:COL`,
            // then the offending source, a caret and the reason.
            let mut parts = rest.trim_end().rsplitn(3, ':');
            let (col, row, path) = (parts.next(), parts.next(), parts.next());
            let (path, line_no) = match (path, row.and_then(|r| r.parse().ok()), col.map(|c| c.parse::<usize>())) {
                (Some(p), Some(row), Some(Ok(_))) => (p.to_string(), Some(row)),
                _ => (rest.trim_end().to_string(), None),
            };
            // The reason follows the quoted source and its caret.
            let mut message = what.to_string();
            if let Some(k) = (i..lines.len().min(i + 4)).find(|&k| looks_like_reason(lines[k])) {
                message = format!("{what} ({})", lines[k].trim());
                i = k + 1;
            }
            report.parse_errors.push(ParseError { path, line: line_no, message });
        } else if let Some(rest) = line.strip_prefix("error: cannot format ") {
            let (path, message) = rest.split_once(": ").unwrap_or((rest, "cannot format"));
            report.parse_errors.push(ParseError {
                path: path.to_string(),
                line: line_and_column(message),
                message: message.trim().to_string(),
            });
        }
    }
    report.diffs = split_diffs(stdout);
    report
}

/// `ParseError: bad input`, `TokenError: ...`: the reason line after the caret.
fn looks_like_reason(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(head, _)| head.ends_with("Error") && !head.contains(' '))
}

/// The first `L:C:` in an old-style message: `Cannot parse: 1:6: def f(:` -> 1.
fn line_and_column(message: &str) -> Option<usize> {
    message.split(' ').find_map(|word| {
        let mut parts = word.split(':');
        let row = parts.next()?.parse().ok()?;
        parts.next()?.parse::<usize>().ok()?;
        Some(row)
    })
}

/// black's `--diff` output, one unified diff per file (`--- PATH\tDATE`).
fn split_diffs(stdout: &str) -> BTreeMap<String, String> {
    let mut diffs = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("--- ").filter(|r| r.contains('\t')) {
            if let Some((path, text)) = current.take() {
                diffs.insert(path, text);
            }
            let path = rest.split('\t').next().unwrap_or(rest).to_string();
            current = Some((path, String::new()));
        }
        if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    if let Some((path, text)) = current {
        diffs.insert(path, text);
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real output of black 26.10 on three files (one unparsable).
    const STDOUT: &str = "--- src/pkg/a.py\t2026-11-23 14:41:50.222308+00:00\n\
+++ src/pkg/a.py\t2026-11-23 14:43:39.645785+00:00\n\
@@ -1,7 +1,8 @@\n\
 def f(x):\n\
     return x + 1\n\
+\n\
--- src/pkg/f.py\t2026-11-23 14:43:39.198313+00:00\n\
+++ src/pkg/f.py\t2026-11-23 14:43:39.651669+00:00\n\
@@ -1 +1 @@\n\
-x = [1,2]\n\
+x = [1, 2]\n";
    const STDERR: &str = concat!(
        "would reformat src/pkg/a.py\n",
        "would reformat src/pkg/f.py\n",
        "error: cannot parse: src/pkg/g.py:1:6\n",
        "    def f(:\n",
        "         ^\n",
        "ParseError: bad input\n",
        "\n",
        "Oh no! 💥 💔 💥\n",
        "2 files would be reformatted, 1 file would fail to reformat.\n",
    );

    #[test]
    fn reads_black_26() {
        let r = parse(STDOUT, STDERR);
        assert_eq!(r.would_reformat, ["src/pkg/a.py", "src/pkg/f.py"]);
        assert_eq!(
            r.parse_errors,
            [ParseError {
                path: "src/pkg/g.py".into(),
                line: Some(1),
                message: "cannot parse (ParseError: bad input)".into()
            }]
        );
        assert_eq!(r.diffs.len(), 2);
        assert!(r.diffs["src/pkg/f.py"].contains("+x = [1, 2]\n"));
        assert!(!r.diffs["src/pkg/a.py"].contains("f.py"));
    }

    #[test]
    fn reads_the_target_version_form() {
        let r = parse("", "error: cannot parse for target version Python 3.15: src/a:b.py:2:6\n    def f(:\n         ^\nParseError: bad input\n");
        assert_eq!(
            r.parse_errors,
            [ParseError {
                path: "src/a:b.py".into(),
                line: Some(2),
                message: "cannot parse for target version Python 3.15 (ParseError: bad input)".into()
            }]
        );
    }

    #[test]
    fn reads_the_older_form() {
        let r = parse("", "error: cannot format src/x y.py: Cannot parse: 3:6: def f(:\nOh no!\n");
        assert_eq!(r.parse_errors[0].path, "src/x y.py");
        assert_eq!(r.parse_errors[0].line, Some(3));
        assert_eq!(r.parse_errors[0].message, "Cannot parse: 3:6: def f(:");
    }

    #[test]
    fn nothing_to_say() {
        assert_eq!(parse("", "All done! ✨ 🍰 ✨\n3 files would be left unchanged.\n"), BlackReport::default());
    }
}
