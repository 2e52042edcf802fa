//! The Claude Code hook protocol, the pure part: the JSON a hook receives on
//! stdin, the JSON it answers on stdout, the text an agent reads when its
//! stop is blocked, the loop guard, and which edits planning forbids.
//!
//! A hook that has nothing to say prints nothing and exits 0 (the agent goes
//! on as it would without the hook). Blocking is always JSON with exit 0, never
//! exit 2, so the text the agent sees is ours, not a stderr line.
use serde_json::{json, Value};

use super::finding::Finding;
use super::phase::Phase;

/// What a hook was told on stdin (fields we do not use are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookInput {
    /// `hook_event_name` as sent.
    pub event_name: Option<String>,
    pub session_id: Option<String>,
    pub cwd: Option<String>,
    /// The agent is already continuing because a stop hook blocked it.
    pub stop_hook_active: bool,
    /// Set when a subagent is stopping.
    pub agent_id: Option<String>,
    pub tool_name: Option<String>,
    /// The file an edit tool is about to write (`tool_input.file_path`, or
    /// `notebook_path`), absolute.
    pub file_path: Option<String>,
}

impl HookInput {
    pub fn parse(text: &str) -> Result<HookInput, String> {
        if text.trim().is_empty() {
            return Err("no hook input on stdin (Claude Code sends one JSON object)".into());
        }
        let v: Value = serde_json::from_str(text).map_err(|e| format!("the hook input is not JSON ({e})"))?;
        if !v.is_object() {
            return Err("the hook input is not a JSON object".into());
        }
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let tool_input = v.get("tool_input").cloned().unwrap_or(Value::Null);
        Ok(HookInput {
            event_name: s(&v, "hook_event_name"),
            session_id: s(&v, "session_id"),
            cwd: s(&v, "cwd"),
            stop_hook_active: v.get("stop_hook_active").and_then(Value::as_bool).unwrap_or(false),
            agent_id: s(&v, "agent_id"),
            tool_name: s(&v, "tool_name"),
            file_path: s(&tool_input, "file_path").or_else(|| s(&tool_input, "notebook_path")),
        })
    }

    /// Whose consecutive blocks are counted together: one session's main
    /// agent, or one of its subagents.
    pub fn guard_key(&self) -> String {
        format!("{}/{}", self.session_id.as_deref().unwrap_or("no-session"), self.agent_id.as_deref().unwrap_or("main"))
    }
}

/// Stop and SubagentStop: keep the agent working, with `reason` as what it
/// reads next.
pub fn block(reason: &str) -> Value {
    json!({"decision": "block", "reason": reason})
}

/// A message for the person watching (the agent is not stopped by it).
pub fn notice(message: &str) -> Value {
    json!({"systemMessage": message})
}

/// PreToolUse: refuse the tool call, telling the agent why.
pub fn deny(reason: &str) -> Value {
    json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    })
}

/// What the Stop hook does this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopDecision {
    /// Every gated check passes: the agent may stop.
    Pass,
    /// Keep the agent working; `count` consecutive blocks with this one.
    Block { count: u32 },
    /// Checks fail but the agent was blocked `count` times in a row already:
    /// the stop goes through, and the person is told.
    Release { count: u32 },
}

/// The loop guard. `previous` is the count of consecutive blocks recorded for
/// this agent; `limit` the most in a row (0: never block). A stop the agent
/// reached on its own (`stop_hook_active` false) starts a new count.
pub fn decide(failing: bool, stop_hook_active: bool, previous: u32, limit: u32) -> StopDecision {
    if !failing {
        StopDecision::Pass
    } else if !stop_hook_active && limit > 0 {
        StopDecision::Block { count: 1 }
    } else if previous >= limit {
        StopDecision::Release { count: previous }
    } else {
        StopDecision::Block { count: previous + 1 }
    }
}

/// Consecutive blocks per guard key, as kept in a workspace's tmp/: the most
/// recently updated last, at most [`GUARD_KEYS`] keys.
pub type Guard = Vec<(String, u32)>;
pub const GUARD_KEYS: usize = 16;
pub const GUARD_FILE: &str = "tmp/stop-hook.json";

