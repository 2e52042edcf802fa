//! The pure core: text and facts in, findings out. Nothing here reads or
//! writes a file, starts a process or looks at the environment (a test in
//! this module enforces it), so all of it is unit-tested with strings.
//!
//! - Documents: `markdown` (the one markdown reader), `rules` (the template
//!   grammar), `workspace` (documents, metadata lines, summaries), `tasks`,
//!   `phase`, `slug`, `markers` and `recover` (generated regions), `ledger`.
//! - Tool output and repository facts: `diff`, `coverage`, `pytest`,
//!   `black`, `devtools`, `glob`, `paths`.
//! - `checks`: one module per check id, each returning findings.
//! - Agents: `agent_hooks` (the Claude Code hook protocol), `agent_settings`
//!   (our hooks merged into a settings file), `json_order` (JSON objects in
//!   the order they were written).
pub mod agent_hooks;
pub mod agent_settings;
pub mod black;
pub mod checks;
pub mod coverage;
pub mod devtools;
pub mod diff;
pub mod finding;
pub mod formatting;
pub mod glob;
pub mod json_order;
pub mod ledger;
pub mod markdown;
pub mod markers;
pub mod outcomes;
pub mod paths;
pub mod phase;
pub mod phase_line;
pub mod pytest;
pub mod quality_gates;
pub mod recover;
pub mod rules;
pub mod slug;
pub mod tasks;
pub mod toolchain;
pub mod workspace;
pub mod yaml;
