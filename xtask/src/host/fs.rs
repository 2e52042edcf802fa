//! File system helpers: atomic writes, reading text that may not be text, dates.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Write `contents` to `path` by writing a sibling temporary file and renaming
/// it over `path`, so readers see the old or the new file, never half of one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), unique()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, &e, "check that the folder exists and is writable")
    })
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