/// Read a guard file; anything unreadable is an empty guard.
pub fn read_guard(text: &str) -> Guard {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v.get("blocks")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((i.get(0)?.as_str()?.to_string(), u32::try_from(i.get(1)?.as_u64()?).ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

pub fn guard_count(guard: &Guard, key: &str) -> u32 {
    guard.iter().find(|(k, _)| k == key).map(|(_, n)| *n).unwrap_or(0)
}

/// `key`'s count set to `count` (removed at 0), moved to the end.
pub fn set_guard(guard: &mut Guard, key: &str, count: u32) {
    guard.retain(|(k, _)| k != key);
    if count > 0 {
        guard.push((key.to_string(), count));
    }
    let extra = guard.len().saturating_sub(GUARD_KEYS);
    guard.drain(..extra);
}

pub fn write_guard(guard: &Guard) -> String {
    json!({"version": 1, "blocks": guard.iter().map(|(k, n)| json!([k, n])).collect::<Vec<_>>()}).to_string()
}

/// A failing finding and the workspace it belongs to (None: the repository).
pub type Failure<'a> = (Option<&'a str>, &'a Finding);

/// What the agent reads when its stop is blocked: which workspaces fail, then
/// one line per failing finding (`file:line: message [check/rule]`), the
/// repository's first, then each group shortest first so the most fit,
/// within `max_chars`; then how to see the rest and where the loop guard
/// stands.
pub fn stop_reason(
    failures: &[Failure],
    workspaces: &[(&str, &str)],
    count: u32,
    limit: u32,
    max_chars: usize,
) -> String {
    let names: Vec<String> =
        workspaces.iter().map(|(slug, phase)| format!("specs/active/{slug} (phase {phase})")).collect();
    let in_repo = failures.iter().filter(|(ws, _)| ws.is_none()).count();
    let in_docs = failures.len() - in_repo;
    let findings = |n: usize| format!("{n} finding{}", if n == 1 { "" } else { "s" });
    // Where the findings are: the repository's (a changed source file,
    // failing tests) are not the workspace's.
    let place = match (in_repo, in_docs, names.is_empty()) {
        (_, 0, _) | (_, _, true) => format!("{} in the repository", findings(in_repo + in_docs)),
        (0, n, false) => format!("{} in {}", findings(n), names.join(", ")),
        (r, n, false) => format!("{} in the repository and {} in {}", findings(r), findings(n), names.join(", ")),
    };
    let mut out = format!(
        "The spec gate fails, so the work is not done: {place}. Fix each one below, then finish again; do not \
         only report them.\n"
    );
    // The repository's findings first (a source file changed while planning,
    // failing tests: few, and what matters most), then the workspaces'; each
    // group shortest first, so the most fit.
    let mut keyed: Vec<(bool, String)> = failures.iter().map(|(ws, f)| (ws.is_some(), finding_line(f))).collect();
    keyed.sort_by_key(|(in_workspace, l)| (*in_workspace, l.chars().count()));
    let lines: Vec<String> = keyed.into_iter().map(|(_, l)| l).collect();
    let slugs: Vec<&str> = workspaces.iter().map(|(s, _)| *s).collect();
    let all = format!("cargo xtask gate {}", slugs.join(" "));
    let footer = format!(
        "Blocked {count} of at most {limit} times in a row; run `{}` to see every finding with its figures.",
        all.trim_end()
    );
    let budget = max_chars.saturating_sub(footer.len() + 60);
    let mut shown = 0;
    for line in &lines {
        if out.len() + line.len() + 1 > budget {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        shown += 1;
    }
    if shown < lines.len() {
        out.push_str(&format!("... and {} more.\n", lines.len() - shown));
    }
    out.push_str(&footer);
    out
}

/// Longest message one line of the reason shows.
const MAX_LINE_CHARS: usize = 500;

/// `- specs/active/x/prd.md:41: message [words/section]`
fn finding_line(f: &Finding) -> String {
    let place = match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: "),
        (Some(file), None) => format!("{file}: "),
        _ => String::new(),
    };
    let mut message = f.message.replace(['\n', '\r'], " ");
    // A test run's tail can be long; the gate shows it whole.
    if let Some((cut, _)) = message.char_indices().nth(MAX_LINE_CHARS) {
        message.truncate(cut);
        message.push_str(" ...");
    }
    format!("- {place}{message} [{}/{}]", f.id, f.rule)
}

/// The message shown to the person when the guard lets a failing stop through.
pub fn release_message(count: u32, failing: usize) -> String {
    if count == 0 {
        return format!(
            "spec gate: {failing} finding{} still fail{}; the stop hook does not block (hook-max-blocks is 0). \
             Run `cargo xtask gate` to see them.",
            if failing == 1 { "" } else { "s" },
            if failing == 1 { "s" } else { "" }
        );
    }
    let times = if count == 1 { "once".to_string() } else { format!("{count} times in a row") };
    format!(
        "spec gate: {failing} finding{} still fail{}; the stop hook blocked {times} and now lets the agent stop. \
         Run `cargo xtask gate` to see them.",
        if failing == 1 { "" } else { "s" },
        if failing == 1 { "s" } else { "" }
    )
}

/// PreToolUse on an edit tool: the reason to deny writing `path` (relative
/// to the root, `/`-separated) while every active workspace plans, or None to
/// let the edit go on. `active` is each active workspace with its phase.
pub fn edit_denial(path: &str, source_roots: &[String], active: &[(String, Phase)]) -> Option<String> {
    if active.is_empty() || active.iter().any(|(_, p)| *p != Phase::Prd) {
        return None;
    }
    let root = source_roots.iter().map(|r| r.trim_start_matches("./").trim_matches('/')).find(|r| {
        r.is_empty() || *r == "." || path == *r || path.strip_prefix(*r).is_some_and(|rest| rest.starts_with('/'))
    })?;
    let names: Vec<String> = active.iter().map(|(slug, _)| format!("specs/active/{slug}")).collect();
    let (they, are, move_on) = if names.len() == 1 { ("it", "is", "moves") } else { ("they", "are", "move") };
    Some(format!(
        "{path} is under the source root {root}/, and {} {are} at phase prd: planning is planning only, so source \
         files stay unchanged until {they} {move_on} on from prd (to research). Put this in the plan instead (prd.md, \
         research/plan.md, tasks.md), and make the PRD pass `cargo xtask gate`.",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_claude_code_sends() {
        let stop = HookInput::parse(
            r#"{"session_id":"abc","transcript_path":"/t.jsonl","cwd":"/repo","permission_mode":"default",
                "hook_event_name":"Stop","stop_hook_active":true,"last_assistant_message":"done"}"#,
        )
        .unwrap();
        assert_eq!(stop.event_name.as_deref(), Some("Stop"));
        assert!(stop.stop_hook_active);
        assert_eq!(stop.cwd.as_deref(), Some("/repo"));
        assert_eq!(stop.guard_key(), "abc/main");
        let edit = HookInput::parse(
            r#"{"session_id":"abc","cwd":"/repo","hook_event_name":"PreToolUse","tool_name":"Write",
                "tool_input":{"file_path":"/repo/src/pkg/a.py","content":"x = 1\n"},"tool_use_id":"t1"}"#,
        )
        .unwrap();
        assert_eq!(edit.file_path.as_deref(), Some("/repo/src/pkg/a.py"));
        assert!(!edit.stop_hook_active);
        let sub = HookInput::parse(r#"{"hook_event_name":"SubagentStop","agent_id":"d4"}"#).unwrap();
        assert_eq!(sub.guard_key(), "no-session/d4");
        assert!(HookInput::parse("").unwrap_err().contains("no hook input"));
        assert!(HookInput::parse("[1]").is_err());
        assert!(HookInput::parse("{").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn outputs_are_the_protocol_shapes() {
        assert_eq!(block("fix it"), json!({"decision": "block", "reason": "fix it"}));
        assert_eq!(deny("no")["hookSpecificOutput"]["permissionDecision"], "deny");
        assert_eq!(deny("no")["hookSpecificOutput"]["hookEventName"], "PreToolUse");
        assert_eq!(notice("hi"), json!({"systemMessage": "hi"}));
    }

    #[test]
    fn the_loop_guard() {
        assert_eq!(decide(false, true, 2, 3), StopDecision::Pass);
        assert_eq!(decide(true, false, 2, 3), StopDecision::Block { count: 1 });
        assert_eq!(decide(true, true, 1, 3), StopDecision::Block { count: 2 });
        assert_eq!(decide(true, true, 2, 3), StopDecision::Block { count: 3 });
        assert_eq!(decide(true, true, 3, 3), StopDecision::Release { count: 3 });
        assert_eq!(decide(true, false, 0, 0), StopDecision::Release { count: 0 });
    }

    #[test]
    fn the_guard_file() {
        let mut g = read_guard("not json");
        assert!(g.is_empty());
        set_guard(&mut g, "s/main", 2);
        set_guard(&mut g, "s/a1", 1);
        set_guard(&mut g, "s/main", 3);
        let back = read_guard(&write_guard(&g));
        assert_eq!(back, [("s/a1".to_string(), 1), ("s/main".to_string(), 3)]);
        assert_eq!(guard_count(&back, "s/main"), 3);
        assert_eq!(guard_count(&back, "other"), 0);
        set_guard(&mut g, "s/a1", 0);
        assert_eq!(g.len(), 1);
        for i in 0..40 {
            set_guard(&mut g, &format!("k{i}"), 1);
        }
        assert_eq!(g.len(), GUARD_KEYS);
        assert_eq!(g.last().unwrap().0, "k39");
    }

    #[test]
    fn the_reason_lists_the_repository_then_the_shortest_findings_first_within_the_cap() {
        let long = Finding::fail("words", "section", "section \"Architecture\" has 512 words, needs 600")
            .at("specs/active/x/prd.md", Some(41));
        let short = Finding::fail("diagram", "diagram", "no diagram").at("specs/active/x/prd.md", Some(30));
        let repo = Finding::fail(
            "git-clean",
            "modified",
            "src/a.py changed\nduring prd, and this message is longer than any of the workspace's findings",
        );
        let failures = [(Some("x"), &long), (Some("x"), &short), (None, &repo)];
        let text = stop_reason(&failures, &[("x", "prd")], 1, 3, 4000);
        assert!(
            text.starts_with(
                "The spec gate fails, so the work is not done: 1 finding in the repository and 2 findings in \
                 specs/active/x (phase prd)."
            ),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(
            lines[0],
            "- src/a.py changed during prd, and this message is longer than any of the workspace's findings \
             [git-clean/modified]"
        );
        assert_eq!(lines[1], "- specs/active/x/prd.md:30: no diagram [diagram/diagram]");
        assert_eq!(
            lines[2],
            "- specs/active/x/prd.md:41: section \"Architecture\" has 512 words, needs 600 [words/section]"
        );
        assert!(text.ends_with(
            "Blocked 1 of at most 3 times in a row; run `cargo xtask gate x` to see every finding with its figures."
        ));

        let many: Vec<Finding> =
            (0..500).map(|i| Finding::fail("words", "section", format!("finding number {i}"))).collect();
        let failures: Vec<Failure> = many.iter().map(|f| (Some("x"), f)).collect();
        let text = stop_reason(&failures, &[("x", "prd")], 2, 3, 2000);
        assert!(text.len() <= 2000, "{}", text.len());
        assert!(text.contains("... and "));
        assert!(text.contains("Blocked 2 of at most 3"));

        // A huge message is cut, and shorter ones after it still fit.
        let huge = Finding::fail("tests", "failed", "x".repeat(5000));
        let failures = [(None, &huge), (Some("x"), &short)];
        let text = stop_reason(&failures, &[("x", "prd")], 1, 3, 2000);
        assert!(text.contains(" ... [tests/failed]") && text.contains("no diagram"), "{text}");
    }

    #[test]
    fn edits_under_the_source_roots_are_denied_only_while_every_workspace_plans() {
        let roots = vec!["src".to_string(), "./lib/".to_string()];
        let planning = vec![("discount-codes".to_string(), Phase::Prd)];
        let reason = edit_denial("src/pkg/prices.py", &roots, &planning).unwrap();
        assert!(reason.contains("specs/active/discount-codes"), "{reason}");
        assert!(reason.contains("phase prd"));
        assert!(edit_denial("lib/x.py", &roots, &planning).is_some());
        assert!(edit_denial("srcs/x.py", &roots, &planning).is_none());
        assert!(edit_denial("specs/active/discount-codes/prd.md", &roots, &planning).is_none());
        assert!(edit_denial("README.md", &roots, &planning).is_none());
        let mixed = vec![("a".to_string(), Phase::Prd), ("b".to_string(), Phase::Implementation)];
        assert!(edit_denial("src/pkg/prices.py", &roots, &mixed).is_none());
        assert!(edit_denial("src/pkg/prices.py", &roots, &[]).is_none());
        let two = vec![("a".to_string(), Phase::Prd), ("b".to_string(), Phase::Prd)];
        assert!(edit_denial("src/x.py", &roots, &two)
            .unwrap()
            .contains("specs/active/a, specs/active/b are at phase prd"));
    }

    #[test]
    fn release_message_says_what_happened() {
        assert!(release_message(3, 2).contains("2 findings still fail; the stop hook blocked 3 times in a row"));
        assert!(release_message(0, 1)
            .contains("1 finding still fails; the stop hook does not block (hook-max-blocks is 0)"));
    }
}
