//! What every command needs: the repository root, its settings and how to print.
use std::path::{Path, PathBuf};

use crate::cli::Global;
use crate::error::{Error, Result};
use crate::host::settings::Settings;
use crate::report::{Format, Style};

pub struct Ctx {
    /// Canonical path of the repository root.
    pub root: PathBuf,
    pub settings: Settings,
    pub style: Style,
    pub json: bool,
    /// What stdout carries (`--format`; `json` is true for json).
    pub format: Format,
}

impl Ctx {
    pub fn new(global: &Global) -> Result<Ctx> {
        let root = match &global.root {
            Some(dir) => {
                let canon = dir.canonicalize().map_err(|e| {
                    Error::usage(format!("--root {}: {e}; pass an existing repository folder", dir.display()))
                })?;
                if !canon.is_dir() {
                    return Err(Error::usage(format!(
                        "--root {}: not a folder; pass the repository folder",
                        dir.display()
                    )));
                }
                canon
            }
            None => {
                let cwd = std::env::current_dir()
                    .map_err(|e| Error::usage(format!("cannot read the current folder: {e}; pass --root DIR")))?;
                find_root(&cwd).ok_or_else(|| {
                    Error::usage(format!(
                        "{}: no repository here (no .git or .cargo/config.toml with the xtask alias above it); run inside the repository or pass --root DIR",
                        cwd.display()
                    ))
                })?
            }
        };
        let settings = Settings::load(&root)?;
        Ok(Ctx { root, settings, style: Style::new(global.color), json: global.json, format: global.format })
    }

    /// `path` relative to the root with `/` separators, for findings and messages.
    pub fn rel(&self, path: &Path) -> String {
        rel_to(&self.root, path)
    }

    pub fn specs(&self) -> PathBuf {
        self.root.join("specs")
    }
}

/// `path` relative to `root` with `/` separators (unchanged when outside it).
pub fn rel_to(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// The nearest folder at or above `start` holding `.cargo/config.toml` with the
/// `xtask` alias, or `.git`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|dir| {
            let config = dir.join(".cargo").join("config.toml");
            let has_alias = std::fs::read_to_string(&config)
                .is_ok_and(|text| text.lines().any(|l| l.trim_start().starts_with("xtask") && l.contains('=')));
            has_alias || dir.join(".git").exists()
        })
        .map(Path::to_path_buf)
}
