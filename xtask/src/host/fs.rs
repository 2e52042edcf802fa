//! File system helpers: atomic writes, reading text that may not be text, dates.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Write `contents` to `path` by writing a sibling temporary file and renaming
/// it over `path`, so readers see the old or the new file, never half of one.
/// The file keeps its permissions (a read-only document stays read-only).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    Staged::write(path, contents)?.commit()
}

/// New contents for a file, written and synced to a sibling temporary file,
/// not yet renamed over it: a caller can check the file once more first.
/// Dropped without [`Staged::commit`], the temporary file is removed.
pub struct Staged {
    tmp: PathBuf,
    path: PathBuf,
}

impl Staged {
    pub fn write(path: &Path, contents: &[u8]) -> Result<Staged> {
        let dir = path.parent().unwrap_or(Path::new("."));
        remove_stale_temporaries(dir);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let staged = Staged {
            tmp: dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), unique())),
            path: path.to_path_buf(),
        };
        let keep = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.permissions());
        (|| {
            let mut file = std::fs::File::create(&staged.tmp)?;
            file.write_all(contents)?;
            file.sync_all()?;
            if let Some(permissions) = keep {
                file.set_permissions(permissions)?;
            }
            Ok(())
        })()
        .map_err(|e| Error::io(path, &e, "check that the folder exists and is writable"))?;
        Ok(staged)
    }

    /// Rename the new contents over the file.
    pub fn commit(self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| Error::io(&self.path, &e, "check that the folder exists and is writable"))
        // Drop removes the temporary file if the rename failed; after it,
        // there is nothing left to remove.
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Where `rel` under the canonical `root` leads, following every symbolic
/// link on the way whether or not its target exists (at most 40 of them;
/// None past that, a loop). A caller checks the result is under `root`
/// before saying anything about the file, so a link out of the repository
/// tells nothing of what is out there, not even whether it exists.
pub fn physical_path(root: &Path, rel: &str) -> Option<PathBuf> {
    use std::path::Component;
    let mut todo: Vec<PathBuf> = Path::new(rel).components().rev().map(|c| PathBuf::from(c.as_os_str())).collect();
    let mut at = root.to_path_buf();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        match part.components().next() {
            Some(Component::RootDir) => at = PathBuf::from("/"),
            Some(Component::ParentDir) => {
                at.pop();
            }
            Some(Component::Normal(name)) => {
                let next = at.join(name);
                match std::fs::read_link(&next) {
                    Ok(target) => {
                        hops += 1;
                        if hops > 40 {
                            return None;
                        }
                        todo.extend(target.components().rev().map(|c| PathBuf::from(c.as_os_str())));
                    }
                    Err(_) => at = next,
                }
            }
            _ => {}
        }
    }
    Some(at)
}

/// Remove what killed runs of the kit left in `dir`: temporary files
/// (`.NAME.tmp-PID-N`, from [`Staged`]) and new-spec staging folders
/// (`.SLUG.new-PID-N`) whose process is gone. A run that is still going keeps
/// its own. Best effort: what cannot be removed stays.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(kind) = temporary_kind(name) else { continue };
        let Ok(meta) = entry.path().symlink_metadata() else { continue };
        if !stale(kind.1, &meta) {
            continue;
        }
        let _ = match kind.0 {
            Temporary::File if meta.is_file() => std::fs::remove_file(entry.path()),
            Temporary::Staging if meta.is_dir() => std::fs::remove_dir_all(entry.path()),
            _ => Ok(()),
        };
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Temporary {
    File,
    Staging,
}

/// `.NAME.tmp-PID-N` or `.NAME.new-PID-N`: which, and the PID.
fn temporary_kind(name: &str) -> Option<(Temporary, u32)> {
    let name = name.strip_prefix('.')?;
    let (kind, at) = [(Temporary::File, name.rfind(".tmp-")), (Temporary::Staging, name.rfind(".new-"))]
        .into_iter()
        .filter_map(|(kind, at)| Some((kind, at?)))
        .max_by_key(|(_, at)| *at)?;
    let (pid, n) = name[at + 5..].split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (at > 0 && digits(pid) && digits(n)).then_some((kind, pid.parse().ok()?))
}

/// Whether a temporary of process `pid` is left over: the process is gone
/// (where /proc tells), else it is older than ten minutes (the kit's
/// temporaries live for milliseconds).
fn stale(pid: u32, meta: &std::fs::Metadata) -> bool {
    if Path::new("/proc/self").exists() {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age.as_secs() > 600)
}

/// A number distinct per call within this process (for temporary names).
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0);
    (COUNTER.fetch_add(1, Ordering::Relaxed) << 32) ^ nanos
}

