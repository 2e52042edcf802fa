//! The repository's facts a gate run's checks share, each gathered at most
//! once and only when a check asks: the change against the base and its
//! added lines, the venv, the unit test run (with coverage when the
//! `coverage` check runs), and the compile helper's listing.
use std::cell::OnceCell;

use crate::context::Ctx;
use crate::core::diff::AddedLines;
use crate::error::Result;
use crate::gate::coverage::{self, TestRun};
use crate::gate::python::{self, Definitions};
use crate::host::changes::Changes;
use crate::host::stream::{self, Sink};
use crate::host::venv::{self, Venv};

pub struct Facts<'a> {
    ctx: &'a Ctx,
    base: Option<&'a str>,
    /// Ids of the repository checks this run runs.
    selected: Vec<&'static str>,
    changes: OnceCell<Result<Changes>>,
    deleted: OnceCell<Result<Vec<String>>>,
    added: OnceCell<Result<AddedLines>>,
    venv: OnceCell<Result<Venv>>,
    tests: OnceCell<Result<TestRun>>,
    compiled: OnceCell<Result<python::Compiled>>,
}

/// A fact once gathered: the value, or the error every later ask gets again.
fn get<T>(cell: &OnceCell<Result<T>>, gather: impl FnOnce() -> Result<T>) -> Result<&T> {
    cell.get_or_init(gather).as_ref().map_err(Clone::clone)
}

impl<'a> Facts<'a> {
    pub fn new(ctx: &'a Ctx, base: Option<&'a str>, selected: Vec<&'static str>) -> Facts<'a> {
        Facts {
            ctx,
            base,
            selected,
            changes: OnceCell::new(),
            deleted: OnceCell::new(),
            added: OnceCell::new(),
            venv: OnceCell::new(),
            tests: OnceCell::new(),
            compiled: OnceCell::new(),
        }
    }

    /// Whether the check `id` runs in this gate.
    pub fn runs(&self, id: &str) -> bool {
        self.selected.contains(&id)
    }

    /// `--base`, as the request gave it (None: the default branch).
    pub fn base(&self) -> Option<&'a str> {
        self.base
    }

    /// The modified files against the base.
    pub fn changes(&self) -> Result<&Changes> {
        get(&self.changes, || Changes::collect(&self.ctx.root, self.base))
    }

    /// The files deleted since the base (asked only when a ticked task names
    /// a file that is not on disk).
    pub fn deleted(&self) -> Result<&Vec<String>> {
        get(&self.deleted, || self.changes()?.deleted(&self.ctx.root))
    }

    /// The fingerprint of the change (what the ledger keeps so a passing
    /// result can be reused while nothing it measured differs).
    pub fn change_fingerprint(&self) -> Result<String> {
        self.changes()?.fingerprint(&self.ctx.root)
    }

    /// The modified modules (see `gate::coverage::modified_modules`): what
    /// `coverage` measures and `api-docs` judges.
    pub fn modified_modules(&self) -> Result<Vec<String>> {
        Ok(coverage::modified_modules(self.ctx, self.changes()?))
    }

    /// The added lines of every modified file (one `git diff` for all).
    pub fn added_lines(&self) -> Result<&AddedLines> {
        get(&self.added, || {
            let changes = self.changes()?;
            changes.added_lines(&self.ctx.root, &changes.files)
        })
    }

    /// The project's venv, set up when missing.
    pub fn venv(&self) -> Result<&Venv> {
        get(&self.venv, || venv::ensure(&self.ctx.root, &self.ctx.settings))
    }

    /// The unit tests, run once: with coverage of the modified modules when
    /// the `coverage` check runs. Tool output goes to stderr (stdout is the
    /// report's).
    pub fn test_run(&self) -> Result<&TestRun> {
        get(&self.tests, || {
            let venv = self.venv()?;
            let changes = if self.runs("coverage") {
                stream::progress("gate: unit tests with coverage of the modified modules");
                Some((self.changes()?, self.added_lines()?))
            } else {
                stream::progress("gate: unit tests");
                None
            };
            coverage::test_run(self.ctx, changes, venv, Sink::Stderr)
        })
    }

    /// Every Python file under the source roots compiled in one helper run;
    /// when `api-docs` runs, the same process lists the definitions of the
    /// modified modules.
    pub fn compiled(&self) -> Result<&python::Compiled> {
        get(&self.compiled, || {
            let documented = if self.runs("api-docs") { self.modified_modules()? } else { Vec::new() };
            python::compile_listing(self.ctx, &documented)
        })
    }

    /// The definitions the helper listed for `api-docs`.
    pub fn definitions(&self) -> Result<&Definitions> {
        Ok(&self.compiled()?.definitions)
    }
}
