//! `cargo xtask status SLUG [--json]`: one workspace on one screen: phase, every
//! rule of its phase measured against what is required (bars for word counts),
//! task progress, the last gate and the next step. The document checks run
//! live (they need no Python tools); the repository checks that failed
//! (git-clean, tests, coverage, ...) and the workspace's claims judged
//! against them ("criteria proven n/m", "tasks with evidence n/m") are shown
//! from the last gate's ledger.
use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::context::Ctx;
use crate::core::finding::{Finding, Status};
use crate::core::ledger::Entry;
use crate::core::rules::{Rule, TemplateRules};
use crate::core::workspace::{summarize, Summary};
use crate::error::Outcome;
use crate::error::Result;
use crate::gate;
use crate::host::workspaces;
use crate::report::{Style, WorkspaceReport, JSON_VERSION};

pub fn run(ctx: &Ctx, slug: &str) -> Result<Outcome> {
    let ws = workspaces::find_active(&ctx.root, slug)?;
    // The documents and templates are read once: the live checks and the
    // summary see the same bytes.
    let (live, texts, rules) = gate::document_report(ctx, &ws.name)?;
    let texts = texts.unwrap_or_else(|| workspaces::read(&ctx.root, &ws));
    let summary = summarize(&texts);
    let (claims, repository) = from_ledger(texts.ledger.as_deref(), &live);
    let next = next_step(&summary, &live, &repository, &claims);
    let provenance: Vec<serde_json::Value> = rules
        .iter()
        .flat_map(|(doc, r)| {
            r.rules.iter().map(move |d| {
                json!({
                    "document": doc.rel_path(),
                    "rule": what(r, &d.rule),
                    "section": d.rule.section().map(|(s, _)| s.trim().to_string()),
                    "from": format!("{}:{}", r.source, d.line),
                    "template": r.text_source.as_deref().unwrap_or(&r.source),
                })
            })
        })
        .collect();
    if ctx.json {
        let doc = json!({
            "version": JSON_VERSION,
            "ok": !live.checks.iter().any(Finding::is_fail),
            "slug": ws.name,
            "phase": live.phase,
            "title": summary.title,
            "created": summary.created,
            "tasks": summary.tasks.map(|t| json!({"total": t.total, "done": t.done, "not_applicable": t.not_applicable, "open": t.open, "blocked": t.blocked})),
            "last_gate": summary.gate.as_ref().map(|g| json!({"time": g.time, "phase": g.phase, "ok": g.ok, "failed": g.failed, "stale": !g.changed.is_empty(), "changed": g.changed})),
            "checks": live.checks.iter().map(Finding::to_json).collect::<Vec<_>>(),
            "claims": claims.iter().map(Finding::to_json).collect::<Vec<_>>(),
            "repository": repository.iter().map(Finding::to_json).collect::<Vec<_>>(),
            "next": next,
            "rules": provenance,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
    } else {
        crate::out!("{}", render(&ws.name, &summary, &live, (&repository, &claims), &next, &ctx.style));
        for (doc, r) in &rules {
            if r.rules.is_empty() {
                continue;
            }
            let from = match &r.text_source {
                Some(own) => format!("{} ({own} declares none)", r.source),
                None => r.source.clone(),
            };
            let each: Vec<String> = r
                .rules
                .iter()
                .map(|d| match d.rule.section() {
                    Some((section, _)) => format!("{}: {} (:{})", section.trim(), what(r, &d.rule), d.line),
                    None => format!("{} (:{})", what(r, &d.rule), d.line),
                })
                .collect();
            crate::outln!("rules of {}: from {from}: {}", doc.rel_path(), each.join(", "));
        }
    }
    Ok(Outcome::from_ok(!live.checks.iter().any(Finding::is_fail)))
}

/// What the last gate judged that `status` does not measure itself (it
/// gathers neither the test run nor the change): the workspace's claims (the
/// `proven` and `evidence` findings of its ledger), and the repository
/// checks that failed (a source file changed while planning, failing tests).
fn from_ledger(ledger: Option<&str>, live: &WorkspaceReport) -> (Vec<Finding>, Vec<Finding>) {
    let Some(entry) = ledger.and_then(Entry::from_json) else { return (Vec::new(), Vec::new()) };
    let live_ids: HashSet<&str> = live.checks.iter().map(|f| f.id.as_str()).collect();
    let (claims, rest): (Vec<Finding>, Vec<Finding>) =
        entry.findings.into_iter().partition(|f| f.id == "proven" || f.id == "evidence");
    // Judged at another phase, they may not apply any more (git-clean runs
    // only while planning).
    let same_phase = entry.phase == live.phase;
    let repository =
        rest.into_iter().filter(|f| same_phase && f.is_fail() && !live_ids.contains(f.id.as_str())).collect();
    (claims, repository)
}

/// What a rule asks, a document's word minimum as the gate measures it
/// (the larger of its own and its sections' sum).
fn what(r: &TemplateRules, rule: &Rule) -> String {
    match (rule, r.document_minimum()) {
        (Rule::DocumentWords { min }, Some(effective)) if effective > *min => {
            format!("{effective}+ words (the sections' minimums add up to more than the {min} declared)")
        }
        _ => rule.describe(),
    }
}

/// The one thing to do next.
fn next_step(summary: &Summary, live: &WorkspaceReport, repository: &[Finding], claims: &[Finding]) -> String {
    let first = live.checks.iter().find(|f| f.is_fail()).map(|f| (f, false));
    if let Some((f, from_ledger)) =
        first.or_else(|| repository.iter().chain(claims).find(|f| f.is_fail()).map(|f| (f, true)))
    {
        let at = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{file}:{line}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        // What only the last gate saw may be fixed already.
        let again = if from_ledger {
            format!(" (as the last gate found; `cargo xtask gate {}` checks again)", live.slug)
        } else {
            String::new()
        };
        return format!("fix [{}] {at}{}{again}", f.id, f.message);
    }
    match &summary.gate {
        Some(g) if g.ok && g.changed.is_empty() => {
            format!(
                "documents pass at phase {}; move **Current Phase** forward when the phase's work is done",
                live.phase
            )
        }
        _ => format!(
            "documents pass; run `cargo xtask gate {}` for the repository checks of phase {}",
            live.slug, live.phase
        ),
    }
}

const BAR: usize = 20;

/// More failures than this of one rule in one file fold into one line.
const FOLD: usize = 3;

/// `[########----]` filled to `measured / required`, capped at full.
fn bar(measured: f64, required: f64) -> String {
    let filled =
        if required <= 0.0 { BAR } else { ((measured / required) * BAR as f64).clamp(0.0, BAR as f64) as usize };
    format!("[{}{}]", "#".repeat(filled), "-".repeat(BAR - filled))
}

fn figure(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

pub fn render(
    slug: &str,
    s: &Summary,
    live: &WorkspaceReport,
    (repository, claims): (&[Finding], &[Finding]),
    next: &str,
    style: &Style,
) -> String {
    let mut out = String::new();
    let title = s.title.as_deref().unwrap_or("(no title)");
    out.push_str(&format!("{} {}\n", style.bold(&format!("specs/active/{slug}")), title));
    out.push_str(&format!("phase: {}   created: {}\n", live.phase, s.created.as_deref().unwrap_or("unknown")));
    match s.tasks {
        Some(t) => out.push_str(&format!(
            "tasks: {} {}/{} closed ({} done, {} not applicable, {} open, {} blocked)\n",
            bar(t.closed() as f64, t.total.max(1) as f64),
            t.closed(),
            t.total,
            t.done,
            t.not_applicable,
            t.open,
            t.blocked
        )),
        None => out.push_str("tasks: tasks.md not readable\n"),
    }
    match &s.gate {
        None => out.push_str("last gate: never run\n"),
        Some(g) => {
            let verdict =
                if g.ok { style.green("passed") } else { style.red(&format!("failed ({} findings)", g.failed)) };
            let stale = if g.changed.is_empty() {
                String::new()
            } else {
                style.yellow(&format!(" stale: {} changed since", g.changed.join(", ")))
            };
            out.push_str(&format!("last gate: {} at phase {}: {verdict}{stale}\n", g.time, g.phase));
        }
    }
    out.push_str(&format!("\nrules at phase {} (measured / required):\n", live.phase));
    out.push_str(&rule_lines(slug, &live.checks, true, style));
    if let (Some(g), false) = (&s.gate, repository.is_empty()) {
        out.push_str(&format!("\nrepository checks that failed at the last gate ({}, phase {}):\n", g.time, g.phase));
        out.push_str(&rule_lines(slug, repository, true, style));
    }
    // The claims, as the last gate judged them: the figures, then what fails.
    match &s.gate {
        Some(g) if !claims.is_empty() => {
            let stale = if g.changed.is_empty() { String::new() } else { " (stale)".to_string() };
            out.push_str(&format!("\nclaims judged by the last gate ({}, phase {}){stale}:\n", g.time, g.phase));
            let shown: Vec<Finding> =
                claims.iter().filter(|f| f.rule == "summary" || f.status != Status::Pass).cloned().collect();
            // Each criterion and task keeps its line: they are what to work on.
            out.push_str(&rule_lines(slug, &shown, false, style));
        }
        _ => out.push_str(&format!(
            "\nclaims: criteria proven and tasks with evidence are judged by `cargo xtask gate {slug}`\n"
        )),
    }
    out.push_str(&format!("\nnext: {next}\n"));
    out
}

/// One line per finding (with `fold`, many failures of one rule in one file
/// fold into one line).
fn rule_lines(slug: &str, checks: &[Finding], fold: bool, style: &Style) -> String {
    // Many failures of one rule in one file (placeholders, say) fold into
    // one line, so the dashboard stays one screen. Rules with a minimum keep
    // one line each: those are the bars. Counted once, so thousands of
    // findings stay cheap.
    type Key<'k> = (&'k str, &'k str, Option<&'k str>);
    fn key(f: &Finding) -> Option<Key<'_>> {
        let foldable = f.is_fail() && f.required.is_none_or(|r| r <= 0.0);
        foldable.then_some((f.id.as_str(), f.rule.as_str(), f.file.as_deref()))
    }
    let mut same: HashMap<Key, usize> = HashMap::new();
    for k in checks.iter().filter_map(key) {
        *same.entry(k).or_default() += 1;
    }
    let mut out = String::new();
    let mut shown: HashSet<Key> = HashSet::new();
    for f in checks {
        let folded = key(f).map(|k| (k, same[&k])).filter(|&(_, n)| fold && n > FOLD);
        if let Some((k, _)) = folded {
            if !shown.insert(k) {
                continue;
            }
        }
        let mark = match f.status {
            Status::Pass => style.green("ok  "),
            Status::Fail => style.red("FAIL"),
            Status::Skip => style.yellow("skip"),
        };
        let place = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{}:{line}", short(file, slug)),
            (Some(file), None) => short(file, slug),
            _ => String::new(),
        };
        let numbers = match (f.measured, f.required) {
            // A minimum: a bar shows how far along it is.
            (Some(m), Some(r)) if r > 0.0 => format!(" {} {}/{}", bar(m, r), figure(m), figure(r)),
            (Some(m), Some(r)) => format!(" {} (at most {})", figure(m), figure(r)),
            _ => String::new(),
        };
        let message = if let Some((_, n)) = folded {
            format!("{n} findings like this one; `cargo xtask gate {slug}` lists each: {}", f.message)
        } else {
            f.message.clone()
        };
        out.push_str(&format!("  {mark} {:<12} {place}{numbers}  {message}\n", f.id));
    }
    out
}

