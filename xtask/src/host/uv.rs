//! uv: the one on PATH, else the kit's own copy, installed from PyPI (the
//! `uv` wheel carries the binary) into a small venv in the kit's tool folder
//! at the version pinned in xtask/python/dev-tools.txt.
use std::path::{Path, PathBuf};

use crate::core::devtools;
use crate::error::{Error, Result};
use crate::host::process;
use crate::host::stream::{self, progress, Sink};

/// The kit's tool folder: `XTASK_TOOLS_DIR` when set, else `xtask-tools/`
/// beside the profile folder of the running binary (`target/xtask-tools`),
/// which Cargo's `target/` already keeps out of git.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XTASK_TOOLS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().ok();
    let profile = exe.as_deref().and_then(Path::parent).and_then(Path::parent);
    match profile {
        Some(target) => target.join("xtask-tools"),
        None => std::env::temp_dir().join("xtask-tools"),
    }
}

/// The pinned requirement, `uv==X.Y.Z`.
fn pin() -> String {
    devtools::pins(devtools::PINNED)
        .into_iter()
        .find(|(name, _)| name == "uv")
        .map(|(_, line)| line)
        .unwrap_or_else(|| "uv".into())
}

/// The kit's own uv, when installed.
fn own() -> PathBuf {
    let version = pin().trim_start_matches("uv==").to_string();
    tools_dir().join(format!("uv-{version}")).join("bin").join("uv")
}

/// uv on PATH, else the kit's copy when it is there.
pub fn find() -> Option<PathBuf> {
    process::find_on_path("uv").or_else(|| Some(own()).filter(|p| process::is_executable(p)))
}

/// uv on PATH or the kit's copy, installed with `python` (any Python 3 with
/// venv and pip) when neither is there.
pub fn find_or_install(python: &Path) -> Result<PathBuf> {
    if let Some(uv) = find() {
        return Ok(uv);
    }
    let uv = own();
    let dir = uv.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(tools_dir);
    std::fs::create_dir_all(tools_dir())
        .map_err(|e| Error::io(&tools_dir(), &e, "check that the folder is writable or set XTASK_TOOLS_DIR"))?;
    // One install at a time (two gates, parallel tests): the second finds it done.
    let lock = std::fs::File::open(tools_dir()).ok();
    if let Some(l) = &lock {
        let _ = l.lock();
    }
    if process::is_executable(&uv) {
        return Ok(uv);
    }
    let _ = std::fs::remove_dir_all(&dir);
    progress(&format!("setup: installing {} from PyPI into {}", pin(), dir.display()));
    let mut venv = stream::command(python, &tools_dir());
    venv.args(["-m", "venv"]).arg(&dir);
    let made = stream::run(&mut venv, Sink::Stderr, 50)?;
    let pip = dir.join("bin").join("python");
    let installed = if made.success() {
        let mut cmd = stream::command(&pip, &tools_dir());
        cmd.args(["-m", "pip", "install", "--progress-bar", "off", "--disable-pip-version-check", &pin()]);
        stream::run(&mut cmd, Sink::Stderr, 50)?
    } else {
        made
    };
    if !installed.success() || !process::is_executable(&uv) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(Error::usage(format!(
            "setup could not install {} into {}: {}; install uv yourself (`pip install uv`) and run again",
            pin(),
            dir.display(),
            installed.last_lines(3)
        )));
    }
    Ok(uv)
}
