//! Workspaces on disk: finding them under specs/active/ and specs/archive/,
//! reading their documents (names matched case-insensitively, nothing followed
//! out of specs/), and keeping specs/archive/INDEX.md in step with the archive.
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::host::fs::{decode, find_ci, find_ci_path, write_atomic, Text};
use crate::spec::ledger;
use crate::spec::workspace::{self, Doc, DocFile, DocText, Summary, WorkspaceTexts, ARCHIVE_RECORD};

/// Documents larger than this are not read (a workspace document is a few
/// dozen kilobytes; this only stops a stray dump from eating memory).
pub const MAX_DOC_BYTES: u64 = 64 * 1024 * 1024;

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
    pub path: PathBuf,
}

/// `ROOT/specs/active` or `ROOT/specs/archive`, refusing one that is not a
/// folder or that leads (through a symlink) outside the repository.
/// Ok(None) when it does not exist.
pub fn specs_dir(root: &Path, location: Location) -> Result<Option<PathBuf>> {
    let dir = root.join("specs").join(location.as_str());
    let rel = format!("specs/{}", location.as_str());
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dir.symlink_metadata().is_ok() {
                return Err(Error::usage(format!("{rel}: a broken symlink; make it a folder inside the repository")));
            }
            Ok(None)
        }
        Err(e) => Err(Error::io(&dir, &e, "make it a readable folder")),
        Ok(meta) if !meta.is_dir() => {
            Err(Error::usage(format!("{rel}: not a folder; move the file away and create the folder")))
        }
        Ok(_) => {
            let canon = dir.canonicalize().map_err(|e| Error::io(&dir, &e, "make it a readable folder"))?;
            let root_canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            if !canon.starts_with(&root_canon) {
                return Err(Error::usage(format!(
                    "{rel}: leads outside the repository (to {}); make it a real folder inside the repository",
                    canon.display()
                )));
            }
            Ok(Some(dir))
        }
    }
}

/// Create `specs/<location>/` when missing (after the same checks).
pub fn ensure_specs_dir(root: &Path, location: Location) -> Result<PathBuf> {
    if let Some(dir) = specs_dir(root, location)? {
        return Ok(dir);
    }
    let dir = root.join("specs").join(location.as_str());
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e, "check that the repository is writable"))?;
    specs_dir(root, location)?.ok_or_else(|| Error::usage(format!("{}: could not be created", dir.display())))
}

/// The workspace folders of one location, sorted by name. Hidden entries
/// (`.gitkeep`, new-spec's temporary folders) and plain files are skipped.
pub fn list(root: &Path, location: Location) -> Result<Vec<WorkspaceDir>> {
    let Some(dir) = specs_dir(root, location)? else { return Ok(Vec::new()) };
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, &e, "make the folder readable"))?;
    let mut found: Vec<WorkspaceDir> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        // Follows symlinks: a link to a folder is listed (and read safely), a
        // broken link or a link loop is not a folder.
        .filter(|e| e.path().is_dir())
        .map(|e| WorkspaceDir { name: e.file_name().to_string_lossy().into_owned(), location, path: e.path() })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Both locations, active first.
pub fn list_all(root: &Path) -> Result<Vec<WorkspaceDir>> {
    let mut all = list(root, Location::Active)?;
    all.extend(list(root, Location::Archive)?);
    Ok(all)
}

/// The workspace folder `name` in `location`: the exact name, else one that
/// matches case-insensitively.
pub fn find(root: &Path, location: Location, name: &str) -> Result<Option<WorkspaceDir>> {
    let Some(dir) = specs_dir(root, location)? else { return Ok(None) };
    Ok(find_ci(&dir, name).filter(|p| p.is_dir()).map(|path| WorkspaceDir {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        location,
        path,
    }))
}

/// Read every document of a workspace. Never fails: what cannot be read is
/// recorded in its [`DocText`].
pub fn read(root: &Path, ws: &WorkspaceDir) -> WorkspaceTexts {
    let fence = root.join("specs").canonicalize().ok();
    let files = Doc::ALL
        .iter()
        .map(|&doc| {
            match find_ci_path(&ws.path, doc.rel_path()) {
                Some(path) => {
                    let (text, hash) = read_doc(&path, fence.as_deref());
                    // The path as found (`RECOVERY.md` in a hand-made workspace).
                    let rel_path = crate::context::rel_to(&ws.path, &path);
                    DocFile { doc, rel_path, text, hash }
                }
                None => DocFile { doc, rel_path: doc.rel_path().to_string(), text: DocText::Missing, hash: None },
            }
        })
        .collect();
    let read_text = |path: Option<PathBuf>| match read_doc(&path?, fence.as_deref()).0 {
        DocText::Text(t) => Some(t),
        _ => None,
    };
    let archive_record = read_text(find_ci(&ws.path, ARCHIVE_RECORD));
    let (ledger_dir, ledger_name) = ledger::FILE.rsplit_once('/').unwrap_or(("", ledger::FILE));
    let ledger = read_text(find_ci(&ws.path, ledger_dir).and_then(|dir| find_ci(&dir, ledger_name)));
    WorkspaceTexts { name: ws.name.clone(), files, archive_record, ledger }
}

/// Read one document: its text and the hash of its bytes. Folders, files too
/// large and symlinks that lead outside `fence` (the canonical specs/ folder)
/// are not read.
fn read_doc(path: &Path, fence: Option<&Path>) -> (DocText, Option<String>) {
    match read_bytes(path, fence) {
        Ok(bytes) => {
            let hash = Some(ledger::document_hash(&bytes));
            match decode(&bytes) {
                Text::Ok(text) => (DocText::Text(text), hash),
                Text::NotText { line } => (DocText::NotText { line }, hash),
            }
        }
        Err(why) => (DocText::Unreadable(why), None),
    }
}

/// The bytes of a document, or why they were not read.
fn read_bytes(path: &Path, fence: Option<&Path>) -> std::result::Result<Vec<u8>, String> {
    let canon = match path.canonicalize() {
        Ok(c) => c,
        Err(_) => return Err("a broken symlink or a symlink loop".into()),
    };
    if let Some(fence) = fence {
        if !canon.starts_with(fence) {
            return Err("leads outside specs/ (symlink); not read".into());
        }
    }
    let meta = match std::fs::metadata(&canon) {
        Ok(m) => m,
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    if meta.is_dir() {
        return Err("a folder, not a file".into());
    }
    if meta.len() > MAX_DOC_BYTES {
        return Err(format!("{} bytes, larger than the {} MiB limit", meta.len(), MAX_DOC_BYTES >> 20));
    }
    std::fs::read(&canon).map_err(|e| format!("cannot read: {e}"))
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
/// writing it (temporary file + rename) only when it differs.
pub fn refresh_index(root: &Path) -> Result<IndexUpdate> {
    let Some(dir) = specs_dir(root, Location::Archive)? else { return Ok(IndexUpdate::Nothing) };
    let summaries = archive_summaries(root)?;
    let path = dir.join(INDEX);
    let current = std::fs::read(&path).ok();
    if summaries.is_empty() && current.is_none() {
        return Ok(IndexUpdate::Nothing);
    }
    let text = workspace::archive_index(&summaries);
    if current.as_deref() == Some(text.as_bytes()) {
        return Ok(IndexUpdate::Current);
    }
    write_atomic(&path, text.as_bytes())?;
    Ok(IndexUpdate::Written)
}