/// Largest file the kit reads as a document, template, ledger or referenced
/// source (a workspace document is a few dozen kilobytes; this only stops a
/// stray dump from eating memory).
pub const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file was not read as text. One type for every reader of the kit, so
/// callers match on the kind, never on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Nothing at the path (or a symbolic link to nothing).
    Missing,
    /// A folder, a FIFO, a device: only regular files are read.
    NotAFile,
    /// Larger than the limit the caller gave.
    TooLarge { bytes: u64, limit: u64 },
    /// Not UTF-8, or holds NUL bytes: the 1-based line of the first bad byte.
    NotText { line: usize },
    /// The system refused (permissions, a symbolic link loop, ...): its words.
    Io(String),
}

impl ReadError {
    /// A short phrase for messages: "not a regular file", "123 bytes, more than ...".
    pub fn describe(&self) -> String {
        match self {
            ReadError::Missing => "missing".into(),
            ReadError::NotAFile => "not a regular file".into(),
            ReadError::TooLarge { bytes, limit } => format!("{bytes} bytes, more than the kit reads ({limit})"),
            ReadError::NotText { line } => format!("not UTF-8 text from line {line}"),
            ReadError::Io(reason) => format!("cannot be read: {reason}"),
        }
    }
}

/// The bytes of the regular file at `path` (symbolic links followed; the
/// caller decides where links may lead), at most `limit` of them. A FIFO or
/// device is never opened, so reading cannot block or run forever.
pub fn read_bytes(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ if is_link_loop(&e) => ReadError::Io("a symlink loop (a symbolic link that leads to itself)".into()),
        _ => ReadError::Io(e.to_string()),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { bytes: meta.len(), limit });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The file may grow between the size check and the read: never take more.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { bytes: bytes.len() as u64, limit });
    }
    Ok(bytes)
}

/// What is at `path` now, as a short hash, to notice that it changed: a
/// symbolic link by its target (as git stores it; never followed, so a link
/// to /dev/zero costs nothing), a regular file by its content up to
/// [`MAX_TEXT_BYTES`] and by size and modification time beyond, anything
/// else (a FIFO, a socket) by its kind. None when nothing is there.
pub fn content_hash(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).map(|t| t.into_os_string()).unwrap_or_default();
        return Some(format!("link {}", crate::core::ledger::hash(target.as_encoded_bytes())));
    }
    if !meta.is_file() {
        return Some("not a regular file".into());
    }
    match read_bytes(path, MAX_TEXT_BYTES) {
        Ok(bytes) => Some(crate::core::ledger::hash(&bytes)),
        Err(ReadError::Missing) => None,
        Err(ReadError::TooLarge { .. }) => {
            let modified = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
            Some(format!("{} bytes, modified {}.{:09}", meta.len(), modified.as_secs(), modified.subsec_nanos()))
        }
        Err(e) => Some(e.describe()),
    }
}

/// ELOOP: too many levels of symbolic links.
fn is_link_loop(e: &std::io::Error) -> bool {
    let eloop = if cfg!(target_os = "linux") { 40 } else { 62 };
    e.raw_os_error() == Some(eloop)
}

/// Bytes as document text: UTF-8 without NUL bytes, a leading BOM dropped.
/// Takes the bytes so that large documents are not copied.
pub fn decode(bytes: Vec<u8>) -> std::result::Result<String, ReadError> {
    let line_of = |bytes: &[u8], at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    // `contains` on bytes is a fast (memchr) search; most files hold no NUL.
    if bytes.contains(&0) {
        let nul = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(ReadError::NotText { line: line_of(&bytes, nul) });
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Err(ReadError::NotText { line: line_of(e.as_bytes(), at) })
        }
    }
}

/// [`read_bytes`] then [`decode`].
pub fn read_text(path: &Path, limit: u64) -> std::result::Result<String, ReadError> {
    decode(read_bytes(path, limit)?)
}

/// Today's date in UTC as YYYY-MM-DD.
pub fn today_utc() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    date_from_unix(secs)
}

