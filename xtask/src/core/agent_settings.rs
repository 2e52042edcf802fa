//! The gate's hooks in a Claude Code settings file (`.claude/settings.json`):
//! merged into what is there, never removing or moving anything else, and
//! added only once (running the merge again changes nothing).
use super::json_order::{indent_of, Json};

/// One hook handler we install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSpec {
    /// `Stop`, `SubagentStop`, `PreToolUse`.
    pub event: &'static str,
    /// Which tools it fires for (PreToolUse only).
    pub matcher: Option<&'static str>,
    /// The shell command Claude Code runs.
    pub command: String,
    /// The `hook` subcommand (`stop`): a handler of the event whose command
    /// runs the xtask with `hook SUB` (whatever else someone added to it) is
    /// ours, already installed.
    pub sub: &'static str,
    /// Seconds Claude Code waits before cancelling the handler.
    pub timeout: u64,
}

/// The tools whose edits the PreToolUse hook judges.
pub const EDIT_TOOLS: &str = "Edit|Write|MultiEdit|NotebookEdit";

/// Our three hooks; `run` is how the kit is started from the project folder
/// (`cargo xtask`).
pub fn gate_hooks(run: &str) -> Vec<HookSpec> {
    // Said explicitly, not left to Claude Code's default (60 s in earlier
    // releases): a Stop hook may set up the venv and run the unit suite, and a
    // cancelled one lets the agent stop ungated. Any handler may first wait
    // for cargo to rebuild the kit after a pull.
    [
        ("Stop", None, "stop", 600),
        ("SubagentStop", None, "subagent-stop", 600),
        ("PreToolUse", Some(EDIT_TOOLS), "pre-tool-use", 120),
    ]
    .into_iter()
    .map(|(event, matcher, sub, timeout)| HookSpec {
        event,
        matcher,
        // Hooks run in the session's folder; the project folder is where
        // the `cargo xtask` alias is found.
        command: format!("cd \"$CLAUDE_PROJECT_DIR\" && {run} hook {sub}"),
        sub,
        timeout,
    })
    .collect()
}

/// What the merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new text of the file (the old text, byte for byte, when nothing changed).
    pub text: String,
    /// The events a handler was added to.
    pub added: Vec<&'static str>,
    /// The events whose handler (installed by an earlier kit) got its timeout.
    pub timed: Vec<&'static str>,
    /// Things the user should know (hooks turned off in this file, ...).
    pub notes: Vec<String>,
}

impl Merged {
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.timed.is_empty()
    }
}

/// Merge `hooks` into the settings text `existing` (None: no file yet). The
/// error says what is wrong with the file, with its line and column.
pub fn merge(existing: Option<&str>, hooks: &[HookSpec]) -> Result<Merged, String> {
    let blank = existing.is_none_or(|t| t.trim().is_empty());
    let mut root = if blank {
        Json::Object(Vec::new())
    } else {
        let text = existing.unwrap_or_default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Json::parse(text).map_err(|e| format!("not valid JSON ({e})"))?
    };
    if !matches!(root, Json::Object(_)) {
        return Err("the top level is not a JSON object".into());
    }
    let mut notes = Vec::new();
    if root.get("disableAllHooks") == Some(&Json::Bool(true)) {
        notes.push("`disableAllHooks` is true in this file: Claude Code runs no hook until it is removed".into());
    }
    let mut added = Vec::new();
    let mut timed = Vec::new();
    for spec in hooks {
        let all = root.entry("hooks", || Json::Object(Vec::new())).expect("checked to be an object");
        if !matches!(all, Json::Object(_)) {
            return Err("`hooks` is not an object (it maps event names to lists of matcher groups)".into());
        }
        let groups = all.entry(spec.event, || Json::Array(Vec::new())).expect("checked to be an object");
        let Json::Array(groups) = groups else {
            return Err(format!("`hooks.{}` is not a list of matcher groups", spec.event));
        };
        if groups.iter().any(|g| has_handler(g, spec.sub)) {
            // Installed by an earlier kit, without a timeout: Claude Code's
            // default then cancels a long first Stop hook.
            let given: Vec<bool> = groups.iter_mut().map(|g| add_timeout(g, spec.sub, spec.timeout)).collect();
            if given.contains(&true) {
                timed.push(spec.event);
            }
            continue;
        }
        let mut group = Vec::new();
        if let Some(m) = spec.matcher {
            group.push(("matcher".to_string(), Json::str(m)));
        }
        let handler = Json::Object(vec![
            ("type".into(), Json::str("command")),
            ("command".into(), Json::str(&spec.command)),
            ("timeout".into(), Json::Number(spec.timeout.into())),
        ]);
        group.push(("hooks".to_string(), Json::Array(vec![handler])));
        groups.push(Json::Object(group));
        added.push(spec.event);
    }
    let text = match existing {
        Some(old) if added.is_empty() && timed.is_empty() => old.to_string(),
        _ => root.to_pretty(&existing.map(indent_of).unwrap_or_else(|| "  ".into())),
    };
    Ok(Merged { text, added, timed, notes })
}

