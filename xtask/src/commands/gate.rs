//! `cargo xtask gate [SLUG...] [--phase P] [--base REV]`: the checks of a phase
//! on workspaces and the repository, every shortfall at a file and line. The
//! engine is `crate::gate`; this prints its report and records the ledgers.
use crate::context::Ctx;
use crate::core::phase::Phase;
use crate::error::{Error, Outcome, Result};
use crate::gate::{self, Request};
use crate::report;

pub fn run(ctx: &Ctx, slugs: &[String], phase: Option<&str>, base: Option<&str>) -> Result<Outcome> {
    let phase = match phase {
        Some(p) => Some(Phase::parse(p).ok_or_else(|| {
            Error::usage(format!("unknown phase `{p}`; use prd, research, implementation, testing, docs or qa"))
        })?),
        None => None,
    };
    let report = gate::run(ctx, &Request { slugs, phase, base, record: true })?;
    report::emit(&report, ctx.json, &ctx.style, "gate");
    let ok = report.ok();
    // The process ends here: freeing thousands of findings one by one only
    // costs time.
    std::mem::forget(report);
    Ok(Outcome::from_ok(ok))
}
