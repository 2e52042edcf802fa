//! Checks of the qa phase over what a branch added: anti-pattern `rules` and
//! `env-templates`. Both read only added lines of modified files, so old code
//! is never blamed for what the feature did not touch.
pub mod api_docs;
pub mod env_templates;
pub mod rules;
pub mod tasks;

/// A modified file and the lines the change added to it (1-based, with text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub added: Vec<(usize, String)>,
}
