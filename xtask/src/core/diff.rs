//! Reading git's output: NUL-separated path lists and `git diff -U0` patches
//! turned into the added line numbers of each file.
use std::collections::{BTreeMap, BTreeSet};

/// Added lines per file: path relative to the repository root -> 1-based
/// line numbers in the new version of the file.
pub type AddedLines = BTreeMap<String, BTreeSet<usize>>;

/// A modified file and the lines the change added to it (1-based, with their
/// text): what the `rules` and `env-templates` checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub added: Vec<(usize, String)>,
}

/// Paths of a `-z` listing (`git diff --name-only -z`, `git ls-files -z`).
pub fn split_nul(text: &str) -> Vec<String> {
    text.split('\0').filter(|p| !p.is_empty()).map(str::to_string).collect()
}

/// The added lines of every file in a unified diff made with `-U0` and the
/// prefixes `a/` and `b/`. Deleted files and binary files add nothing.
pub fn added_lines(patch: &str) -> AddedLines {
    let mut out = AddedLines::new();
    let mut current: Option<String> = None;
    // Between `diff --git` and the first hunk: only there is `+++ ` a header
    // (inside a hunk it is an added line that starts with `++ `).
    let mut in_header = false;
    for line in patch.lines() {
        if line.starts_with("diff --git ") {
            current = None;
            in_header = true;
        } else if in_header && line.starts_with("+++ ") {
            current = new_path(&line[4..]);
        } else if let Some(hunk) = line.strip_prefix("@@ ") {
            in_header = false;
            let (Some(path), Some((start, count))) = (&current, new_range(hunk)) else { continue };
            let lines = out.entry(path.clone()).or_default();
            lines.extend(start..start + count);
        }
    }
    out
}

/// The path in a `+++ b/PATH` header; None for `/dev/null`.
fn new_path(target: &str) -> Option<String> {
    if target == "/dev/null" {
        return None;
    }
    let path = if target.starts_with('"') {
        unquote(target)?
    } else {
        // git ends an unquoted name that holds a space with a tab.
        target.strip_suffix('\t').unwrap_or(target).to_string()
    };
    path.strip_prefix("b/").map(str::to_string)
}

/// `-a,b +c,d @@ ...` -> (c, d); `+c` alone means one line.
fn new_range(hunk: &str) -> Option<(usize, usize)> {
    let plus = hunk.split(' ').find(|part| part.starts_with('+'))?;
    let spec = &plus[1..];
    let (start, count) = match spec.split_once(',') {
        Some((s, c)) => (s.parse().ok()?, c.parse().ok()?),
        None => (spec.parse().ok()?, 1),
    };
    Some((start, count))
}

/// A C-style quoted name as git writes it (`"b/tab\"q.py"`, octal bytes).
pub fn unquote(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let esc = chars.next()?;
        let value = match esc {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let mut v = u32::from(esc - b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            chars.next();
                        }
                        _ => break,
                    }
                }
                u8::try_from(v).ok()?
            }
            other => other,
        };
        bytes.push(value);
    }
    String::from_utf8(bytes).ok()
}

/// Every line of a new file (an untracked file is all added lines).
pub fn all_lines(text: &str) -> BTreeSet<usize> {
    (1..=text.lines().count()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/src/pkg/a.py b/src/pkg/a.py\n\
index 1..2 100644\n\
--- a/src/pkg/a.py\n\
+++ b/src/pkg/a.py\n\
@@ -3,0 +4,2 @@ def f():\n\
+    x = 1\n\
+    return x\n\
@@ -10 +12 @@\n\
-old\n\
+new\n\
@@ -20,3 +21,0 @@\n\
-gone\n\
diff --git a/sp ace.py b/sp ace.py\n\
new file mode 100644\n\
--- /dev/null\n\
+++ b/sp ace.py\t\n\
@@ -0,0 +1,2 @@\n\
+a\n\
+b\n\
diff --git \"a/tab\\\"q.py\" \"b/tab\\\"q.py\"\n\
--- /dev/null\n\
+++ \"b/tab\\\"q.py\"\n\
@@ -0,0 +1 @@\n\
+q\n\
diff --git a/old.py b/old.py\n\
deleted file mode 100644\n\
--- a/old.py\n\
+++ /dev/null\n\
@@ -1,2 +0,0 @@\n\
-x\n\
-y\n\
diff --git a/img.png b/img.png\n\
Binary files a/img.png and b/img.png differ\n";

    #[test]
    fn added_lines_of_each_file() {
        let added = added_lines(PATCH);
        let keys: Vec<&str> = added.keys().map(String::as_str).collect();
        assert_eq!(keys, ["sp ace.py", "src/pkg/a.py", "tab\"q.py"]);
        assert_eq!(added["src/pkg/a.py"].iter().copied().collect::<Vec<_>>(), [4, 5, 12]);
        assert_eq!(added["sp ace.py"].len(), 2);
        assert_eq!(added["tab\"q.py"].iter().copied().collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn an_added_line_that_looks_like_a_header_is_not_one() {
        // The added line "++ b/evil" reads "+++ b/evil" inside a hunk.
        let patch =
            "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -0,0 +1 @@\n+++ b/evil\n@@ -5 +6 @@\n-a\n+b\n";
        let added = added_lines(patch);
        assert_eq!(added.len(), 1);
        assert_eq!(added["x.py"].iter().copied().collect::<Vec<_>>(), [1, 6]);
    }

    #[test]
    fn unquotes_c_style_names() {
        assert_eq!(unquote("\"b/a\\\\b\\tc\"").unwrap(), "b/a\\b\tc");
        assert_eq!(unquote("\"b/\\303\\251.py\"").unwrap(), "b/é.py");
        assert_eq!(unquote("no quotes"), None);
    }

    #[test]
    fn nul_lists_and_whole_files() {
        assert_eq!(split_nul("a.py\0b c.py\0"), ["a.py", "b c.py"]);
        assert!(split_nul("").is_empty());
        assert_eq!(all_lines("a\nb\n").len(), 2);
        assert_eq!(all_lines("a\nb").len(), 2);
    }
}
