//! The snippet engine every snippet check shares (the workspace documents'
//! `snippets`, `guides`, the archive's blocks and `cargo xtask snippets`):
//! the python blocks of many documents compile in one helper run, and each
//! referenced file is read once.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::core::checks::snippets::{self as snip, Compiled, PyBlock, RefFile};
use crate::core::finding::Finding;
use crate::core::markdown::{lines, Markdown};
use crate::core::workspace::{ArchiveRecord, ARCHIVE_RECORD};
use crate::error::{Error, Result};
use crate::gate::par_map;
use crate::host::fs::{physical_path, read_text, ReadError, MAX_TEXT_BYTES};
use crate::host::git;
use crate::host::python::{self, CodeRef, Pool};

/// The python blocks of one markdown file.
#[derive(Debug, Clone)]
pub struct SnippetDoc {
    /// Relative to the root, for findings.
    pub file: String,
    pub blocks: Vec<PyBlock>,
    /// Every block needs a `# VERIFIED:` line (workspace documents whose
    /// template says `verified-snippets`).
    pub require_verified: bool,
}

/// Findings for the markdown under `paths` (default `specs/`).
pub fn check_paths(ctx: &Ctx, paths: &[PathBuf], base: Option<&str>) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let files = if paths.is_empty() {
        let specs = ctx.specs();
        if !specs.is_dir() {
            return Ok(vec![Finding::pass("snippets", "compile", "no specs/ folder: no markdown to check")]);
        }
        markdown_files(ctx, &specs, &mut findings)
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| ctx.root.clone());
        let mut files = Vec::new();
        for p in paths {
            let full = if p.is_absolute() { p.clone() } else { cwd.join(p) };
            let canon = full
                .canonicalize()
                .map_err(|e| Error::usage(format!("{}: {e}; pass existing markdown files or folders", p.display())))?;
            if !canon.starts_with(&ctx.root) {
                return Err(Error::usage(format!(
                    "{}: outside the repository {}; pass paths inside it",
                    p.display(),
                    ctx.root.display()
                )));
            }
            if canon.is_dir() {
                files.extend(markdown_files(ctx, &canon, &mut findings));
            } else {
                files.push(canon);
            }
        }
        files.sort();
        files.dedup();
        files
    };
    let pool = early_pool(ctx, files.len());
    let read: Vec<std::result::Result<SnippetDoc, Box<Finding>>> = par_map(&files, |path| read_doc(ctx, path));
    let mut docs = Vec::new();
    for r in read {
        match r {
            Ok(doc) => docs.push(doc),
            Err(f) => findings.push(*f),
        }
    }
    let blocks: usize = docs.iter().map(|d| d.blocks.len()).sum();
    for per_doc in check_docs_with(ctx, &docs, pool, base)? {
        findings.extend(per_doc);
    }
    if findings.iter().all(|f| !f.is_fail()) {
        findings.retain(|f| f.status != crate::core::finding::Status::Pass);
        findings.push(Finding::pass(
            "snippets",
            "compile",
            format!("{blocks} python blocks in {} markdown files: all compile and match their references", files.len()),
        ));
    }
    Ok(findings)
}

/// Markdown files under `dir`, as git sees the tree when `dir` is in a work
/// tree (tracked files and untracked ones not ignored, hidden folders such as
/// `.claude/` included); elsewhere every folder but `.git` and environments.
/// Symbolic links are not followed (one leading out of the repository is
/// reported).
fn markdown_files(ctx: &Ctx, dir: &Path, findings: &mut Vec<Finding>) -> Vec<PathBuf> {
    let candidates = match git::files_under(dir) {
        Some(files) => files,
        None => walk(dir),
    };
    let mut out = Vec::new();
    for path in candidates.into_iter().filter(|p| is_markdown(p)) {
        let Ok(meta) = path.symlink_metadata() else { continue };
        if meta.file_type().is_symlink() {
            match path.canonicalize() {
                Ok(target) if target.starts_with(&ctx.root) && target.is_file() => out.push(path),
                Ok(target) if !target.starts_with(&ctx.root) => findings.push(
                    Finding::fail("snippets", "symlink", "symbolic link out of the repository; not followed")
                        .at(ctx.rel(&path), None),
                ),
                _ => {}
            }
        } else if meta.is_file() {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Folders a walk outside git skips: git's own and environments.
const NOT_WALKED: [&str; 7] = [".git", ".venv", "venv", "node_modules", ".tox", "__pycache__", "target"];

/// Every file under `dir` but those in [`NOT_WALKED`] folders, links not followed.
fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !(e.file_type().is_dir() && NOT_WALKED.contains(&&*e.file_name().to_string_lossy()))
        })
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect()
}

fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Read and parse one markdown file for `snippets PATH`.
fn read_doc(ctx: &Ctx, path: &Path) -> std::result::Result<SnippetDoc, Box<Finding>> {
    let file = ctx.rel(path);
    let text = read_text(path, MAX_TEXT_BYTES).map_err(|e| {
        let (rule, message, line) = match e {
            ReadError::NotAFile => ("not-a-file", "not a regular file".to_string(), None),
            ReadError::TooLarge { .. } => ("too-large", e.describe(), None),
            ReadError::NotText { line } => {
                ("not-text", "not UTF-8 text (binary data or another encoding); save it as UTF-8".into(), Some(line))
            }
            ReadError::Missing | ReadError::Io(_) => ("unreadable", e.describe(), None),
        };
        Box::new(Finding::fail("snippets", rule, message).at(&file, line))
    })?;
    let md = Markdown::parse(&text);
    let mut blocks = snip::extract(&md);
    if let Some(at) = archived_at(ctx, path) {
        snip::pin_references(&mut blocks, at.as_deref());
    }
    Ok(SnippetDoc { file, blocks, require_verified: false })
}

/// For a document of an archived workspace (`specs/archive/<slug>/...`): the
/// commit its archive record names (None when it names none: its references
/// are then only compiled). None for any other document.
fn archived_at(ctx: &Ctx, path: &Path) -> Option<Option<String>> {
    let rel = path.strip_prefix(ctx.specs().join("archive")).ok()?;
    let slug = rel.components().next()?;
    if rel.components().count() < 2 {
        return None;
    }
    let record = ctx.specs().join("archive").join(slug).join(ARCHIVE_RECORD);
    let text = read_text(&record, MAX_TEXT_BYTES).ok();
    Some(text.and_then(|t| ArchiveRecord::parse(&t).commit))
}

/// Helpers started ahead for a run over `files` documents (none when there is
/// nothing to read). Starting one is not an error yet: only needing it is.
pub fn early_pool(ctx: &Ctx, files: usize) -> Option<Result<Pool>> {
    (files > 0).then(|| python::interpreter(&ctx.root).and_then(|p| Pool::start(&p, Pool::size_for(files))))
}

