//! `cargo xtask setup`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _python: Option<&std::path::Path>) -> Result<Outcome> {
    not_yet("setup")
}
