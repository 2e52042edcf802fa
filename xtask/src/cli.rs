//! Every command and flag of `cargo xtask`, declared in one place. The `about`
//! texts here are the `--help` users see.
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};

pub use crate::report::Format;

/// Global options shared by every command.
#[derive(Debug, Clone, Default)]
pub struct Global {
    /// Repository root given with `--root`; found by walking up when absent.
    pub root: Option<PathBuf>,
    pub color: ColorChoice,
    /// Print one JSON document instead of human text (`--json`, `--format json`).
    pub json: bool,
    /// What stdout carries (`--format`).
    pub format: Format,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// One parsed command line.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub global: Global,
    pub command: Cmd,
}

/// The commands, with their own arguments.
#[derive(Debug, Clone)]
pub enum Cmd {
    NewSpec {
        name: Vec<String>,
        complexity: Complexity,
    },
    List,
    Status {
        slug: String,
    },
    /// `active`: every active workspace at its own phase, with the repository
    /// checks of the phases up to the highest (what the hooks run).
    Gate {
        slugs: Vec<String>,
        phase: Option<String>,
        base: Option<String>,
        active: bool,
    },
    Snippets {
        paths: Vec<PathBuf>,
    },
    Setup {
        python: Option<PathBuf>,
    },
    Doctor,
    Test {
        suite: String,
        pytest_args: Vec<String>,
    },
    Coverage {
        base: Option<String>,
        threshold: Option<f64>,
    },
    Fmt {
        check: bool,
        all: bool,
    },
    Recover {
        slug: String,
    },
    Archive {
        slug: String,
        force: bool,
        dry_run: bool,
    },
    Bench {
        what: String,
        args: Vec<String>,
    },
    /// A Claude Code hook: the event's JSON on stdin, the answer on stdout.
    Hook {
        event: HookEvent,
    },
    /// Write the gate's hooks into .claude/settings.json.
    Agents {
        dry_run: bool,
    },
}

/// The hook events `cargo xtask hook` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEvent {
    Stop,
    SubagentStop,
    PreToolUse,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Complexity {
    Simple,
    #[default]
    Medium,
    Complex,
    MultiSystem,
}

impl Complexity {
    pub fn as_str(self) -> &'static str {
        match self {
            Complexity::Simple => "simple",
            Complexity::Medium => "medium",
            Complexity::Complex => "complex",
            Complexity::MultiSystem => "multi-system",
        }
    }
}

const PHASES: [&str; 7] = ["prd", "research", "implementation", "testing", "docs", "qa", "archived"];

/// A slug as given: a folder name that is not UTF-8 arrives in its printable
/// form (`caf\u{fffd}`), the name `list` shows, which finds the folder.
fn slug_parser() -> impl clap::builder::TypedValueParser<Value = String> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().map(|s| s.to_string_lossy().into_owned())
}

fn slug_arg() -> Arg {
    Arg::new("slug").required(true).value_parser(slug_parser()).help("Workspace slug (folder name under specs/active/)")
}

fn base_arg() -> Arg {
    Arg::new("base")
        .long("base")
        .value_name("REV")
        .help("Compare against REV (default: merge base with origin/HEAD, main or master)")
}

