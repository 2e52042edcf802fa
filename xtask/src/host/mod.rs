//! The edges: files, processes, git, python and its tools. Thin wrappers that
//! turn the outside world into data for the core.
pub mod changes;
pub mod formatter;
pub mod fs;
pub mod git;
pub mod git_status;
pub mod process;
pub mod pytest;
pub mod python;
pub mod settings;
pub mod stream;
pub mod templates;
pub mod uv;
pub mod venv;
pub mod workspaces;
