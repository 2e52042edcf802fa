//! The gate's repository checks of the later phases: `guides` (docs), and
//! `rules` and `env-templates` (qa), and the archive's snippets (main job).
//! Each takes facts from the repository (the change, files) and hands them to
//! its pure check in `core::checks`.
use std::path::Path;

use crate::context::Ctx;
use crate::core::checks::{env_templates, rules as rule_check};
use crate::core::diff::ChangedFile;
use crate::core::finding::Finding;
use crate::core::glob;
use crate::core::quality_gates;
use crate::error::Result;
use crate::gate::facts::Facts;
use crate::gate::python;
use crate::gate::snippets;
use crate::host::fs::read_text;
use crate::host::git;

/// Files larger than this are not read for added lines (generated data, not code).
const MAX_CHANGED_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// `guides`: the python blocks of `specs/guides/**.md` compile and their
/// `# VERIFIED:` references resolve and match (a `# VERIFIED:` line is not
/// required in guides).
pub fn guides(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    guides_findings(ctx, facts.base())
}

/// The `guides` findings, `@base` references read at the merge base with
/// `base` (also used by `cargo test` on this repository).
pub fn guides_findings(ctx: &Ctx, base: Option<&str>) -> Result<Vec<Finding>> {
    let dir = ctx.specs().join("guides");
    if !dir.is_dir() {
        return Ok(vec![Finding::pass("guides", "compile", "no specs/guides/ folder: no guides to check")]);
    }
    let mut findings = snippets::check_paths(ctx, &[dir], base)?;
    for f in &mut findings {
        f.id = "guides".to_string();
    }
    Ok(findings)
}

/// In the main job only (a bare `gate`): the python blocks of the archived
/// workspaces still compile and their `# VERIFIED:` references resolve, so the
/// examples newcomers read stay true. Reported as `snippets` findings.
pub fn archived_snippets(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let dir = ctx.specs().join("archive");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    snippets::check_paths(ctx, &[dir], facts.base())
}

/// `rules`: the anti-pattern rules of the settings, and those of
/// specs/guides/quality-gates.yaml, over the added lines of the modified
/// files. The file's rules the regex engine cannot take are reported as
/// skipped, by name.
pub fn rules(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let rules = &ctx.settings.rules;
    let gates = ctx.settings.quality_gates.gates();
    let gate_rules = gates.map(|q| q.rules.as_slice()).unwrap_or_default();
    let mut out: Vec<Finding> = gates
        .into_iter()
        .flat_map(|q| &q.skipped_rules)
        .map(|s| {
            Finding::skip(rule_check::ID, &s.name, format!("skipped: {}", s.reason))
                .at(quality_gates::FILE, Some(s.line))
        })
        .collect();
    if rules.is_empty() && gate_rules.is_empty() {
        out.push(Finding::skip(
            rule_check::ID,
            "enabled",
            "no anti-pattern rules enabled (set `rules-enabled` or `[[workspace.metadata.xtask.rules]]`, or declare rules in specs/guides/quality-gates.yaml)",
        ));
        return Ok(out);
    }
    let wanted = |path: &str| {
        rules.iter().any(|r| glob::selected(path, &r.include, &r.exclude))
            || gate_rules.iter().any(|r| glob::selected(path, &r.include, &[]))
    };
    let Some(files) = changed_files(ctx, facts, wanted)? else {
        out.push(Finding::skip(rule_check::ID, "changes", "not a git work tree: no added lines to check"));
        return Ok(out);
    };
    out.extend(rule_check::check(rules, &files));
    out.extend(quality_gates::check_rules(gate_rules, &files));
    Ok(out)
}

/// `env-templates`: environment variables read on added lines of modified
/// Python files (tests left out: they set up, not configure) appear in the
/// configured config templates.
pub fn env_templates(ctx: &Ctx, facts: &Facts) -> Result<Vec<Finding>> {
    let (globs, patterns) = (&ctx.settings.env_templates, &ctx.settings.env_patterns);
    let Some(globs) = globs else {
        return Ok(vec![Finding::skip(
            env_templates::ID,
            "templates",
            "no config templates configured (set `env-templates`, e.g. [\"templates/conf/*.template*\"])",
        )]);
    };
    let templates = read_globbed(&ctx.root, globs);
    if templates.is_empty() {
        return Ok(vec![Finding::fail(
            env_templates::ID,
            "templates",
            format!("no file matches the config templates {}; fix `env-templates`", globs.join(", ")),
        )]);
    }
    let code = |path: &str| path.ends_with(".py") && !ctx.settings.is_test_code(path);
    let Some(files) = changed_files(ctx, facts, code)? else {
        return Ok(vec![Finding::skip(env_templates::ID, "changes", "not a git work tree: no added lines to check")]);
    };
    Ok(env_templates::check(patterns, &files, &templates))
}

/// The modified files `wanted` selects, with their added lines; None outside git.
fn changed_files(ctx: &Ctx, facts: &Facts, wanted: impl Fn(&str) -> bool) -> Result<Option<Vec<ChangedFile>>> {
    if !git::is_repo(&ctx.root)? {
        return Ok(None);
    }
    let changes = facts.changes()?;
    let paths: Vec<String> =
        changes.files.iter().filter(|p| wanted(p) && python::is_project_file(ctx, p)).cloned().collect();
    let added = facts.added_lines()?;
    let mut out = Vec::new();
    for path in paths {
        let Some(numbers) = added.get(&path) else { continue };
        let Some(text) = read_small_text(&ctx.root.join(&path)) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        let added = numbers.iter().filter_map(|&n| lines.get(n.wrapping_sub(1)).map(|l| (n, l.to_string()))).collect();
        out.push(ChangedFile { path, added });
    }
    Ok(Some(out))
}

fn read_small_text(path: &Path) -> Option<String> {
    read_text(path, MAX_CHANGED_FILE_BYTES).ok()
}

/// (relative path, text) of every file under `root` matching one of `globs`.
/// Each glob is walked from its literal folder prefix, links not followed.
fn read_globbed(root: &Path, globs: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for g in globs {
        let literal: Vec<&str> = g.split('/').take_while(|seg| !seg.contains(['*', '?', '['])).collect();
        // The last segment of a glob without wildcards is the file itself.
        let prefix = if literal.len() == g.split('/').count() { &literal[..literal.len() - 1] } else { &literal[..] };
        let start = root.join(prefix.join("/"));
        for entry in walkdir::WalkDir::new(&start).follow_links(false).into_iter().filter_map(|e| e.ok()) {
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = crate::context::rel_to(root, entry.path());
            if glob::matches(g, &rel) && !out.iter().any(|(p, _)| *p == rel) {
                if let Some(text) = read_small_text(entry.path()) {
                    out.push((rel, text));
                }
            }
        }
    }
    out.sort();
    out
}
