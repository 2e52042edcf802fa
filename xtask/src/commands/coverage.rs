//! `cargo xtask coverage`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx, _base: Option<&str>, _threshold: Option<f64>) -> Result<Outcome> {
    not_yet("coverage")
}
