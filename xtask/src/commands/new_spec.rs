//! `cargo xtask new-spec`.
use crate::cli::Complexity;
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _name: &[String], _complexity: Complexity) -> Result<Outcome> {
    not_yet("new-spec")
}
