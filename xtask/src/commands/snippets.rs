//! `cargo xtask snippets [PATH...]`: the python blocks of any markdown files or
//! folders (default `specs/`) compile, and their `# VERIFIED:` references
//! resolve and match (a `# VERIFIED:` line is not required here).
//!
//! Also the engine every snippet check shares ([`check_docs`]): one helper run
//! compiles the blocks of all documents, referenced files are read once.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::commands::Outcome;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::host::python::{self, CodeRef, Pool};
use crate::report::{self, Report};
use crate::spec::checks::snippets::{self as core, Compiled, PyBlock, RefFile};
use crate::spec::finding::Finding;
use crate::spec::markdown::Markdown;

/// Largest markdown or referenced file the gate reads; beyond it is a finding.
pub const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

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

pub fn run(ctx: &Ctx, paths: &[PathBuf]) -> Result<Outcome> {
    let report = Report { checks: check_paths(ctx, paths)?, workspaces: Vec::new() };
    report::emit(&report, ctx.json, &ctx.style, "snippets");
    Ok(Outcome::from_ok(report.ok()))
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
        findings.retain(|f| f.status != crate::spec::finding::Status::Pass);
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
                    Finding::fail(
                        "snippets",
                        "symlink",
                        format!("symbolic link out of the repository (to {}); not followed", target.display()),
                    )
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
    let text =
        read_text(path).map_err(|(rule, msg, line)| Box::new(Finding::fail("snippets", rule, msg).at(&file, line)))?;
    let md = Markdown::parse(&text);
    Ok(SnippetDoc { file, blocks: core::extract(&md), require_verified: false })
}

/// A document's text, or (rule, message, line) saying why it is not text.
pub fn read_text(path: &Path) -> std::result::Result<String, (&'static str, String, Option<usize>)> {
    read_text_bom(path).map(|(text, _)| text)
}

/// [`read_text`], and whether a byte order mark was dropped from the start.
pub fn read_text_bom(path: &Path) -> std::result::Result<(String, bool), (&'static str, String, Option<usize>)> {
    let meta = std::fs::metadata(path).map_err(|e| ("unreadable", format!("cannot be read: {e}"), None))?;
    if !meta.is_file() {
        return Err(("not-a-file", "not a regular file".to_string(), None));
    }
    if meta.len() > MAX_READ_BYTES {
        return Err(("too-large", format!("{} bytes, more than the gate reads ({MAX_READ_BYTES})", meta.len()), None));
    }
    let bytes = std::fs::read(path).map_err(|e| ("unreadable", format!("cannot be read: {e}"), None))?;
    let not_text =
        |line| ("not-text", "not UTF-8 text (binary data or another encoding); save it as UTF-8".into(), Some(line));
    // As host::fs::decode, without copying the text (documents can be large).
    let line_of = |bytes: &[u8], at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    // `contains` on bytes is a fast (memchr) search; most files hold no NUL.
    if bytes.contains(&0) {
        let nul = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(not_text(line_of(&bytes, nul)));
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            let bom = text.starts_with('\u{feff}');
            if bom {
                text.drain(..3);
            }
            Ok((text, bom))
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Err(not_text(line_of(e.as_bytes(), at)))
        }
    }
}

/// Compile the blocks of every document in one helper run, read each
/// referenced file once, and check: findings per document, in order.
pub fn check_docs(ctx: &Ctx, docs: &[SnippetDoc]) -> Result<Vec<Vec<Finding>>> {
    check_docs_with(ctx, docs, None)
}

/// Helpers started ahead for a run over `files` documents (none when there is
/// nothing to read). Starting one is not an error yet: only needing it is.
pub fn early_pool(ctx: &Ctx, files: usize) -> Option<Result<Pool>> {
    (files > 0).then(|| python::interpreter(&ctx.root).and_then(|p| Pool::start(&p, Pool::size_for(files))))
}

/// [`check_docs`] on helpers started ahead with [`early_pool`].
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
    let paths: HashSet<&str> = docs.iter().flat_map(|d| core::referenced_paths(&d.blocks)).collect();
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
        out.push(core::check(&doc.file, &doc.blocks, &compiled, &refs, doc.require_verified));
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
        return RefFile::OutsideRoot { target: canon.display().to_string() };
    }
    match read_text(&canon) {
        Ok(text) => RefFile::Lines(text.lines().map(str::to_string).collect()),
        Err(("not-a-file", _, _)) => RefFile::NotAFile,
        Err(("not-text", _, line)) => RefFile::NotText { line: line.unwrap_or(1) },
        Err((_, reason, _)) => RefFile::Unreadable { reason },
    }
}

/// `f` over `items` on every core, results in order.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker threads do not panic")).collect()
    });
    let mut all: Vec<(usize, R)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
