//! `cargo xtask gate [SLUG...] [--phase P] [--base REV] [--active]`: the checks
//! of a phase on workspaces and the repository, every shortfall at a file and
//! line. The engine is `crate::gate`; this prints its report (text, JSON or
//! SARIF) and records the ledgers.
use crate::context::Ctx;
use crate::core::phase::Phase;
use crate::error::{Error, Outcome, Result};
use crate::gate::{self, Request};
use crate::host::workspaces::{self, Location};
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, slugs: &[String], phase: Option<&str>, base: Option<&str>, active: bool) -> Result<Outcome> {
    let phase = match phase {
        Some(p) => Some(Phase::parse(p).ok_or_else(|| {
            Error::usage(format!("unknown phase `{p}`; use prd, research, implementation, testing, docs or qa"))
        })?),
        None => None,
    };
    let named: Vec<String>;
    let slugs = if active {
        // Every active workspace by name: each at its own phase, and only the
        // repository checks of the phases up to the highest.
        named = workspaces::list(&ctx.root, Location::Active)?.into_iter().map(|w| w.name).collect();
        if named.is_empty() {
            report::emit_ctx(ctx, &Report::default(), "gate");
            return Ok(Outcome::Success);
        }
        &named[..]
    } else {
        slugs
    };
    let report = gate::run(ctx, &Request { slugs, phase, base, record: true })?;
    report::emit_ctx(ctx, &report, "gate");
    let ok = report.ok();
    // The process ends here: freeing thousands of findings one by one only
    // costs time.
    std::mem::forget(report);
    Ok(Outcome::from_ok(ok))
}
