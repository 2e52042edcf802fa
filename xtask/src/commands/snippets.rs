//! `cargo xtask snippets [PATH...]`: the python blocks of any markdown files or
//! folders (default `specs/`) compile, and their `# VERIFIED:` references
//! resolve and match (a `# VERIFIED:` line is not required here).
use std::path::PathBuf;

use crate::context::Ctx;
use crate::error::{Outcome, Result};
use crate::gate::snippets::check_paths;
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, paths: &[PathBuf]) -> Result<Outcome> {
    let report = Report { checks: check_paths(ctx, paths, None)?, workspaces: Vec::new() };
    report::emit_ctx(ctx, &report, "snippets");
    Ok(Outcome::from_ok(report.ok()))
}
