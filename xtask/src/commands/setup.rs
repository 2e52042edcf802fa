//! `cargo xtask setup`: build or complete `.venv` (see `host::venv`).
use std::path::Path;

use crate::context::Ctx;
use crate::core::finding::Finding;
use crate::error::Outcome;
use crate::error::Result;
use crate::host::venv::{self, SetupDone};
use crate::report::{self, Report};

pub fn run(ctx: &Ctx, python: Option<&Path>) -> Result<Outcome> {
    let done = venv::setup(&ctx.root, &ctx.settings, python)?;
    if ctx.json {
        let checks = done
            .tools
            .iter()
            .map(|(tool, version)| {
                Finding::pass("setup", tool, format!("{tool} {}", version.as_deref().unwrap_or("?")))
                    .with("version", version.clone().unwrap_or_default())
            })
            .collect();
        report::emit(&Report { checks, workspaces: Vec::new() }, true, &ctx.style, "setup");
    } else {
        crate::outln!("{}", summary(&done));
    }
    Ok(Outcome::Success)
}

/// `setup: .venv is up to date (pytest 9.2.0, ...) in 0.004 s`
pub fn summary(done: &SetupDone) -> String {
    let tools: Vec<String> =
        done.tools.iter().map(|(t, v)| format!("{t} {}", v.as_deref().unwrap_or("missing"))).collect();
    if done.up_to_date {
        return format!("setup: .venv is up to date ({}) in {:.3} s", tools.join(", "), done.seconds);
    }
    let mut did = Vec::new();
    if done.created {
        did.push("created .venv".to_string());
    }
    for step in &done.ran {
        did.push(format!("ran {step}"));
    }
    if !done.installed_now.is_empty() {
        did.push(format!("installed {}", done.installed_now.join(" ")));
    }
    let import = match &done.import {
        Some((name, Ok(file))) => format!("\nsetup: import {name}: {file}"),
        Some((name, Err(why))) => format!("\nsetup: warning: `import {name}` fails in .venv: {why}"),
        None => String::new(),
    };
    format!("setup: .venv ready ({}): {} in {:.1} s{import}", tools.join(", "), did.join("; "), done.seconds)
}
