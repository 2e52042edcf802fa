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

/// What reading a document gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// UTF-8 text, a leading BOM removed.
    Ok(String),
    /// Not UTF-8 (or holds NUL bytes): the 1-based line of the first bad byte.
    NotText { line: usize },
}

/// Decode bytes as a document: UTF-8 without NUL bytes, a BOM dropped.
pub fn decode(bytes: &[u8]) -> Text {
    let line_of = |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Text::NotText { line: line_of(nul) };
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Text::Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_string()),
        Err(e) => Text::NotText { line: line_of(e.valid_up_to()) },
    }
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
        assert_eq!(decode("\u{feff}# T\n".as_bytes()), Text::Ok("# T\n".into()));
        assert_eq!(decode(b"a\nb\n\xff"), Text::NotText { line: 3 });
        assert_eq!(decode(b"a\n\0"), Text::NotText { line: 2 });
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
