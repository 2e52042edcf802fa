//! Workspaces on disk, for every command: finding them under specs/active/ and
//! specs/archive/, resolving a slug, reading their documents, and keeping
//! specs/archive/INDEX.md in step with the archive.
//!
//! One policy for links: nothing is read or written through a symbolic link
//! that leaves `specs/`, and `specs/` itself must be a folder inside the
//! repository. Only regular files are read, each up to
//! [`MAX_TEXT_BYTES`](crate::host::fs::MAX_TEXT_BYTES).
use std::path::{Path, PathBuf};

use crate::core::ledger;
use crate::core::workspace::{self, Doc, DocFile, DocText, Summary, WorkspaceTexts, ARCHIVE_RECORD};
use crate::error::{Error, Result};
use crate::host::fs::{
    decode, find_ci, find_ci_path, read_bytes, remove_stale_temporaries, write_atomic, ReadError, MAX_TEXT_BYTES,
};

/// The generated index of specs/archive/.
pub const INDEX: &str = "INDEX.md";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    Active,
    Archive,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Active => "active",
            Location::Archive => "archive",
        }
    }
}

/// A workspace folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceDir {
    /// Folder name (lossy when it is not UTF-8).
    pub name: String,
    pub location: Location,
    /// `ROOT/specs/<location>/<name>` (not resolved: it may be a link).
    pub path: PathBuf,
}

/// The canonical `specs/` folder: the fence every read and write stays in.
/// Ok(None) when there is no specs/ folder; an error when specs/ is not a
/// folder or leads out of the repository.
pub fn specs_fence(root: &Path) -> Result<Option<PathBuf>> {
    let dir = root.join("specs");
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dir.symlink_metadata().is_ok() {
                return Err(Error::usage("specs: a broken symbolic link; make it a folder inside the repository"));
            }
            Ok(None)
        }
        Err(e) => Err(Error::io(&dir, &e, "make it a readable folder")),
        Ok(meta) if !meta.is_dir() => {
            Err(Error::usage("specs: not a folder; move the file away and create the folder"))
        }
        Ok(_) => {
            let canon = dir.canonicalize().map_err(|e| Error::io(&dir, &e, "make it a readable folder"))?;
            let root_canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            if !canon.starts_with(&root_canon) || canon == root_canon {
                return Err(Error::usage(
                    "specs: leads outside the repository (a symbolic link); make it a real folder inside the repository",
                ));
            }
            Ok(Some(canon))
        }
    }
}

/// `ROOT/specs/active` or `ROOT/specs/archive`, refusing one that is not a
/// folder or that leads (through a link) out of specs/. Ok(None) when missing.
pub fn specs_dir(root: &Path, location: Location) -> Result<Option<PathBuf>> {
    let Some(fence) = specs_fence(root)? else { return Ok(None) };
    let dir = root.join("specs").join(location.as_str());
    let rel = format!("specs/{}", location.as_str());
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dir.symlink_metadata().is_ok() {
                return Err(Error::usage(format!("{rel}: a broken symbolic link; make it a folder inside specs/")));
            }
            Ok(None)
        }
        Err(e) => Err(Error::io(&dir, &e, "make it a readable folder")),
        Ok(meta) if !meta.is_dir() => {
            Err(Error::usage(format!("{rel}: not a folder; move the file away and create the folder")))
        }
        Ok(_) => {
            let canon = dir.canonicalize().map_err(|e| Error::io(&dir, &e, "make it a readable folder"))?;
            if !canon.starts_with(&fence) || canon == fence {
                return Err(Error::usage(format!(
                    "{rel}: leads outside the repository's specs/ folder (a symbolic link); make it a real folder inside the repository"
                )));
            }
            Ok(Some(dir))
        }
    }
}

/// Create `specs/<location>/` when missing. specs/ is checked before anything
/// is created, so a link out of the repository never gets a folder made in
/// it.
pub fn ensure_specs_dir(root: &Path, location: Location) -> Result<PathBuf> {
    if let Some(dir) = specs_dir(root, location)? {
        return Ok(dir);
    }
    let specs = root.join("specs");
    if specs_fence(root)?.is_none() {
        create_dir(&specs)?;
        specs_fence(root)?;
    }
    let dir = specs.join(location.as_str());
    create_dir(&dir)?;
    specs_dir(root, location)?.ok_or_else(|| Error::usage(format!("{}: could not be created", dir.display())))
}

fn create_dir(dir: &Path) -> Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(Error::io(dir, &e, "check that the repository is writable"))
        }
        _ => Ok(()),
    }
}

