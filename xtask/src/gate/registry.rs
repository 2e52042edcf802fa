//! Every check of the gate, once: its stable id (what output, JSON and
//! agents name it by), the phases it runs at, and what it looks at. Adding a
//! check is one module plus one line here (specs/guides/architecture.md).
use crate::context::Ctx;
use crate::core::checks::WorkspaceInput;
use crate::core::checks::{self, DocInput};
use crate::core::finding::Finding;
use crate::core::phase::Phase;
use crate::error::Result;
use crate::gate::documents::WorkspaceView;
use crate::gate::facts::Facts;
use crate::gate::{evidence, later, python, quality_gates};

/// What a check looks at, and so how the engine calls it.
#[derive(Clone, Copy)]
pub enum Run {
    /// Each document of a workspace, against its template's rules.
    Document(fn(&DocInput) -> Vec<Finding>),
    /// A whole workspace: its documents as read.
    Workspace(fn(&WorkspaceInput) -> Vec<Finding>),
    /// The python blocks of the workspaces' documents, compiled together in
    /// one helper run (see `gate::documents`).
    Snippets,
    /// The repository, once per gate run.
    Repository(fn(&Ctx, &Facts) -> Result<Vec<Finding>>),
    /// The repository, only in the main job (a bare `cargo xtask gate`).
    MainJob(fn(&Ctx, &Facts) -> Result<Vec<Finding>>),
    /// A workspace's claims against the repository's facts (the test run,
    /// the change): each gated workspace, at its phase, after the repository
    /// checks; the findings are the workspace's.
    WorkspaceFacts(fn(&Ctx, &WorkspaceView, &Facts) -> Result<Vec<Finding>>),
}

/// One check.
#[derive(Clone, Copy)]
pub struct Check {
    /// Stable: agents and CI match on it.
    pub id: &'static str,
    /// The first phase it runs at; every later phase runs it too...
    pub from: Phase,
    /// ...up to this one, when set.
    pub until: Option<Phase>,
    pub run: Run,
}

const fn check(id: &'static str, from: Phase, run: Run) -> Check {
    Check { id, from, until: None, run }
}

/// The registry, in the order findings are reported.
pub const CHECKS: &[Check] = &[
    // Each workspace, at its own phase.
    check("structure", Phase::Prd, Run::Workspace(checks::structure::check_workspace)),
    // A missing section, once, with every rule that needs it; the checks below skip it.
    check("structure", Phase::Prd, Run::Document(checks::structure::missing_sections)),
    check("residue", Phase::Prd, Run::Document(checks::residue::check)),
    check("words", Phase::Prd, Run::Document(checks::words::check)),
    check("criteria", Phase::Prd, Run::Document(checks::criteria::check)),
    check("diagram", Phase::Prd, Run::Document(checks::diagram::check)),
    check("research", Phase::Prd, Run::Document(checks::research::check)),
    check("snippets", Phase::Prd, Run::Snippets),
    check("tasks", Phase::Research, Run::Workspace(checks::tasks::check_items)),
    check("tasks", Phase::Qa, Run::Workspace(checks::tasks::check_closed)),
    // Each workspace's claims against the repository's facts. `proven` starts
    // where its template rule says (`proven under "..." from PHASE`).
    check("proven", Phase::Prd, Run::WorkspaceFacts(evidence::proven)),
    // From implementation: while planning (prd) no source file may change,
    // and research tasks read files rather than change them.
    check("evidence", Phase::Implementation, Run::WorkspaceFacts(evidence::tasks)),
    // The repository, once, for the highest phase gated.
    Check {
        id: "git-clean",
        from: Phase::Prd,
        // Planning writes no code: only while every gated workspace plans.
        until: Some(Phase::Prd),
        run: Run::Repository(python::git_clean),
    },
    check("tests", Phase::Implementation, Run::Repository(python::tests)),
    check("format", Phase::Implementation, Run::Repository(python::format)),
    check("lint", Phase::Implementation, Run::Repository(python::lint)),
    check("compile", Phase::Implementation, Run::Repository(python::compile)),
    // The owner's commands of specs/guides/quality-gates.yaml, at their phases.
    check("quality-gates", Phase::Implementation, Run::Repository(quality_gates::implementation)),
    check("coverage", Phase::Testing, Run::Repository(python::coverage)),
    check("quality-gates", Phase::Testing, Run::Repository(quality_gates::testing)),
    check("api-docs", Phase::Docs, Run::Repository(python::api_docs)),
    check("quality-gates", Phase::Docs, Run::Repository(quality_gates::documentation)),
    check("guides", Phase::Docs, Run::Repository(later::guides)),
    check("rules", Phase::Qa, Run::Repository(later::rules)),
    check("env-templates", Phase::Qa, Run::Repository(later::env_templates)),
    // The archive's examples stay true (their blocks compile and match).
    check("snippets", Phase::Qa, Run::MainJob(later::archived_snippets)),
];

