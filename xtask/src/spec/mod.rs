//! The pure core: documents and rules in, findings out. Nothing here starts a
//! process or writes a file, so all of it is unit-tested without a repository.
pub mod checks;
pub mod finding;
pub mod markdown;
pub mod phase;
pub mod rules;
pub mod slug;
pub mod workspace;
