//! One module per command. Each takes the context and its own arguments and
//! returns whether it succeeded; errors carry their own exit status.
use std::process::ExitCode;

use crate::cli::{Cmd, Invocation};
use crate::context::Ctx;
use crate::error::{Error, Result};

pub mod archive;
pub mod bench;
pub mod coverage;
pub mod doctor;
pub mod fmt;
pub mod gate;
pub mod gate_later;
pub mod gate_python;
pub mod list;
pub mod new_spec;
pub mod recover;
pub mod setup;
pub mod snippets;
pub mod status;
pub mod test;

/// How a command that ran to the end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// A check failed: exit 1.
    Failed,
}

impl Outcome {
    pub fn from_ok(ok: bool) -> Outcome {
        if ok {
            Outcome::Success
        } else {
            Outcome::Failed
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
        }
    }
}

/// Run one parsed command line.
pub fn run(inv: Invocation) -> Result<Outcome> {
    let ctx = Ctx::new(&inv.global)?;
    match inv.command {
        Cmd::NewSpec { name, complexity } => new_spec::run(&ctx, &name, complexity),
        Cmd::List => list::run(&ctx),
        Cmd::Status { slug } => status::run(&ctx, &slug),
        Cmd::Gate { slugs, phase, base } => gate::run(&ctx, &slugs, phase.as_deref(), base.as_deref()),
        Cmd::Snippets { paths } => snippets::run(&ctx, &paths),
        Cmd::Setup { python } => setup::run(&ctx, python.as_deref()),
        Cmd::Doctor => doctor::run(&ctx),
        Cmd::Test { suite, pytest_args } => test::run(&ctx, &suite, &pytest_args),
        Cmd::Coverage { base, threshold } => coverage::run(&ctx, base.as_deref(), threshold),
        Cmd::Fmt { check, all } => fmt::run(&ctx, check, all),
        Cmd::Recover { slug } => recover::run(&ctx, &slug),
        Cmd::Archive { slug, force, dry_run } => archive::run(&ctx, &slug, force, dry_run),
        Cmd::Bench { what } => bench::run(&ctx, &what),
    }
}

/// For commands not built yet: a clear exit-2 error instead of a silent success.
pub(crate) fn not_yet(command: &str) -> Result<Outcome> {
    Err(Error::usage(format!("`cargo xtask {command}` is not implemented yet in this version of the kit")))
}