/// The workspace folders of one location, sorted by name. Hidden entries
/// (`.gitkeep`, new-spec's temporary folders) and plain files are skipped; a
/// link to a folder is listed (where it may lead is checked when it is read).
pub fn list(root: &Path, location: Location) -> Result<Vec<WorkspaceDir>> {
    Ok(folders(root, location)?.into_iter().filter(|ws| !only_scratch(&ws.path)).collect())
}

/// The folders of `location` that hold nothing but `tmp/`: the gate's
/// git-ignored scratch folder, left behind when a branch switch took the
/// workspace's documents away. They are not workspaces (`list` names them).
pub fn left_behind(root: &Path, location: Location) -> Result<Vec<WorkspaceDir>> {
    Ok(folders(root, location)?.into_iter().filter(|ws| only_scratch(&ws.path)).collect())
}

fn folders(root: &Path, location: Location) -> Result<Vec<WorkspaceDir>> {
    let Some(dir) = specs_dir(root, location)? else { return Ok(Vec::new()) };
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, &e, "make the folder readable"))?;
    let mut found: Vec<WorkspaceDir> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.path().is_dir() || e.file_type().is_ok_and(|t| t.is_symlink()))
        .map(|e| WorkspaceDir { name: e.file_name().to_string_lossy().into_owned(), location, path: e.path() })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// A real folder (not a link) whose only entry is the folder `tmp`.
fn only_scratch(path: &Path) -> bool {
    let real_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let Ok(entries) = std::fs::read_dir(path) else { return false };
    let names: Vec<std::ffi::OsString> = entries.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    real_dir && names.len() == 1 && names[0] == "tmp" && path.join("tmp").is_dir()
}

/// Both locations, active first.
pub fn list_all(root: &Path) -> Result<Vec<WorkspaceDir>> {
    let mut all = list(root, Location::Active)?;
    all.extend(list(root, Location::Archive)?);
    Ok(all)
}

/// A slug is a folder name, never a path: `../archive/x`, `a/b`, `.hidden`
/// and control characters are refused (exit 2) by every command.
pub fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control);
    if bad {
        return Err(Error::usage(format!(
            "{name:?} is not a workspace name; pass the folder name under specs/active/ (see `cargo xtask list`)"
        )));
    }
    Ok(())
}

/// The workspace folder `name` in `location`: the exact name, else one that
/// matches case-insensitively.
pub fn find(root: &Path, location: Location, name: &str) -> Result<Option<WorkspaceDir>> {
    check_name(name)?;
    let Some(dir) = specs_dir(root, location)? else { return Ok(None) };
    Ok(find_ci(&dir, name).filter(|p| p.is_dir()).map(|path| WorkspaceDir {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        location,
        path,
    }))
}

/// The active workspace `name`, or a usage error that says what exists. A
/// workspace folder that is a link out of specs/ is refused.
pub fn find_active(root: &Path, name: &str) -> Result<WorkspaceDir> {
    if let Some(ws) = find(root, Location::Active, name)? {
        if leads_out(root, &ws) {
            return Err(Error::usage(format!(
                "specs/active/{}: a symbolic link out of specs/; refusing to read what it points to",
                ws.name
            )));
        }
        return Ok(ws);
    }
    if find(root, Location::Archive, name)?.is_some() {
        return Err(Error::usage(format!(
            "workspace `{name}` is archived (specs/archive/{name}/); only active workspaces can be gated or resumed"
        )));
    }
    let known: Vec<String> = list(root, Location::Active)?.into_iter().map(|w| w.name).collect();
    let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    Err(Error::usage(format!(
        "unknown workspace `{name}`: no folder specs/active/{name}/ (active workspaces: {known}); \
         `cargo xtask new-spec NAME` creates one"
    )))
}

/// Whether the workspace folder is a symbolic link leading out of specs/.
pub fn leads_out(root: &Path, ws: &WorkspaceDir) -> bool {
    if !ws.path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return false;
    }
    let fence = root.join("specs").canonicalize().ok();
    match (ws.path.canonicalize(), fence) {
        (Ok(target), Some(fence)) => !target.starts_with(fence),
        _ => true,
    }
}

/// A path that would be reached through a symbolic link leaving specs/.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinksOut;