/// The command-line interface.
pub fn command() -> Command {
    Command::new("xtask")
        .bin_name("cargo xtask")
        .about("Spec-gate toolbox: measures what a spec-driven workflow promises, file by file, line by line")
        .after_help(
            "The main job: `cargo xtask gate` checks every active workspace and the repository.\n\
             Exit status: 0 all checks pass, 1 a check failed, 2 usage or environment error.",
        )
        .disable_help_subcommand(true)
        .arg(
            Arg::new("root")
                .long("root")
                .global(true)
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Repository root (default: walk up to the folder with .cargo/config.toml or .git)"),
        )
        .arg(
            Arg::new("color")
                .long("color")
                .global(true)
                .value_name("WHEN")
                .value_parser(["auto", "always", "never"])
                .default_value("auto")
                .help("Colour output: auto (a terminal, and NO_COLOR unset), always, never"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print one JSON document (stable, versioned) instead of text; the same as --format json"),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .global(true)
                .value_name("FORMAT")
                .value_parser(["text", "json", "sarif"])
                .help("What stdout carries: text, json (as --json), or sarif (SARIF 2.1.0 for code scanning; gate and snippets)"),
        )
        .subcommand(
            Command::new("new-spec")
                .about("Create specs/active/<slug>/ from the templates for a new feature")
                .arg(
                    Arg::new("name")
                        .required(true)
                        .num_args(1..)
                        .help("Feature name, e.g. \"Snowflake batch optimization\""),
                )
                .arg(
                    Arg::new("complexity")
                        .long("complexity")
                        .value_parser(["simple", "medium", "complex", "multi-system"])
                        .default_value("medium")
                        .help("How big the feature is; sets the analysis depth the templates ask for"),
                ),
        )
        .subcommand(
            Command::new("list")
                .about("List every workspace in specs/active/ and specs/archive/: phase, tasks, last gate"),
        )
        .subcommand(
            Command::new("status")
                .about("One workspace at a glance: every rule, measured against required")
                .arg(slug_arg()),
        )
        .subcommand(
            Command::new("gate")
                .about("Run the checks of a phase on workspaces and the repository (no slug: all active workspaces)")
                .arg(
                    Arg::new("slugs")
                        .num_args(0..)
                        .value_name("SLUG")
                        .value_parser(slug_parser())
                        .help("Workspaces to gate"),
                )
                .arg(
                    Arg::new("phase")
                        .long("phase")
                        .value_name("PHASE")
                        .value_parser(PHASES)
                        .help("Gate as if at this phase instead of the workspace's own"),
                )
                .arg(base_arg())
                .arg(
                    Arg::new("active")
                        .long("active")
                        .action(ArgAction::SetTrue)
                        .conflicts_with_all(["slugs", "phase"])
                        .help(
                            "Every active workspace at its own phase, with the repository checks of the phases up \
                             to the highest (what the hooks and the pre-commit hook run); a bare gate runs every \
                             repository check",
                        ),
                ),
        )
        .subcommand(
            Command::new("snippets")
                .about("Compile (never run) the python blocks of markdown files and check their # VERIFIED: references")
                .arg(
                    Arg::new("paths")
                        .num_args(0..)
                        .value_name("PATH")
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("Markdown files or folders (default: specs/)"),
                ),
        )
        .subcommand(
            Command::new("setup")
                .about("Create .venv and install the host's dev tools, then what the gate still lacks (pytest, pytest-cov, pytest-xdist, the formatter, ruff)")
                .arg(
                    Arg::new("python")
                        .long("python")
                        .value_name("PATH")
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("Interpreter to build the venv with (default: python3 on PATH)"),
                ),
        )
        .subcommand(
            Command::new("doctor")
                .about("Which tools are found, their versions, and the command that fixes what is missing"),
        )
        .subcommand(
            Command::new("test")
                .about("Run pytest from the venv on the unit or integration tests")
                .arg(
                    Arg::new("suite")
                        .value_parser(["unit", "integration", "all"])
                        .default_value("unit")
                        .help("Which tests to run"),
                )
                .arg(
                    Arg::new("pytest_args")
                        .last(true)
                        .num_args(0..)
                        .allow_hyphen_values(true)
                        .help("Arguments passed to pytest after --"),
                ),
        )
        .subcommand(
            Command::new("coverage")
                .about("Coverage of every modified module against the threshold (one pytest run)")
                .arg(base_arg())
                .arg(
                    Arg::new("threshold")
                        .long("threshold")
                        .value_name("PERCENT")
                        .value_parser(clap::value_parser!(f64))
                        .help("Minimum percent per modified module (default: settings, else 90)"),
                ),
        )
        .subcommand(
            Command::new("fmt")
                .about("Format the lines a change touched in modified Python files with the host's formatter (ruff or black)")
                .arg(
                    Arg::new("check")
                        .long("check")
                        .action(ArgAction::SetTrue)
                        .help("Change nothing; exit 1 listing the files the formatter would change"),
                )
                .arg(
                    Arg::new("all")
                        .long("all")
                        .action(ArgAction::SetTrue)
                        .help("Every Python file under the source roots and tests"),
                ),
        )
        .subcommand(
            Command::new("recover")
                .about("Refresh the generated parts of recovery.md and tasks.md; print where to resume")
                .arg(slug_arg()),
        )
        .subcommand(
            Command::new("archive")
                .about("Move a finished workspace to specs/archive/ (the qa gate must pass)")
                .arg(slug_arg())
                .arg(
                    Arg::new("force")
                        .long("force")
                        .action(ArgAction::SetTrue)
                        .help("Archive even when the gate fails; recorded in INDEX.md"),
                )
                .arg(
                    Arg::new("dry_run")
                        .long("dry-run")
                        .action(ArgAction::SetTrue)
                        .help("Say what would happen; change nothing"),
                ),
        )
        .subcommand(
            Command::new("bench")
                .about("The kit's benchmarks, for its contributors (coverage: also on a real suite)")
                .arg(
                    Arg::new("what")
                        .required(true)
                        .value_parser(["snippets", "gate-docs", "coverage", "hostile"])
                        .help("Which benchmark"),
                )
                .arg(Arg::new("bench_args").last(true).num_args(0..).allow_hyphen_values(true).help(
                    "After --, for coverage: --host DIR --module PATH [--module PATH] [--base REV] [--threshold N]",
                )),
        )
        .subcommand(
            Command::new("hook")
                .about("Answer a Claude Code hook: its JSON on stdin, the decision on stdout (installed by `agents`)")
                .subcommand_required(true)
                .subcommand(Command::new("stop").about(
                    "Stop: block while the active workspaces fail the gate at their phases (a loop guard lets the \
                     stop through after `hook-max-blocks` blocks in a row)",
                ))
                .subcommand(Command::new("subagent-stop").about("SubagentStop: the same as stop, for a subagent"))
                .subcommand(Command::new("pre-tool-use").about(
                    "PreToolUse on Edit/Write/MultiEdit/NotebookEdit: deny edits under the source roots while every \
                     active workspace is at phase prd",
                )),
        )
        .subcommand(
            Command::new("agents")
                .about("Install the gate's Claude Code hooks in .claude/settings.json (merged; other settings kept)")
                .arg(
                    Arg::new("dry_run")
                        .long("dry-run")
                        .action(ArgAction::SetTrue)
                        .help("Print the change as a diff; write nothing"),
                ),
        )
}

/// Parse the process arguments. On `--help`, a bare `cargo xtask` or a usage
/// error, prints what clap says and returns the exit code to use.
pub fn parse<I, T>(args: I) -> Result<Invocation, ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cmd = command();
    let matches = match cmd.try_get_matches_from_mut(args) {
        Ok(m) => m,
        Err(err) => {
            let _ = err.print();
            return Err(match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(2),
            });
        }
    };
    let global = Global {
        root: matches.get_one::<PathBuf>("root").cloned(),
        color: match matches.get_one::<String>("color").map(String::as_str) {
            Some("always") => ColorChoice::Always,
            Some("never") => ColorChoice::Never,
            _ => ColorChoice::Auto,
        },
        json: false,
        format: match matches.get_one::<String>("format").map(String::as_str) {
            Some("json") => Format::Json,
            Some("sarif") => Format::Sarif,
            Some(_) => Format::Text,
            None if matches.get_flag("json") => Format::Json,
            None => Format::Text,
        },
    };
    if matches.get_flag("json") && global.format != Format::Json {
        let _ = cmd
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--json and --format other than json ask for two outputs; pass one",
            )
            .print();
        return Err(ExitCode::from(2));
    }
    let global = Global { json: global.format == Format::Json, ..global };
    let Some((name, sub)) = matches.subcommand() else {
        // A bare `cargo xtask` lists the commands.
        let _ = cmd.print_help();
        crate::outln!();
        return Err(ExitCode::SUCCESS);
    };
    Ok(Invocation { global, command: to_cmd(name, sub) })
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id).map(|v| v.cloned().collect()).unwrap_or_default()
}

