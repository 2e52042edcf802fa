//! The spec-gate toolbox as a library: `main.rs` only parses and dispatches.
//!
//! - [`spec`] is the pure core: markdown, template rules, workspaces and checks
//!   turned into [`spec::finding::Finding`]s, with no processes and no writes.
//! - [`host`] is the edge: files, git, python, pytest, black, make.
//! - [`commands`] glue the two, one module per command; [`report`] renders findings.
/// `println!` that stops quietly when stdout is gone (`cargo xtask gate --json
/// | head`) instead of panicking on the broken pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that stops quietly when stdout is gone; see [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub mod cli;
pub mod commands;
pub mod context;
pub mod error;
pub mod host;
pub mod report;
pub mod rng;
pub mod spec;
pub mod toml_lite;
