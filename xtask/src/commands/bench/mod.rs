//! `cargo xtask bench`: performance comparisons on generated corpora, printed
//! from one run. Each benchmark is its own module.
use crate::commands::{not_yet, Outcome};
use crate::context::Ctx;
use crate::error::Result;

mod coverage;

pub fn run(_ctx: &Ctx, what: &str) -> Result<Outcome> {
    match what {
        "snippets" => not_yet("bench snippets"),
        "gate-docs" => not_yet("bench gate-docs"),
        "coverage" => coverage::run(_ctx),
        other => not_yet(&format!("bench {other}")),
    }
}