/// Whether `command` runs the xtask's `hook SUB`.
fn is_ours(command: &str, sub: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    words.iter().any(|w| w.contains("xtask")) && words.windows(2).any(|p| p[0] == "hook" && p[1] == sub)
}

/// Whether a matcher group holds a command handler that runs the xtask's
/// `hook SUB`.
fn has_handler(group: &Json, sub: &str) -> bool {
    let handlers = group.get("hooks").and_then(Json::as_array).unwrap_or_default();
    handlers.iter().any(|h| h.get("command").and_then(Json::as_str).is_some_and(|c| is_ours(c, sub)))
}

/// Give each of our `hook SUB` handlers in `group` that has no `timeout`
/// one; whether any was given.
fn add_timeout(group: &mut Json, sub: &str, timeout: u64) -> bool {
    let Json::Object(fields) = group else { return false };
    let Some((_, Json::Array(handlers))) = fields.iter_mut().find(|(k, _)| k == "hooks") else { return false };
    let mut any = false;
    for handler in handlers.iter_mut() {
        let ours = handler.get("command").and_then(Json::as_str).is_some_and(|c| is_ours(c, sub));
        if let Json::Object(h) = handler {
            if ours && !h.iter().any(|(k, _)| k == "timeout") {
                h.push(("timeout".into(), Json::Number(timeout.into())));
                any = true;
            }
        }
    }
    any
}

/// A unified diff of `old` -> `new` (whole lines, three lines of context),
/// for `--dry-run`. Empty when they are equal.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = line_ops(&a, &b);
    let mut out = format!("--- {path}\n+++ {path}\n");
    // Group the edits into hunks with 3 lines of context around each.
    let changed: Vec<usize> =
        ops.iter().enumerate().filter(|(_, o)| !matches!(o, Op::Same(..))).map(|(i, _)| i).collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(3);
        let mut end = changed[i] + 3;
        while i + 1 < changed.len() && changed[i + 1] <= end + 3 {
            i += 1;
            end = changed[i] + 3;
        }
        let end = end.min(ops.len() - 1);
        let (a0, b0) = position(&ops[..start]);
        let (al, bl) = position(&ops[start..=end]);
        // An empty side names the line before it (0 in an empty file).
        let from = |at: usize, len: usize| if len == 0 { at } else { at + 1 };
        out.push_str(&format!("@@ -{},{al} +{},{bl} @@\n", from(a0, al), from(b0, bl)));
        for op in &ops[start..=end] {
            match op {
                Op::Same(l) => out.push_str(&format!(" {l}\n")),
                Op::Del(l) => out.push_str(&format!("-{l}\n")),
                Op::Add(l) => out.push_str(&format!("+{l}\n")),
            }
        }
        i += 1;
    }
    out
}

enum Op<'a> {
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
}

/// Lines of the old and new text covered by `ops`.
fn position(ops: &[Op]) -> (usize, usize) {
    ops.iter().fold((0, 0), |(a, b), o| match o {
        Op::Same(_) => (a + 1, b + 1),
        Op::Del(_) => (a + 1, b),
        Op::Add(_) => (a, b + 1),
    })
}

