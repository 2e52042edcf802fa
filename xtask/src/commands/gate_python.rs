//! The gate's repository checks that need Python tools: `tests`, `format`,
//! `compile` (implementation phase) and `coverage` (testing phase).
use crate::context::Ctx;
use crate::error::Result;
use crate::spec::finding::Finding;
use crate::spec::phase::Phase;

/// Findings of the Python checks a gate at `phase` runs. `base` is `--base`.
pub fn run(_ctx: &Ctx, _phase: Phase, _base: Option<&str>) -> Result<Vec<Finding>> {
    Ok(Vec::new())
}
