//! `cargo xtask test [unit|integration|all] [-- PYTEST ARGS]`: pytest from the
//! venv; its output streams live. Exit 0 pass, 1 failures or nothing
//! collected, 2 when pytest could not run the tests (its reason is shown).
use crate::context::Ctx;
use crate::core::pytest::Verdict;
use crate::error::Outcome;
use crate::error::{Error, Result};
use crate::host::pytest;
use crate::host::stream::Sink;
use crate::host::venv;
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, suite: &str, pytest_args: &[String]) -> Result<Outcome> {
    let mut folders = folders(ctx, suite)?;
    // `test unit -- tests/unit/test_x.py -k name` runs what it is given, not
    // the whole folder as well.
    if crate::core::pytest::names_tests(pytest_args, |p| ctx.root.join(p).exists()) {
        folders.clear();
    }
    let venv = venv::ensure(&ctx.root, &ctx.settings)?;
    let project = pytest::Project { root: &ctx.root, venv: &venv, settings: &ctx.settings };
    // With --json, pytest's own output goes to stderr and stdout holds one
    // report: the `tests` finding the gate would give.
    let sink = if ctx.json { Sink::Stderr } else { Sink::Stdout };
    let run = pytest::run_suite(project, suite, &folders, pytest_args, sink, ctx.style.color && !ctx.json)?;
    if ctx.json {
        let what = if folders.is_empty() { pytest_args.join(" ") } else { folders.join(", ") };
        let finding = crate::gate::coverage::tests_finding(&run.verdict, &run.tail, &what);
        let report = Report { checks: vec![finding], workspaces: Vec::new() };
        report::emit(&report, true, &ctx.style, "test");
    }
    match run.verdict {
        Verdict::Passed => Ok(Outcome::Success),
        Verdict::Failed => Ok(Outcome::Failed),
        Verdict::NoTests => {
            if !ctx.json {
                let what = if folders.is_empty() { pytest_args.join(" ") } else { folders.join(", ") };
                eprintln!("{}: no tests collected in {what}", ctx.style.red("error[tests]"));
            }
            Ok(Outcome::Failed)
        }
        Verdict::Error(reason) => {
            let hint = crate::core::pytest::missing_module_hint(&reason).map(|h| format!("; {h}")).unwrap_or_default();
            Err(Error::usage(format!("pytest could not run the tests: {reason}{hint}")))
        }
    }
}

/// The folders of a suite; checks that they exist and that the environment
/// variables integration tests need are set (nothing runs otherwise).
pub fn folders(ctx: &Ctx, suite: &str) -> Result<Vec<String>> {
    let s = &ctx.settings;
    let unit = s.unit_tests.clone();
    let integration = s.integration_tests.clone();
    let exists = |f: &str| ctx.root.join(f).is_dir();
    let missing_folder = |f: &str, key: &str| {
        Error::usage(format!(
            "{f}: no such folder in {}; create it or set `{key}` in [workspace.metadata.xtask] of Cargo.toml",
            ctx.root.display()
        ))
    };
    let folders = match suite {
        "unit" => vec![unit],
        "integration" => vec![integration],
        _ => {
            let mut both = vec![unit];
            if exists(&integration) {
                both.push(integration);
            }
            both
        }
    };
    for f in &folders {
        if !exists(f) {
            let key = if *f == s.integration_tests { "integration-tests" } else { "unit-tests" };
            return Err(missing_folder(f, key));
        }
    }
    if suite != "unit" && folders.contains(&s.integration_tests) {
        let unset: Vec<&str> = s
            .integration_env
            .iter()
            .map(String::as_str)
            .filter(|v| std::env::var_os(v).is_none_or(|x| x.is_empty()))
            .collect();
        if !unset.is_empty() {
            return Err(Error::usage(format!(
                "integration tests need the environment variable{} {} (integration-env in [workspace.metadata.xtask]); set {} and run again",
                if unset.len() > 1 { "s" } else { "" },
                unset.join(", "),
                if unset.len() > 1 { "them" } else { "it" }
            )));
        }
    }
    Ok(folders)
}