/// The edit script of a longest common subsequence; settings files are
/// small, and a larger pair is shown as everything removed and added.
fn line_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    if a.len() * b.len() > 4_000_000 {
        return a.iter().map(|l| Op::Del(l)).chain(b.iter().map(|l| Op::Add(l))).collect();
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(Op::Del(a[i]));
            i += 1;
        } else {
            ops.push(Op::Add(b[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks() -> Vec<HookSpec> {
        gate_hooks("cargo xtask")
    }

    #[test]
    fn a_new_file_gets_the_three_hooks() {
        let m = merge(None, &hooks()).unwrap();
        assert_eq!(m.added, ["Stop", "SubagentStop", "PreToolUse"]);
        let v = Json::parse(&m.text).unwrap();
        let stop = &v.get("hooks").unwrap().get("Stop").unwrap().as_array().unwrap()[0];
        let handler = &stop.get("hooks").unwrap().as_array().unwrap()[0];
        assert_eq!(handler.get("type").unwrap().as_str(), Some("command"));
        assert_eq!(
            handler.get("command").unwrap().as_str(),
            Some("cd \"$CLAUDE_PROJECT_DIR\" && cargo xtask hook stop")
        );
        assert_eq!(handler.get("timeout"), Some(&Json::Number(600.into())));
        let pre = &v.get("hooks").unwrap().get("PreToolUse").unwrap().as_array().unwrap()[0];
        assert_eq!(pre.get("matcher").unwrap().as_str(), Some(EDIT_TOOLS));
        assert!(m.text.ends_with("}\n"));
    }

    #[test]
    fn other_keys_stay_where_they_were_and_a_second_merge_changes_nothing() {
        let old = "{\n    \"permissions\": {\"allow\": [\"Bash(make test)\"]},\n    \"hooks\": {\n        \"PostToolUse\": [{\"matcher\": \"Write\", \"hooks\": [{\"type\": \"command\", \"command\": \"fmt.sh\"}]}],\n        \"Stop\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"notify.sh\"}]}]\n    },\n    \"model\": \"opus\"\n}\n";
        let m = merge(Some(old), &hooks()).unwrap();
        let v = Json::parse(&m.text).unwrap();
        let Json::Object(top) = &v else { panic!() };
        assert_eq!(top.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["permissions", "hooks", "model"]);
        let Json::Object(events) = v.get("hooks").unwrap() else { panic!() };
        assert_eq!(
            events.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["PostToolUse", "Stop", "SubagentStop", "PreToolUse"]
        );
        let stop = v.get("hooks").unwrap().get("Stop").unwrap().as_array().unwrap();
        assert_eq!(stop.len(), 2, "the user's Stop hook is kept, ours follows it");
        assert!(m.text.contains("\n    \"model\": \"opus\"\n"), "the file's own indentation: {}", m.text);
        let again = merge(Some(&m.text), &hooks()).unwrap();
        assert!(!again.changed());
        assert_eq!(again.text, m.text);
    }

    #[test]
    fn handlers_installed_without_a_timeout_get_one() {
        let old = r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "cd x && cargo xtask hook stop"}]}], "PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "cargo xtask hook pre-tool-use", "timeout": 30}]}]}}"#;
        let m = merge(Some(old), &hooks()).unwrap();
        assert_eq!(m.added, ["SubagentStop"]);
        assert_eq!(m.timed, ["Stop"]);
        let v = Json::parse(&m.text).unwrap();
        let stop = &v.get("hooks").unwrap().get("Stop").unwrap().as_array().unwrap()[0];
        let handler = &stop.get("hooks").unwrap().as_array().unwrap()[0];
        assert_eq!(handler.get("timeout"), Some(&Json::Number(600.into())));
        // A timeout someone chose stays.
        assert!(m.text.contains("\"timeout\": 30"), "{}", m.text);
        let again = merge(Some(&m.text), &hooks()).unwrap();
        assert!(!again.changed() && again.text == m.text);
    }

    #[test]
    fn an_edited_handler_of_ours_counts_as_installed() {
        let old =
            r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "cargo xtask --root /x hook stop"}]}]}}"#;
        let m = merge(Some(old), &hooks()).unwrap();
        assert_eq!(m.added, ["SubagentStop", "PreToolUse"]);
        let other = r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify hook stop"}]}]}}"#;
        assert_eq!(merge(Some(other), &hooks()).unwrap().added.len(), 3, "not ours: no xtask");
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        assert!(merge(Some("{\"a\": 1,}"), &hooks()).unwrap_err().contains("line 1 column 9"));
        assert_eq!(merge(Some("[]"), &hooks()).unwrap_err(), "the top level is not a JSON object");
        assert!(merge(Some(r#"{"hooks": []}"#), &hooks()).unwrap_err().starts_with("`hooks` is not an object"));
        assert!(merge(Some(r#"{"hooks": {"Stop": {}}}"#), &hooks()).unwrap_err().contains("hooks.Stop"));
        assert_eq!(merge(Some("  \n"), &hooks()).unwrap().added.len(), 3);
        let off = merge(Some(r#"{"disableAllHooks": true}"#), &hooks()).unwrap();
        assert!(off.notes[0].contains("disableAllHooks"));
    }

    #[test]
    fn dry_run_diff() {
        let old = "{\n  \"model\": \"opus\"\n}\n";
        let m = merge(Some(old), &hooks()[..1]).unwrap();
        let d = diff(".claude/settings.json", old, &m.text);
        assert!(d.starts_with("--- .claude/settings.json\n+++ .claude/settings.json\n@@ -1,3 +1,16 @@\n {\n-  \"model\": \"opus\"\n+  \"model\": \"opus\",\n+  \"hooks\": {\n"), "{d}");
        assert!(d.contains("+            \"command\": \"cd \\\"$CLAUDE_PROJECT_DIR\\\" && cargo xtask hook stop\",\n"));
        assert!(d.contains("+            \"timeout\": 600\n"), "{d}");
        assert_eq!(diff("x", old, old), "");
        assert!(diff("x", "", "{}\n").contains("@@ -0,0 +1,1 @@\n"), "{}", diff("x", "", "{}\n"));
    }
}
