//! The project's formatter and linter, as data: which lines of a file a
//! change touched (so the formatter is asked about those lines only, when it
//! can be), what `ruff format --diff` and `ruff check --output-format=json`
//! said, and the line of a diff's first change.
use std::collections::BTreeSet;

use serde_json::Value;

/// The added lines as inclusive ranges: {3,4,5,9} -> [(3,5), (9,9)].
pub fn line_ranges(lines: &BTreeSet<usize>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &n in lines {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => out.push((n, n)),
        }
    }
    out
}

/// What to format in one file: every line, or only these ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: String,
    /// None: the whole file (new files, files every line of which changed).
    pub ranges: Option<Vec<(usize, usize)>>,
}

/// The target for a modified file with `added` lines out of `total`.
pub fn target(path: &str, added: Option<&BTreeSet<usize>>, total: usize) -> Option<Target> {
    match added {
        None => Some(Target { path: path.to_string(), ranges: None }),
        Some(lines) if lines.is_empty() => None,
        Some(lines) if lines.len() >= total => Some(Target { path: path.to_string(), ranges: None }),
        Some(lines) => Some(Target { path: path.to_string(), ranges: Some(line_ranges(lines)) }),
    }
}

/// The old-side line of the first removed or changed line of a unified diff
/// (`@@ -12,4 +12,5 @@` then context lines, then `-`): where the formatter
/// wants a change. None when the diff has no hunk.
pub fn first_changed_line(diff: &str) -> Option<usize> {
    let mut line: Option<usize> = None;
    for l in diff.lines() {
        if let Some(rest) = l.strip_prefix("@@ -") {
            let start = rest.split([',', ' ']).next()?.parse::<usize>().ok()?;
            line = Some(start);
            continue;
        }
        let Some(n) = line else { continue };
        if l.starts_with('-') && !l.starts_with("---") || l.starts_with('+') && !l.starts_with("+++") {
            return Some(n.max(1));
        }
        if l.starts_with(' ') || l.is_empty() {
            line = Some(n + 1);
        }
    }
    None
}

/// `ruff format --diff` output, one unified diff per file (`--- PATH` then
/// `+++ PATH`): (path, diff) in order.
pub fn split_ruff_diffs(stdout: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let lines: Vec<&str> = stdout.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if let (Some(old), Some(new)) = (l.strip_prefix("--- "), lines.get(i + 1).and_then(|n| n.strip_prefix("+++ ")))
        {
            let path = new.split('\t').next().unwrap_or(new).trim().to_string();
            let path = if path.is_empty() { old.trim().to_string() } else { path };
            out.push((path, format!("{l}\n{}\n", lines[i + 1])));
            i += 2;
            continue;
        }
        if let Some((_, text)) = out.last_mut() {
            text.push_str(l);
            text.push('\n');
        }
        i += 1;
    }
    out
}

/// A file ruff cannot parse: `error: Failed to parse PATH:LINE:COL: reason`.
pub fn ruff_parse_errors(stderr: &str) -> Vec<(String, Option<usize>, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("error: Failed to parse ")?;
            // PATH:LINE:COL: reason (the path itself may hold colons).
            let (location, reason) = rest.split_once(": ").unwrap_or((rest, ""));
            let mut parts = location.rsplitn(3, ':');
            let (_col, row, path) = (parts.next(), parts.next(), parts.next());
            match (path, row.and_then(|r| r.parse().ok())) {
                (Some(p), Some(row)) => Some((p.to_string(), Some(row), reason.to_string())),
                _ => Some((location.to_string(), None, reason.to_string())),
            }
        })
        .collect()
}

/// One finding of the project's linter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    /// Root-relative path.
    pub path: String,
    pub line: usize,
    /// The rule code (`F401`); `syntax` for a file that does not parse.
    pub code: String,
    pub message: String,
}

