//! One module per command. Each takes the context and its own arguments and
//! returns whether it succeeded; errors carry their own exit status. Command
//! modules never import each other: what two commands share lives in the
//! gate engine (`crate::gate`), the core or the host.
use crate::cli::{Cmd, Format, Invocation};
use crate::context::Ctx;
use crate::error::{Error, Outcome, Result};

pub mod agents;
pub mod archive;
pub mod bench;
pub mod coverage;
pub mod doctor;
pub mod fmt;
pub mod gate;
pub mod hook;
pub mod list;
pub mod new_spec;
pub mod recover;
pub mod setup;
pub mod snippets;
pub mod status;
pub mod test;

/// Run one parsed command line.
pub fn run(inv: Invocation) -> Result<Outcome> {
    if inv.global.format == Format::Sarif && !matches!(inv.command, Cmd::Gate { .. } | Cmd::Snippets { .. }) {
        return Err(Error::usage(
            "--format sarif: only `gate` and `snippets` report findings as SARIF; use --json or text here",
        ));
    }
    // A hook answers Claude Code even when the repository cannot be read: it
    // finds its root from the hook's input and reports problems in its answer.
    if let Cmd::Hook { event } = inv.command {
        return hook::run(&inv.global, event);
    }
    let ctx = Ctx::new(&inv.global)?;
    match inv.command {
        Cmd::NewSpec { name, complexity } => new_spec::run(&ctx, &name, complexity),
        Cmd::List => list::run(&ctx),
        Cmd::Status { slug } => status::run(&ctx, &slug),
        Cmd::Gate { slugs, phase, base, active } => gate::run(&ctx, &slugs, phase.as_deref(), base.as_deref(), active),
        Cmd::Snippets { paths } => snippets::run(&ctx, &paths),
        Cmd::Setup { python } => setup::run(&ctx, python.as_deref()),
        Cmd::Doctor => doctor::run(&ctx),
        Cmd::Test { suite, pytest_args } => test::run(&ctx, &suite, &pytest_args),
        Cmd::Coverage { base, threshold } => coverage::run(&ctx, base.as_deref(), threshold),
        Cmd::Fmt { check, all } => fmt::run(&ctx, check, all),
        Cmd::Recover { slug } => recover::run(&ctx, &slug),
        Cmd::Archive { slug, force, dry_run } => archive::run(&ctx, &slug, force, dry_run),
        Cmd::Bench { what, args } => bench::run(&ctx, &what, &args),
        Cmd::Agents { dry_run } => agents::run(&ctx, dry_run),
        Cmd::Hook { .. } => unreachable!("answered above"),
    }
}
