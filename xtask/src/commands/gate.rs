//! `cargo xtask gate`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _slugs: &[String], _phase: Option<&str>, _base: Option<&str>) -> Result<Outcome> {
    not_yet("gate")
}
