//! `cargo xtask bench`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _what: &str) -> Result<Outcome> {
    not_yet("bench")
}