/// Where `path` (a file under the workspace folder `ws`) may be read or
/// written: Ok(path) when no link on the way leaves specs/.
/// Only when a link is met is anything resolved, so reading a thousand plain
/// workspaces costs no more than their files.
pub fn inside_specs(root: &Path, ws: &Path, path: &Path) -> std::result::Result<PathBuf, LinksOut> {
    let mut through_link = false;
    let mut at = path;
    loop {
        through_link |= at.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
        if at == ws {
            break;
        }
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    if !through_link {
        return Ok(path.to_path_buf());
    }
    let fence = root.join("specs").canonicalize().map_err(|_| LinksOut)?;
    // A link to nothing resolves nowhere: not out of specs/, just missing.
    let resolved = match path.canonicalize() {
        Ok(p) => p,
        Err(_) => match (path.parent().and_then(|p| p.canonicalize().ok()), path.file_name()) {
            (Some(parent), Some(name)) if !path.exists() => parent.join(name),
            _ => return Err(LinksOut),
        },
    };
    if resolved.starts_with(&fence) {
        Ok(resolved)
    } else {
        Err(LinksOut)
    }
}

/// Read every document of a workspace, plus its archive record and ledger.
/// Never fails: what cannot be read is recorded in its [`DocText`].
pub fn read(root: &Path, ws: &WorkspaceDir) -> WorkspaceTexts {
    let out = leads_out(root, ws);
    let files = Doc::ALL
        .iter()
        .map(|&doc| match find_ci_path(&ws.path, doc.rel_path()) {
            // The path as found (`RECOVERY.md` in a hand-made workspace).
            Some(path) => {
                let rel_path = crate::context::rel_to(&ws.path, &path);
                let (text, hash) = if out { (DocText::LinksOut, None) } else { read_doc(root, &ws.path, &path) };
                DocFile { doc, rel_path, text, hash }
            }
            None => DocFile { doc, rel_path: doc.rel_path().to_string(), text: DocText::Missing, hash: None },
        })
        .collect();
    let read_text = |path: Option<PathBuf>| match read_doc(root, &ws.path, &path?).0 {
        DocText::Text(t) if !out => Some(t),
        _ => None,
    };
    let archive_record = read_text(find_ci(&ws.path, ARCHIVE_RECORD));
    let ledger = read_text(find_ci_path(&ws.path, ledger::FILE));
    WorkspaceTexts { name: ws.name.clone(), files, archive_record, ledger }
}

/// Read one document: its text and the ledger's hash of its bytes.
fn read_doc(root: &Path, ws: &Path, path: &Path) -> (DocText, Option<String>) {
    let Ok(target) = inside_specs(root, ws, path) else { return (DocText::LinksOut, None) };
    let bytes = match read_bytes(&target, MAX_TEXT_BYTES) {
        Ok(b) => b,
        Err(e) => return (doc_text(e), None),
    };
    let hash = Some(ledger::document_hash(&bytes));
    match decode(bytes) {
        Ok(text) => (DocText::Text(text), hash),
        Err(e) => (doc_text(e), hash),
    }
}

fn doc_text(e: ReadError) -> DocText {
    match e {
        ReadError::Missing => DocText::Missing,
        ReadError::NotAFile => DocText::NotAFile,
        ReadError::TooLarge { bytes, limit } => DocText::TooLarge { bytes, limit },
        ReadError::NotText { line } => DocText::NotText { line },
        ReadError::Io(reason) => DocText::Unreadable(reason),
    }
}

/// Summaries of every archived workspace, sorted by name.
pub fn archive_summaries(root: &Path) -> Result<Vec<Summary>> {
    Ok(list(root, Location::Archive)?.iter().map(|ws| workspace::summarize(&read(root, ws))).collect())
}

/// What [`refresh_index`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexUpdate {
    /// INDEX.md already matched the archive folder.
    Current,
    /// INDEX.md was missing or stale and has been rewritten.
    Written,
    /// No specs/archive/ folder, or an empty one and no INDEX.md: nothing to index.
    Nothing,
}

/// Rebuild specs/archive/INDEX.md from the archive folder's contents alone,
/// writing it (temporary file + rename) only when it differs. An INDEX.md
/// that is a link or not a regular file is replaced, never followed.
pub fn refresh_index(root: &Path) -> Result<IndexUpdate> {
    let Some(dir) = specs_dir(root, Location::Archive)? else { return Ok(IndexUpdate::Nothing) };
    remove_stale_temporaries(&dir);
    let summaries = archive_summaries(root)?;
    let path = dir.join(INDEX);
    let plain = path.symlink_metadata().is_ok_and(|m| m.file_type().is_file());
    let current = if plain { read_bytes(&path, MAX_TEXT_BYTES).ok() } else { None };
    let exists = path.symlink_metadata().is_ok();
    if summaries.is_empty() && !exists {
        return Ok(IndexUpdate::Nothing);
    }
    let text = workspace::archive_index(&summaries);
    if current.as_deref() == Some(text.as_bytes()) {
        return Ok(IndexUpdate::Current);
    }
    write_atomic(&path, text.as_bytes())?;
    Ok(IndexUpdate::Written)
}
