//! The pure core: documents and rules in, findings out. Nothing here starts a
//! process or writes a file, so all of it is unit-tested without a repository.
pub mod checks;
pub mod finding;
pub mod glob;
pub mod ledger;
pub mod markdown;
pub mod markers;
pub mod phase;
pub mod phase_line;
pub mod recover;
pub mod rules;
pub mod slug;
pub mod tasks;
pub mod workspace;
// The Python side (issue 5): coverage, diffs, pytest, black, imports.
pub mod black;
pub mod coverage;
pub mod devtools;
pub mod diff;
pub mod imports;
pub mod pytest;
