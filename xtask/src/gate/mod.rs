//! The gate engine: what `cargo xtask gate` runs, and what `status`,
//! `archive` and `snippets` reuse.
//!
//! One run, start to end (specs/guides/architecture.md draws it):
//! 1. [`Request`] says what to check: the workspaces (every active one when
//!    none is named), the phase (each workspace's own when none is given),
//!    the base the change is measured against.
//! 2. The templates' rules are read once; each workspace is read by the one
//!    workspace reader (`host::workspaces`) and its document and workspace
//!    checks run on every core ([`documents`]); the python blocks of all of
//!    them compile in one helper run.
//! 3. The repository checks of the phases up to the highest gated run once,
//!    with the repository's facts (the change, the venv, the test run)
//!    gathered once and shared ([`facts::Facts`]).
//! 4. Each workspace's claims are judged against those facts (criteria
//!    proven by tests, ticked tasks shown in the change: [`evidence`]).
//! 5. Each gated workspace's result goes to its ledger ([`ledger`]).
//!
//! Which check runs when is said in one place: [`registry::CHECKS`].
use crate::context::Ctx;
use crate::core::phase::Phase;
use crate::core::workspace::WorkspaceTexts;
use crate::error::Result;
use crate::report::{Report, WorkspaceReport};

pub mod coverage;
pub mod documents;
pub mod evidence;
pub mod facts;
pub mod later;
pub mod ledger;
pub mod python;
pub mod quality_gates;
pub mod registry;
pub mod snippets;

/// What to gate.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// Workspace slugs under specs/active/; every active workspace when empty.
    pub slugs: &'a [String],
    /// `--phase`: every workspace at this phase instead of its own.
    pub phase: Option<Phase>,
    /// `--base`: what the change is measured against (default: the merge base
    /// with the default branch).
    pub base: Option<&'a str>,
    /// Write each gated workspace's ledger (`tmp/gate.json`).
    pub record: bool,
}

impl Request<'_> {
    /// The main job: no slug and no phase given. It runs every repository check.
    pub fn is_main_job(&self) -> bool {
        self.slugs.is_empty() && self.phase.is_none()
    }
}

/// Gate what `req` names: findings of every workspace, then of the repository.
pub fn run(ctx: &Ctx, req: &Request) -> Result<Report> {
    let (_, mut gated) = documents::gate(ctx, req.slugs, req.phase, req.base, false)?;
    let phases: Vec<Phase> = gated.iter().map(|g| g.phase).collect();
    let highest = match req.phase {
        Some(p) => p,
        None if req.slugs.is_empty() => Phase::Qa,
        None => phases.iter().copied().max().unwrap_or(Phase::Prd),
    };
    let selected: Vec<&registry::Check> =
        registry::CHECKS.iter().filter(|c| c.runs_on_repository(highest, &phases, req.is_main_job())).collect();
    let facts = facts::Facts::new(ctx, req.base, selected.iter().map(|c| c.id).collect());
    // What the Python checks are about to measure, taken before they run, so
    // a passing result can be reused until it differs (`cargo xtask hook
    // stop`). Documents are hashed as read; nothing else is needed before.
    // Whether they run is the registry's word (`tests` stands for them).
    let change = if req.record && facts.runs("tests") { facts.change_fingerprint().ok() } else { None };
    let mut checks = Vec::new();
    for check in selected {
        if let registry::Run::Repository(f) | registry::Run::MainJob(f) = check.run {
            checks.extend(f(ctx, &facts)?);
        }
    }
    for g in &mut gated {
        let mut late = Vec::new();
        if let Some(view) = g.view(ctx) {
            for check in registry::CHECKS.iter().filter(|c| c.runs_late(g.phase)) {
                if let registry::Run::WorkspaceFacts(f) = check.run {
                    late.extend(f(ctx, &view, &facts)?);
                }
            }
        }
        if !late.is_empty() {
            g.report.checks.extend(late);
            documents::order_findings(&mut g.report.checks);
        }
    }
    let (dirs, workspaces): (Vec<_>, Vec<_>) = gated.into_iter().map(|g| ((g.dir, g.hashes), g.report)).unzip();
    let report = Report { checks, workspaces };
    if req.record {
        ledger::write_all(ctx, &dirs, &report, change.as_deref());
    }
    Ok(report)
}

/// One active workspace's document and workspace checks at its own phase,
/// without the repository checks and without touching its ledger: what
/// `status` shows live. Also the documents as read (None only for a link out
/// of specs/, which a named workspace never is) and the templates' rules they
/// were judged by, so that nothing is read twice.
pub fn document_report(ctx: &Ctx, slug: &str) -> Result<(WorkspaceReport, Option<WorkspaceTexts>, documents::Rules)> {
    let (rules, mut gated) = documents::gate(ctx, std::slice::from_ref(&slug.to_string()), None, None, true)?;
    Ok(match gated.pop() {
        Some(g) => (g.report, g.texts, rules),
        None => (WorkspaceReport::default(), None, rules),
    })
}

/// `f` over `items` on every core, results in order.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker threads do not panic")).collect()
    });
    let mut all: Vec<(usize, R)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
