//! `cargo xtask new-spec NAME... [--complexity LEVEL]`: create
//! `specs/active/<slug>/` with the five documents filled from the templates.
//!
//! The workspace is built in a hidden temporary sibling and published with one
//! rename, so nobody ever sees a half-filled workspace, and of two runs racing
//! on one slug exactly one wins: renaming a folder onto an existing non-empty
//! one fails, and the loser removes its temporary folder.
use std::path::Path;

use serde_json::json;

use crate::cli::Complexity;
use crate::context::Ctx;
use crate::core::markers;
use crate::core::slug::slugify;
use crate::core::tasks;
use crate::core::workspace::{fill, Doc, Fill};
use crate::error::Outcome;
use crate::error::{Error, Result};
use crate::host::fs::{find_ci, remove_stale_temporaries, today_utc, unique};
use crate::host::templates;
use crate::host::workspaces::{self, Location};
use crate::report::JSON_VERSION;

pub fn run(ctx: &Ctx, name: &[String], complexity: Complexity) -> Result<Outcome> {
    let feature = feature_name(name);
    let slug = slugify(&feature);
    if slug.is_empty() {
        return Err(Error::usage(format!(
            "feature name {feature:?} leaves an empty slug (it has no Latin letter or digit); \
             name the feature in words, e.g. `cargo xtask new-spec \"Batch loading\"`"
        )));
    }
    if let Some(existing) = workspaces::find(&ctx.root, Location::Archive, &slug)? {
        return Err(Error::refused(format!(
            "{}/ already exists (an archived workspace); choose another feature name",
            ctx.rel(&existing.path)
        )));
    }
    let active = workspaces::ensure_specs_dir(&ctx.root, Location::Active)?;
    if let Some(existing) = find_ci(&active, &slug) {
        return Err(Error::refused(format!(
            "{}/ already exists; continue it (`cargo xtask recover {slug}`) or choose another feature name",
            ctx.rel(&existing)
        )));
    }
    let templates = templates::load_all(&ctx.root, &templates::folders(&ctx.settings.templates_dir))?;
    let values = Fill { feature: &feature, slug: &slug, date: &today_utc(), complexity: complexity.as_str() };

    // Staging folders of killed runs go first.
    remove_stale_temporaries(&active);
    let staging = active.join(format!(".{slug}.new-{}-{}", std::process::id(), unique()));
    let target = active.join(&slug);
    let built = build(&staging, &templates, &values).and_then(|()| {
        std::fs::rename(&staging, &target).map_err(|e| {
            if target.exists() {
                Error::refused(format!(
                    "{}/ was created by another run at the same moment; continue that one or choose another name",
                    ctx.rel(&target)
                ))
            } else {
                Error::io(&target, &e, "check that specs/active/ is writable")
            }
        })
    });
    if let Err(err) = built {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }

    let rel = ctx.rel(&target);
    let files: Vec<&str> = Doc::ALL.iter().map(|d| d.rel_path()).chain(["tmp/"]).collect();
    // Only what the gate measures: each document's word minimum.
    let rules = crate::gate::documents::load_rules(&ctx.root, &templates::folders(&ctx.settings.templates_dir))?;
    let minimum = |doc: Doc| {
        rules
            .iter()
            .find(|(d, _)| *d == doc)
            .and_then(|(_, r)| r.document_minimum())
            .map_or(String::new(), |n| format!(" ({n}+ words)"))
    };
    let next = format!(
        "write research/analysis.md{} first, then research/plan.md{}, prd.md{} and tasks.md; `cargo xtask gate \
         {slug}` measures them against the templates' rules",
        minimum(Doc::Analysis),
        minimum(Doc::Plan),
        minimum(Doc::Prd),
    );
    // Agent setups often git-ignore specs/: the workspace would then never be
    // committed, nor gated in CI.
    let ignored = crate::host::git::is_ignored(&ctx.root, &format!("{rel}/prd.md")).then(|| {
        format!(
            "{rel}/ is git-ignored: it cannot be committed, nor gated in CI; remove the ignore rule \
             (`git check-ignore -v {rel}/prd.md` names it)"
        )
    });
    if ctx.json {
        let doc = json!({
            "version": JSON_VERSION,
            "ok": true,
            "slug": slug,
            "path": rel,
            "feature": feature,
            "complexity": complexity.as_str(),
            "created": values.date,
            "files": files,
            "next": next,
            "warnings": ignored.iter().collect::<Vec<_>>(),
        });
        crate::outln!("{}", serde_json::to_string_pretty(&doc).expect("JSON values always serialize"));
    } else {
        // Each folder the templates came from, in order (`specs/template-spec/`, `built-in`).
        let mut folders: Vec<String> = Vec::new();
        for t in &templates {
            let folder = match t.source.strip_suffix(t.doc.rel_path()) {
                Some(dir) if t.source != "built-in" => dir.to_string(),
                _ => "the built-in templates".to_string(),
            };
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        let source = folders.join(" and ");
        crate::outln!("created {rel}/ from {source}: {}", files.join(", "));
        crate::outln!("next: {next}");
        if let Some(warning) = &ignored {
            eprintln!("warning: {warning}");
        }
    }
    Ok(Outcome::Success)
}

/// The words of the command line as one name, with control characters (a
/// newline would break the documents' headings) turned into spaces.
fn feature_name(words: &[String]) -> String {
    let joined = words.join(" ");
    let cleaned: String = joined.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fill `dir` (which must not exist) with the workspace: five documents,
/// `research/` and `tmp/`.
fn build(dir: &Path, templates: &[templates::Template], values: &Fill) -> Result<()> {
    let io = |path: &Path, e: std::io::Error| Error::io(path, &e, "check that specs/active/ is writable");
    std::fs::create_dir(dir).map_err(|e| io(dir, e))?;
    for sub in ["research", "tmp"] {
        let path = dir.join(sub);
        std::fs::create_dir(&path).map_err(|e| io(&path, e))?;
    }
    for template in templates {
        let mut text = fill(&template.text, values);
        if template.doc == Doc::Tasks {
            let progress = tasks::parse(&text).progress_block();
            // A custom template without the markers gets the block appended;
            // one with a broken pair is refused, not guessed at.
            text = markers::replace(&text, "progress", &progress).map_err(|b| {
                Error::usage(format!("{}:{}: {}; fix the template", template.source, b.line, b.message))
            })?;
        }
        let path = dir.join(template.doc.rel_path());
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line() {
        assert_eq!(
            feature_name(&["Café".into(), "Ünïcode:\nbatch\t loading!!".into()]),
            "Café Ünïcode: batch loading!!"
        );
        assert_eq!(feature_name(&[]), "");
    }
}
