//! `cargo xtask archive`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _slug: &str, _force: bool, _dry_run: bool) -> Result<Outcome> {
    not_yet("archive")
}
