//! `cargo xtask fmt`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _check: bool, _all: bool) -> Result<Outcome> {
    not_yet("fmt")
}