/// Now in UTC as YYYY-MM-DDTHH:MM:SSZ.
pub fn now_utc() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let rem = secs % 86_400;
    format!("{}T{:02}:{:02}:{:02}Z", date_from_unix(secs), rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Civil date of a Unix time (Howard Hinnant's days-to-civil algorithm).
pub fn date_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Find an entry of `dir` whose name matches `name` case-insensitively
/// (hand-made workspaces have `RECOVERY.md`); the exact name wins.
pub fn find_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.symlink_metadata().is_ok() {
        return Some(exact);
    }
    let entries = std::fs::read_dir(dir).ok()?;
    let mut matches: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
        .collect();
    matches.sort();
    matches.into_iter().next()
}

/// `rel` (`research/plan.md`) under `dir`, each part matched
/// case-insensitively with [`find_ci`].
pub fn find_ci_path(dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in rel.split('/') {
        path = find_ci(&path, part)?;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_from_unix(0), "1970-01-01");
        assert_eq!(date_from_unix(951_782_400), "2000-02-29");
        assert_eq!(date_from_unix(1_795_305_600), "2026-11-22");
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("\u{feff}# T\n".into()), Ok("# T\n".into()));
        assert_eq!(decode(b"a\nb\n\xff".to_vec()), Err(ReadError::NotText { line: 3 }));
        assert_eq!(decode(b"a\n\0".to_vec()), Err(ReadError::NotText { line: 2 }));
    }

    #[test]
    fn reads_regular_files_only_and_capped() {
        let dir = std::env::temp_dir().join(format!("xtask-fs-read-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f.md");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(read_text(&p, 10).as_deref(), Ok("0123456789"));
        assert_eq!(read_text(&p, 9), Err(ReadError::TooLarge { bytes: 10, limit: 9 }));
        assert_eq!(read_text(&dir, 10), Err(ReadError::NotAFile));
        assert_eq!(read_text(&dir.join("none"), 10), Err(ReadError::Missing));
        assert_eq!(read_bytes(Path::new("/dev/zero"), 10), Err(ReadError::NotAFile));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn physical_paths_follow_links_that_lead_nowhere() {
        let root = std::env::temp_dir().join(format!("xtask-physical-{}", unique()));
        std::fs::create_dir_all(root.join("src")).unwrap();
        let root = root.canonicalize().unwrap();
        std::os::unix::fs::symlink("/nonexistent/secret.py", root.join("src/out.py")).unwrap();
        std::os::unix::fs::symlink("../src", root.join("src/up")).unwrap();
        std::os::unix::fs::symlink("/nonexistent", root.join("dir")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        assert_eq!(physical_path(&root, "src/out.py"), Some(PathBuf::from("/nonexistent/secret.py")));
        assert_eq!(physical_path(&root, "src/up/up/a.py"), Some(root.join("src/a.py")));
        assert_eq!(physical_path(&root, "dir/x.py"), Some(PathBuf::from("/nonexistent/x.py")));
        assert_eq!(physical_path(&root, "missing/x.py"), Some(root.join("missing/x.py")));
        assert_eq!(physical_path(&root, "loop"), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn temporaries_of_gone_runs_are_removed() {
        assert_eq!(temporary_kind(".prd.md.tmp-12-345"), Some((Temporary::File, 12)));
        assert_eq!(temporary_kind(".my-slug.new-7-8"), Some((Temporary::Staging, 7)));
        assert_eq!(temporary_kind(".a.new-1-2.tmp-3-4"), Some((Temporary::File, 3)));
        for name in ["prd.md.tmp-1-2", ".prd.md", ".x.tmp-1", ".x.tmp-a-2", ".tmp-1-2", ".x.new--2"] {
            assert_eq!(temporary_kind(name), None, "{name}");
        }
        let dir = std::env::temp_dir().join(format!("xtask-stale-{}", unique()));
        std::fs::create_dir_all(dir.join(".slug.new-999999999-1/research")).unwrap();
        let me = std::process::id();
        for name in [".prd.md.tmp-999999999-1".to_string(), format!(".prd.md.tmp-{me}-1"), "notes.md".into()] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        std::fs::create_dir_all(dir.join(format!(".slug.new-{me}-1"))).unwrap();
        remove_stale_temporaries(&dir);
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        if Path::new("/proc/self").exists() {
            assert_eq!(left, [format!(".prd.md.tmp-{me}-1"), format!(".slug.new-{me}-1"), "notes.md".into()]);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn content_hashes_never_follow_links_or_read_special_files() {
        let dir = std::env::temp_dir().join(format!("xtask-hash-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.txt");
        std::fs::write(&file, "one").unwrap();
        let one = content_hash(&file).unwrap();
        std::fs::write(&file, "two").unwrap();
        assert_ne!(content_hash(&file).unwrap(), one);
        // A link to an endless device is hashed by its target, at once.
        let zero = dir.join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let link = content_hash(&zero).unwrap();
        assert!(link.starts_with("link "), "{link}");
        std::fs::remove_file(&zero).unwrap();
        std::os::unix::fs::symlink("/dev/null", &zero).unwrap();
        assert_ne!(content_hash(&zero).unwrap(), link);
        // A FIFO is never opened (opening it would wait for a writer).
        let fifo = dir.join("pipe");
        if std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            assert_eq!(content_hash(&fifo).as_deref(), Some("not a regular file"));
        }
        // A file larger than the kit reads (sparse: nothing is written) by its
        // size and time.
        let big = dir.join("big.bin");
        std::fs::File::create(&big).unwrap().set_len(MAX_TEXT_BYTES + 1).unwrap();
        assert!(content_hash(&big).unwrap().starts_with(&format!("{} bytes, modified ", MAX_TEXT_BYTES + 1)));
        assert_eq!(content_hash(&dir.join("gone")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = std::env::temp_dir().join(format!("xtask-fs-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f.md");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert_eq!(find_ci(&dir, "F.MD"), Some(p));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