/// `ruff check --output-format=json`: the findings, paths made relative to
/// `root` (ruff prints them absolute). None when the text is not ruff's JSON.
pub fn ruff_check_json(text: &str, root: &str) -> Option<Vec<LintFinding>> {
    let v: Value = serde_json::from_str(text.trim()).ok()?;
    let items = v.as_array()?;
    let prefix = format!("{}/", root.trim_end_matches('/'));
    Some(
        items
            .iter()
            .map(|i| {
                let file = i["filename"].as_str().unwrap_or("");
                LintFinding {
                    path: file.strip_prefix(&prefix).unwrap_or(file).to_string(),
                    line: i["location"]["row"].as_u64().unwrap_or(1) as usize,
                    code: i["code"].as_str().unwrap_or("syntax").to_string(),
                    message: i["message"].as_str().unwrap_or("").to_string(),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_targets() {
        let set: BTreeSet<usize> = [3, 4, 5, 9, 11, 12].into_iter().collect();
        assert_eq!(line_ranges(&set), [(3, 5), (9, 9), (11, 12)]);
        assert!(line_ranges(&BTreeSet::new()).is_empty());
        assert_eq!(target("a.py", Some(&set), 20).unwrap().ranges, Some(vec![(3, 5), (9, 9), (11, 12)]));
        assert_eq!(target("a.py", Some(&set), 6).unwrap().ranges, None);
        assert_eq!(target("a.py", None, 6).unwrap().ranges, None);
        assert_eq!(target("a.py", Some(&BTreeSet::new()), 6), None);
    }

    // Real output shapes of ruff 0.17 (`format --diff`) and black 26 (`--diff`).
    #[test]
    fn first_changed_lines() {
        let ruff = "--- a.py\n+++ a.py\n@@ -6,5 +6,5 @@\n     return a+b\n \n \n-y = {'a':1}\n-z = 'single'\n+y = {\"a\": 1}\n+z = \"single\"\n";
        assert_eq!(first_changed_line(ruff), Some(9));
        let added_only = "--- a.py\n+++ a.py\n@@ -1,2 +1,3 @@\n x = 1\n+\n y = 2\n";
        assert_eq!(first_changed_line(added_only), Some(2));
        assert_eq!(first_changed_line("nothing\n"), None);
    }

    #[test]
    fn ruff_diffs_split_per_file() {
        let out = "--- src/a.py\n+++ src/a.py\n@@ -1 +1 @@\n-x=1\n+x = 1\n\n--- src/b c.py\n+++ src/b c.py\n@@ -2 +2 @@\n-y=2\n+y = 2\n";
        let diffs = split_ruff_diffs(out);
        assert_eq!(diffs.len(), 2);
        assert_eq!(diffs[0].0, "src/a.py");
        assert_eq!(diffs[1].0, "src/b c.py");
        assert!(diffs[1].1.contains("+y = 2"));
        assert_eq!(first_changed_line(&diffs[1].1), Some(2));
    }

    #[test]
    fn ruff_messages() {
        let errs = ruff_parse_errors("error: Failed to parse src/x:y.py:1:7: Expected a parameter\n");
        assert_eq!(errs, [("src/x:y.py".to_string(), Some(1), "Expected a parameter".to_string())]);
        let json = r#"[{"code": "F401", "filename": "/r/src/a.py", "location": {"row": 3, "column": 8}, "message": "`os` imported but unused"},
                       {"code": null, "filename": "/r/src/b.py", "location": {"row": 1, "column": 7}, "message": "SyntaxError: Expected a parameter"}]"#;
        let f = ruff_check_json(json, "/r").unwrap();
        assert_eq!(
            f[0],
            LintFinding {
                path: "src/a.py".into(),
                line: 3,
                code: "F401".into(),
                message: "`os` imported but unused".into()
            }
        );
        assert_eq!(f[1].code, "syntax");
        assert_eq!(ruff_check_json("[]", "/r").unwrap(), []);
        assert!(ruff_check_json("error: nope", "/r").is_none());
    }
}
