//! The Python side of the gate: which interpreter, and the embedded stdlib-only
//! helper (`xtask/python/spec_gate_helper.py`) that compiles code to code objects
//! (never running them), in one process per run.
//!
//! CONTRACT (shared by the snippets, guides and compile checks): callers build
//! `CompileJob`s and call `compile_all` once per run.
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One piece of Python to compile.
#[derive(Debug, Clone)]
pub struct CompileJob {
    /// Path shown in errors, relative to the root (a markdown file for blocks).
    pub display_path: String,
    pub source: Source,
    /// For blocks: the 0-based markdown line the code starts at, so errors
    /// carry markdown line numbers. 0 for whole files.
    pub first_line: usize,
}

#[derive(Debug, Clone)]
pub enum Source {
    /// Code text (a markdown block).
    Code(String),
    /// A file the helper reads itself (a source file).
    File(PathBuf),
}

/// What compiling one job gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileResult {
    pub ok: bool,
    /// 1-based line of the error in `display_path`.
    pub line: Option<usize>,
    pub message: String,
}

/// `.venv/bin/python` under `root` when present, else `python3` on PATH.
pub fn interpreter(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".venv").join("bin").join("python");
    if crate::host::process::is_executable(&venv) {
        return Ok(venv);
    }
    crate::host::process::find_on_path("python3").ok_or_else(|| {
        Error::usage(
            "python3 not found on PATH and no .venv/bin/python; install Python 3 (e.g. `apt-get install python3`)",
        )
    })
}

/// Compile every job in one helper process. `feature_version` (the host's
/// lowest supported Python) also rejects newer syntax.
pub fn compile_all(
    _python: &Path,
    _jobs: &[CompileJob],
    _feature_version: Option<(u32, u32)>,
) -> Result<Vec<CompileResult>> {
    Err(Error::usage("the compile helper is not implemented yet"))
}