/// A workspace file without the `specs/active/SLUG/` prefix.
fn short(file: &str, slug: &str) -> String {
    file.strip_prefix(&format!("specs/active/{slug}/")).unwrap_or(file).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert_eq!(bar(0.0, 10.0), format!("[{}]", "-".repeat(BAR)));
        assert_eq!(bar(5.0, 10.0), format!("[{}{}]", "#".repeat(10), "-".repeat(10)));
        assert_eq!(bar(50.0, 10.0), format!("[{}]", "#".repeat(BAR)));
        assert_eq!(bar(1.0, 0.0), format!("[{}]", "#".repeat(BAR)));
    }

    #[test]
    fn renders_measured_against_required() {
        let live = WorkspaceReport {
            slug: "x".into(),
            phase: "prd".into(),
            checks: vec![
                Finding::fail("words", "section", "section \"Overview\" has 150 words, needs 300")
                    .at("specs/active/x/prd.md", Some(29))
                    .measure(150.0, 300.0),
                Finding::pass("criteria", "items", "8 criteria")
                    .at("specs/active/x/prd.md", Some(152))
                    .measure(8.0, 8.0),
            ],
        };
        let text = render("x", &Summary::default(), &live, (&[], &[]), "fix it", &Style::default());
        assert!(text.contains("FAIL words        prd.md:29 [##########----------] 150/300"), "{text}");
        assert!(text.contains("ok   criteria     prd.md:152 [####################] 8/8"), "{text}");
        assert!(text.contains("last gate: never run"));
    }
}