/// Compile the blocks of every document in one helper run (on helpers
/// started ahead with [`early_pool`] when given), read each referenced file
/// once, and check: findings per document, in order.
pub fn check_docs_with(
    ctx: &Ctx,
    docs: &[SnippetDoc],
    pool: Option<Result<Pool>>,
    base: Option<&str>,
) -> Result<Vec<Vec<Finding>>> {
    // `@base` references and drifted quotes are read at the merge base with
    // `base` (`--base`, else the default branch), found once and only if asked.
    let base_commit = std::cell::OnceCell::new();
    let base_commit = || -> Option<String> {
        base_commit
            .get_or_init(|| crate::host::changes::resolve_base(&ctx.root, base).ok().flatten().map(|b| b.commit))
            .clone()
    };
    let mut jobs = Vec::new();
    for doc in docs {
        for block in doc.blocks.iter().filter(|b| b.skip.is_none()) {
            jobs.push(CodeRef { display_path: &doc.file, code: &block.code, first_line: block.first_line - 1 });
        }
    }
    let results = match (jobs.is_empty(), pool) {
        (true, _) => Vec::new(),
        (false, Some(pool)) => pool?.compile_code(&jobs, ctx.settings.python_min)?,
        (false, None) => python::compile_code(&python::interpreter(&ctx.root)?, &jobs, ctx.settings.python_min)?,
    };
    let refs = read_refs(ctx, docs, &base_commit);
    let compiled: Vec<Vec<Compiled>> = {
        let mut next = results.into_iter();
        docs.iter()
            .map(|doc| {
                doc.blocks
                    .iter()
                    .map(|b| match (&b.skip, b.skip.is_none().then(|| next.next()).flatten()) {
                        (None, Some(r)) if r.ok => Compiled::Ok,
                        (None, Some(r)) => Compiled::Error { line: r.line, message: r.message },
                        _ => Compiled::NotRun,
                    })
                    .collect()
            })
            .collect()
    };
    let compiled = recompile_quotes_in_context(ctx, docs, compiled, &refs)?;
    let mut out: Vec<Vec<Finding>> = docs
        .iter()
        .zip(&compiled)
        .map(|(doc, c)| snip::check(&doc.file, &doc.blocks, c, &refs, doc.require_verified))
        .collect();
    // A quote that drifted may be one the change itself rewrote: read the
    // base only then, and say so.
    let drifted = |f: &Vec<Finding>| f.iter().any(|f| f.rule == "drift");
    if out.iter().any(drifted) {
        if let Some(base) = base_refs(ctx, docs, &base_commit) {
            // A quote of a method that matches at the base compiles there, in
            // its enclosing def/class: no compile error beside the drift.
            let compiled = recompile_quotes_in_context(ctx, docs, compiled, &base.refs)?;
            let redo: Vec<usize> = (0..docs.len()).filter(|&i| drifted(&out[i])).collect();
            for i in redo {
                let doc = &docs[i];
                out[i] = snip::check_with_base(
                    &doc.file,
                    &doc.blocks,
                    &compiled[i],
                    &refs,
                    Some(&base),
                    doc.require_verified,
                );
            }
        }
    }
    Ok(out)
}

/// A block that failed to compile on its own but quotes its references
/// exactly is real code: compiled again inside its enclosing `def`/`class`
/// (core::checks::snippets::in_context), and that verdict stands.
fn recompile_quotes_in_context(
    ctx: &Ctx,
    docs: &[SnippetDoc],
    mut compiled: Vec<Vec<Compiled>>,
    refs: &HashMap<String, RefFile>,
) -> Result<Vec<Vec<Compiled>>> {
    let mut again: Vec<(usize, usize, String, usize)> = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for (b, block) in doc.blocks.iter().enumerate() {
            if matches!(compiled[d][b], Compiled::Error { .. }) {
                if let Some((code, headers)) = snip::in_context(block, refs) {
                    again.push((d, b, code, headers));
                }
            }
        }
    }
    if again.is_empty() {
        return Ok(compiled);
    }
    let jobs: Vec<CodeRef> =
        again.iter().map(|(d, _, code, _)| CodeRef { display_path: &docs[*d].file, code, first_line: 0 }).collect();
    let results = python::compile_code(&python::interpreter(&ctx.root)?, &jobs, ctx.settings.python_min)?;
    for ((d, b, _, headers), r) in again.iter().zip(results) {
        let first = docs[*d].blocks[*b].first_line;
        compiled[*d][*b] = if r.ok {
            Compiled::Ok
        } else {
            // Lines of the headers are the file's; the block's map back to markdown.
            let line = r.line.map(|l| if l > *headers { first + l - headers - 1 } else { first });
            Compiled::Error { line, message: r.message }
        };
    }
    Ok(compiled)
}

/// Every file the documents reference, read once: working-tree files from
/// disk, files at a revision through git (`base` is the merge base).
fn read_refs(ctx: &Ctx, docs: &[SnippetDoc], base_commit: &dyn Fn() -> Option<String>) -> HashMap<String, RefFile> {
    let wanted: HashSet<(&str, Option<&str>)> = docs.iter().flat_map(|d| snip::referenced_paths(&d.blocks)).collect();
    let (at_rev, on_disk): (Vec<_>, Vec<_>) = wanted.into_iter().partition(|(_, rev)| rev.is_some());
    let paths: Vec<&str> = on_disk.iter().map(|(p, _)| *p).collect();
    let mut refs: HashMap<String, RefFile> =
        paths.iter().zip(par_map(&paths, |p| resolve_ref(&ctx.root, p))).map(|(p, r)| (p.to_string(), r)).collect();
    if at_rev.is_empty() {
        return refs;
    }
    let base = at_rev.iter().any(|(_, r)| *r == Some("base")).then(base_commit).flatten();
    let specs: Vec<String> = at_rev
        .iter()
        .map(|(path, rev)| {
            let rev = rev.expect("partitioned on rev");
            let rev = if rev == "base" { base.as_deref().unwrap_or("base") } else { rev };
            format!("{rev}:{path}")
        })
        .collect();
    let objects = git::cat_files(&ctx.root, &specs).unwrap_or_default();
    for (i, (path, rev)) in at_rev.iter().enumerate() {
        let found = objects.get(i).cloned().unwrap_or(git::Object::Missing);
        refs.insert(snip::ref_key(path, *rev), ref_file(found));
    }
    refs
}

