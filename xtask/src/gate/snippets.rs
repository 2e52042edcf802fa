//! The snippet engine every snippet check shares (the workspace documents'
//! `snippets`, `guides`, the archive's blocks and `cargo xtask snippets`):
//! the python blocks of many documents compile in one helper run, and each
//! referenced file is read once.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::core::checks::snippets::{self as snip, Compiled, PyBlock, RefFile};
use crate::core::finding::Finding;
use crate::core::markdown::Markdown;
use crate::error::{Error, Result};
use crate::gate::par_map;
use crate::host::fs::{read_text, ReadError, MAX_TEXT_BYTES};
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
pub fn check_paths(ctx: &Ctx, paths: &[PathBuf]) -> Result<Vec<Finding>> {
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
    for per_doc in check_docs_with(ctx, &docs, pool)? {
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

/// Markdown files under `dir`: symbolic links are not followed (one leading
/// out of the repository is reported), hidden folders and `target/` skipped.
fn markdown_files(ctx: &Ctx, dir: &Path, findings: &mut Vec<Finding>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name().into_iter().filter_entry(|e| {
        e.depth() == 0 || {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_dir() && (name.starts_with('.') || name == "target" || name == "node_modules"))
        }
    });
    for entry in walker {
        let Ok(entry) = entry else { continue };
        if !is_markdown(entry.path()) {
            continue;
        }
        if entry.file_type().is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&ctx.root) && target.is_file() => out.push(entry.path().to_path_buf()),
                Ok(target) if !target.starts_with(&ctx.root) => findings.push(
                    Finding::fail("snippets", "symlink", "symbolic link out of the repository; not followed")
                        .at(ctx.rel(entry.path()), None),
                ),
                _ => {}
            }
        } else if entry.file_type().is_file() {
            out.push(entry.path().to_path_buf());
        }
    }
    out
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
    Ok(SnippetDoc { file, blocks: snip::extract(&md), require_verified: false })
}

/// Helpers started ahead for a run over `files` documents (none when there is
/// nothing to read). Starting one is not an error yet: only needing it is.
pub fn early_pool(ctx: &Ctx, files: usize) -> Option<Result<Pool>> {
    (files > 0).then(|| python::interpreter(&ctx.root).and_then(|p| Pool::start(&p, Pool::size_for(files))))
}

/// Compile the blocks of every document in one helper run (on helpers
/// started ahead with [`early_pool`] when given), read each referenced file
/// once, and check: findings per document, in order.
pub fn check_docs_with(ctx: &Ctx, docs: &[SnippetDoc], pool: Option<Result<Pool>>) -> Result<Vec<Vec<Finding>>> {
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
    let paths: HashSet<&str> = docs.iter().flat_map(|d| snip::referenced_paths(&d.blocks)).collect();
    let paths: Vec<&str> = paths.into_iter().collect();
    let refs: HashMap<String, RefFile> =
        paths.iter().zip(par_map(&paths, |p| resolve_ref(&ctx.root, p))).map(|(p, r)| (p.to_string(), r)).collect();
    let mut next = results.into_iter();
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let compiled: Vec<Compiled> = doc
            .blocks
            .iter()
            .map(|b| match (&b.skip, b.skip.is_none().then(|| next.next()).flatten()) {
                (None, Some(r)) if r.ok => Compiled::Ok,
                (None, Some(r)) => Compiled::Error { line: r.line, message: r.message },
                _ => Compiled::NotRun,
            })
            .collect();
        out.push(snip::check(&doc.file, &doc.blocks, &compiled, &refs, doc.require_verified));
    }
    Ok(out)
}

/// What is at `rel` (normalized, relative, no `..`) under the canonical `root`.
pub fn resolve_ref(root: &Path, rel: &str) -> RefFile {
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
        Ok(text) => RefFile::Lines(text.lines().map(str::to_string).collect()),
        Err(ReadError::Missing) => RefFile::Missing,
        Err(ReadError::NotAFile) => RefFile::NotAFile,
        Err(ReadError::NotText { line }) => RefFile::NotText { line },
        Err(e) => RefFile::Unreadable { reason: e.describe() },
    }
}