fn string(m: &ArgMatches, id: &str) -> Option<String> {
    m.get_one::<String>(id).cloned()
}

fn to_cmd(name: &str, m: &ArgMatches) -> Cmd {
    let slug = || string(m, "slug").unwrap_or_default();
    match name {
        "new-spec" => Cmd::NewSpec {
            name: strings(m, "name"),
            complexity: match string(m, "complexity").as_deref() {
                Some("simple") => Complexity::Simple,
                Some("complex") => Complexity::Complex,
                Some("multi-system") => Complexity::MultiSystem,
                _ => Complexity::Medium,
            },
        },
        "list" => Cmd::List,
        "status" => Cmd::Status { slug: slug() },
        "gate" => Cmd::Gate {
            slugs: strings(m, "slugs"),
            phase: string(m, "phase"),
            base: string(m, "base"),
            active: m.get_flag("active"),
        },
        "snippets" => {
            Cmd::Snippets { paths: m.get_many::<PathBuf>("paths").map(|v| v.cloned().collect()).unwrap_or_default() }
        }
        "setup" => Cmd::Setup { python: m.get_one::<PathBuf>("python").cloned() },
        "doctor" => Cmd::Doctor,
        "test" => Cmd::Test {
            suite: string(m, "suite").unwrap_or_else(|| "unit".into()),
            pytest_args: strings(m, "pytest_args"),
        },
        "coverage" => Cmd::Coverage { base: string(m, "base"), threshold: m.get_one::<f64>("threshold").copied() },
        "fmt" => Cmd::Fmt { check: m.get_flag("check"), all: m.get_flag("all") },
        "recover" => Cmd::Recover { slug: slug() },
        "archive" => Cmd::Archive { slug: slug(), force: m.get_flag("force"), dry_run: m.get_flag("dry_run") },
        "bench" => Cmd::Bench { what: string(m, "what").unwrap_or_default(), args: strings(m, "bench_args") },
        "hook" => Cmd::Hook {
            event: match m.subcommand_name() {
                Some("subagent-stop") => HookEvent::SubagentStop,
                Some("pre-tool-use") => HookEvent::PreToolUse,
                _ => HookEvent::Stop,
            },
        },
        "agents" => Cmd::Agents { dry_run: m.get_flag("dry_run") },
        other => unreachable!("clap accepted an undeclared command {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn test_passes_arguments_after_double_dash() {
        let inv = parse(["xtask", "test", "unit", "--", "-k", "slow", "-x"]).unwrap();
        match inv.command {
            Cmd::Test { suite, pytest_args } => {
                assert_eq!(suite, "unit");
                assert_eq!(pytest_args, ["-k", "slow", "-x"]);
            }
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn formats() {
        assert_eq!(parse(["xtask", "gate", "--format", "sarif"]).unwrap().global.format, Format::Sarif);
        let json = parse(["xtask", "gate", "--json"]).unwrap().global;
        assert!(json.json && json.format == Format::Json);
        let json = parse(["xtask", "gate", "--format", "json"]).unwrap().global;
        assert!(json.json);
        assert!(parse(["xtask", "gate", "--json", "--format", "sarif"]).is_err());
        assert!(parse(["xtask", "gate", "--active", "x"]).is_err());
        match parse(["xtask", "hook", "pre-tool-use"]).unwrap().command {
            Cmd::Hook { event } => assert_eq!(event, HookEvent::PreToolUse),
            other => panic!("parsed {other:?}"),
        }
        assert!(parse(["xtask", "hook"]).is_err());
    }

    #[test]
    fn global_flags_work_after_the_command() {
        let inv = parse(["xtask", "list", "--json", "--root", "/tmp/x", "--color", "never"]).unwrap();
        assert!(inv.global.json);
        assert_eq!(inv.global.root.as_deref(), Some(std::path::Path::new("/tmp/x")));
        assert_eq!(inv.global.color, ColorChoice::Never);
    }
}
