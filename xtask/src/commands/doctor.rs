//! `cargo xtask doctor`.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

pub fn run(_ctx: &Ctx) -> Result<Outcome> {
    not_yet("doctor")
}
