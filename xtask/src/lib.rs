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
/// | head`) instead of panicking on the broken pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that stops quietly when stdout is gone; see [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
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
