//! `cargo xtask bench`: performance comparisons on generated corpora, printed
//! from one run. Each benchmark is its own module.
use crate::context::Ctx;
use crate::error::Result;
use crate::error::{Error, Outcome};

mod coverage;
pub mod gate_docs;
pub mod snippets;

pub fn run(_ctx: &Ctx, what: &str) -> Result<Outcome> {
    match what {
        "snippets" => snippets::run(_ctx),
        "gate-docs" => gate_docs::run(_ctx),
        "coverage" => coverage::run(_ctx),
        other => Err(Error::usage(format!("unknown benchmark `{other}`; use snippets, gate-docs or coverage"))),
    }
}