impl Check {
    /// Whether this workspace-level check runs on a workspace at `phase`.
    pub fn runs_on_workspace(&self, phase: Phase) -> bool {
        matches!(self.run, Run::Document(_) | Run::Workspace(_) | Run::Snippets) && self.covers(phase)
    }

    /// Whether this repository check runs in a gate whose highest phase is
    /// `highest` over workspaces at `phases`: from its first phase on, and,
    /// when it has a last phase, only while every gated workspace is at or
    /// before it.
    pub fn runs_on_repository(&self, highest: Phase, phases: &[Phase], main_job: bool) -> bool {
        let bounded = match self.until {
            None => true,
            Some(until) => !phases.is_empty() && phases.iter().all(|p| *p <= until),
        };
        match self.run {
            Run::Repository(_) => highest >= self.from && bounded,
            Run::MainJob(_) => main_job && highest >= self.from && bounded,
            _ => false,
        }
    }

    /// Whether this check of a workspace's claims runs on a workspace at `phase`.
    pub fn runs_late(&self, phase: Phase) -> bool {
        matches!(self.run, Run::WorkspaceFacts(_)) && self.covers(phase)
    }

    fn covers(&self, phase: Phase) -> bool {
        phase >= self.from && self.until.is_none_or(|u| phase <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_documented_ones() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        ids.dedup();
        ids.sort();
        ids.dedup();
        let documented = [
            "api-docs",
            "compile",
            "coverage",
            "criteria",
            "diagram",
            "env-templates",
            "evidence",
            "format",
            "git-clean",
            "guides",
            "lint",
            "proven",
            "quality-gates",
            "research",
            "residue",
            "rules",
            "snippets",
            "structure",
            "tasks",
            "tests",
            "words",
        ];
        assert_eq!(ids, documented);
    }

    #[test]
    fn phases() {
        let git_clean = CHECKS.iter().find(|c| c.id == "git-clean").unwrap();
        assert!(git_clean.runs_on_repository(Phase::Qa, &[Phase::Prd, Phase::Prd], true));
        assert!(!git_clean.runs_on_repository(Phase::Research, &[Phase::Prd, Phase::Research], false));
        assert!(!git_clean.runs_on_repository(Phase::Qa, &[], true));
        let coverage = CHECKS.iter().find(|c| c.id == "coverage").unwrap();
        assert!(!coverage.runs_on_repository(Phase::Implementation, &[Phase::Implementation], false));
        assert!(coverage.runs_on_repository(Phase::Testing, &[Phase::Prd], false));
        let closed = CHECKS.iter().filter(|c| c.id == "tasks").nth(1).unwrap();
        assert!(!closed.runs_on_workspace(Phase::Docs) && closed.runs_on_workspace(Phase::Qa));
        let archived = CHECKS.iter().find(|c| matches!(c.run, Run::MainJob(_))).unwrap();
        assert!(!archived.runs_on_repository(Phase::Qa, &[], false));
        assert!(archived.runs_on_repository(Phase::Qa, &[], true));
        let evidence = CHECKS.iter().find(|c| c.id == "evidence").unwrap();
        assert!(!evidence.runs_late(Phase::Research) && evidence.runs_late(Phase::Implementation));
        assert!(!evidence.runs_on_workspace(Phase::Qa) && !evidence.runs_on_repository(Phase::Qa, &[], true));
    }
}
