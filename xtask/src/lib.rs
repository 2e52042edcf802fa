//! The spec-gate toolbox as a library: `main.rs` only parses and dispatches.
//!
//! - [`core`] is the pure core: markdown, template rules, workspaces, tool
//!   output and checks turned into [`core::finding::Finding`]s, with no files,
//!   processes or environment.
//! - [`host`] is the edge: files, workspaces on disk, git, python, pytest, black.
//! - [`gate`] is the gate engine: the registry of checks, the repository's
//!   facts gathered once, a run from request to report.
//! - [`commands`] are thin, one module per command; [`report`] renders findings.
//!
//! The layout and one `gate` run are drawn in specs/guides/architecture.md.

// The kit runs tools the POSIX way (symbolic links, executable bits, a venv's
// bin/ folder); it is built and tested on Linux and macOS only.
#[cfg(not(unix))]
compile_error!("the spec-gate xtask runs on Linux and macOS only; use WSL on Windows");
/// `println!` that stops quietly when stdout is gone (`cargo xtask gate --json
/// | head`) instead of panicking on the broken pipe; any other write error is
/// noted for an exit status 2 (see [`note_stdout`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
        $crate::note_stdout(writeln!(std::io::stdout(), $($arg)*));
    }};
}

/// `print!` that stops quietly when stdout is gone; see [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
        $crate::note_stdout(write!(std::io::stdout(), $($arg)*));
    }};
}

/// The first error writing to stdout that is not a closed pipe (a full disk,
/// `> /dev/full`): the output was lost, so the run ends with exit 2.
pub static STDOUT_FAILED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Note the result of a write to stdout. A closed pipe is a reader that has
/// seen enough (`| head`), not an error.
pub fn note_stdout(result: std::io::Result<()>) {
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = STDOUT_FAILED.set(e.to_string());
        }
    }
}

/// Whether anything was printed to stdout through [`out!`] or [`outln!`]: a
/// command that printed its JSON document before failing gets no second one.
pub static STDOUT_USED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub mod cli;
pub mod commands;
pub mod context;
pub mod core;
pub mod error;
pub mod gate;
pub mod host;
pub mod report;
pub mod rng;
pub mod toml_lite;
