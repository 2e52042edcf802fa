//! `cargo xtask status`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _slug: &str) -> Result<Outcome> {
    not_yet("status")
}
