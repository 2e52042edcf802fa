//! `cargo xtask test`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _suite: &str, _pytest_args: &[String]) -> Result<Outcome> {
    not_yet("test")
}
