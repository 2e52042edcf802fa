//! `cargo xtask snippets`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _paths: &[std::path::PathBuf]) -> Result<Outcome> {
    not_yet("snippets")
}
