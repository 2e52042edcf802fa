//! A workspace's claims judged against the repository's facts: its criteria
//! against the gate's own test run (`proven`), its ticked tasks against the
//! change (`evidence`). The judging is in `core::checks::{proven, evidence}`;
//! this glue asks `Facts` only for what a workspace needs, so a workspace
//! whose criteria need no outcomes starts no pytest.
use crate::context::Ctx;
use crate::core::checks::evidence::{self as evidence_core, Change};
use crate::core::checks::proven::{self as proven_core, TestRun};
use crate::core::finding::Finding;
use crate::core::outcomes::Outcomes;
use crate::core::tasks::{self, TaskState};
use crate::error::Result;
use crate::gate::documents::WorkspaceView;
use crate::gate::facts::Facts;

/// `proven`: the criteria of each document whose template declares the rule.
pub fn proven(ctx: &Ctx, ws: &WorkspaceView, facts: &Facts) -> Result<Vec<Finding>> {
    let claims = &ws.claims.criteria;
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    let recorded = if proven_core::claims_need_run(claims, ws.phase) { Some(outcomes(ctx, facts)?) } else { None };
    let run = match &recorded {
        None => TestRun::NotNeeded,
        Some(Ok(o)) => TestRun::Recorded(o),
        Some(Err(why)) => TestRun::Unrecorded(why),
    };
    Ok(proven_core::judge_claims(claims, ws.phase, run))
}

/// The outcomes of the gate's one test run, or why there are none.
fn outcomes<'f>(ctx: &Ctx, facts: &'f Facts) -> Result<std::result::Result<&'f Outcomes, String>> {
    let unit = &ctx.settings.unit_tests;
    if !ctx.root.join(unit).is_dir() {
        return Ok(Err(format!("there is no unit test folder {unit}")));
    }
    Ok(facts.test_run()?.outcomes.as_ref().ok_or_else(|| "pytest did not get to write them".to_string()))
}

/// `evidence`: the ticked tasks of tasks.md that name files.
pub fn tasks(ctx: &Ctx, ws: &WorkspaceView, facts: &Facts) -> Result<Vec<Finding>> {
    let Some((path, list)) = &ws.claims.tasks else { return Ok(Vec::new()) };
    let mut list = list.clone();
    let judged = |t: &tasks::Task| t.state == TaskState::Done && !t.files.is_empty();
    if !list.tasks.iter().any(judged) {
        let none = Change { files: &[], deleted: &[], since: "", absent: &[] };
        return Ok(evidence_core::check(path, &list, &none));
    }
    // A name that is no path from the root but one inside the workspace
    // (`research/analysis.md`) means the workspace's file.
    let mut absent: Vec<String> = Vec::new();
    for task in list.tasks.iter_mut().filter(|t| judged(t)) {
        for name in &mut task.files {
            if name.contains(['*', '?', '[']) || ctx.root.join(name.as_str()).exists() {
                continue;
            }
            if ws.path.join(name.as_str()).exists() {
                *name = format!("{}/{}", ws.dir, name);
            } else if !absent.contains(name) {
                absent.push(name.clone());
            }
        }
    }
    let changes = facts.changes()?;
    let deleted: &[String] = if absent.is_empty() { &[] } else { facts.deleted()? };
    let since = changes.since();
    let change = Change { files: &changes.files, deleted, since: &since, absent: &absent };
    Ok(evidence_core::check(path, &list, &change))
}