/// The unpinned referenced files of `docs` at the base.
fn base_refs(ctx: &Ctx, docs: &[SnippetDoc], base_commit: &dyn Fn() -> Option<String>) -> Option<snip::BaseRefs> {
    let commit = base_commit()?;
    let paths: HashSet<&str> = docs
        .iter()
        .flat_map(|d| snip::referenced_paths(&d.blocks))
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p)
        .collect();
    let paths: Vec<&str> = paths.into_iter().collect();
    let specs: Vec<String> = paths.iter().map(|p| format!("{commit}:{p}")).collect();
    let objects = git::cat_files(&ctx.root, &specs).ok()?;
    let refs = paths.iter().zip(objects).map(|(p, o)| (p.to_string(), ref_file(o))).collect();
    Some(snip::BaseRefs { commit: commit.chars().take(12).collect(), refs })
}

/// A git object as the snippet check reads a referenced file. Its lines end
/// where Python's do: at `\n`, `\r\n` or a lone `\r`.
fn ref_file(object: git::Object) -> RefFile {
    match object {
        git::Object::Missing => RefFile::Missing,
        git::Object::NotAFile => RefFile::NotAFile,
        git::Object::Blob(bytes) => match crate::host::fs::decode(bytes) {
            Ok(text) => RefFile::Lines(lines(&text).map(str::to_string).collect()),
            Err(ReadError::NotText { line }) => RefFile::NotText { line },
            Err(e) => RefFile::Unreadable { reason: e.describe() },
        },
    }
}

/// What is at `rel` (normalized, relative, no `..`) under the canonical `root`.
pub fn resolve_ref(root: &Path, rel: &str) -> RefFile {
    // A link out of the repository, even one to nothing, is refused before
    // anything is said of what is out there.
    match physical_path(root, rel) {
        None => return RefFile::Unreadable { reason: "a symlink loop (a symbolic link that leads to itself)".into() },
        Some(p) if !p.starts_with(root) => return RefFile::OutsideRoot,
        Some(_) => {}
    }
    let path = root.join(rel);
    if let Err(e) = path.symlink_metadata() {
        return match e.kind() {
            std::io::ErrorKind::NotFound => RefFile::Missing,
            _ => RefFile::Unreadable { reason: e.to_string() },
        };
    }
    let canon = match path.canonicalize() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return RefFile::Missing,
        Err(e) => return RefFile::Unreadable { reason: e.to_string() },
    };
    if !canon.starts_with(root) {
        return RefFile::OutsideRoot;
    }
    match read_text(&canon, MAX_TEXT_BYTES) {
        Ok(text) => RefFile::Lines(lines(&text).map(str::to_string).collect()),
        Err(ReadError::Missing) => RefFile::Missing,
        Err(ReadError::NotAFile) => RefFile::NotAFile,
        Err(ReadError::NotText { line }) => RefFile::NotText { line },
        Err(e) => RefFile::Unreadable { reason: e.describe() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_git_every_folder_but_git_and_environments_is_walked() {
        let dir = std::env::temp_dir().join(format!("xtask-walk-{}", std::process::id()));
        for rel in [".claude/a.md", ".git/b.md", ".venv/c.md", "venv/d.md", "node_modules/e.md", "x/.tox/f.md", "g.md"]
        {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let mut got: Vec<String> =
            walk(&dir).iter().map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned()).collect();
        got.sort();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(got, [".claude/a.md", "g.md"]);
    }
}
