//! A spec workspace: `specs/active/{slug}/` (or `specs/archive/{slug}/`) and its
//! five documents.

/// The five documents of a workspace, in the order authors fill them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Doc {
    Prd,
    Analysis,
    Plan,
    Tasks,
    Recovery,
}

impl Doc {
    pub const ALL: [Doc; 5] = [Doc::Prd, Doc::Analysis, Doc::Plan, Doc::Tasks, Doc::Recovery];

    /// Path inside the workspace (and inside `templates/`), `/`-separated.
    pub fn rel_path(self) -> &'static str {
        match self {
            Doc::Prd => "prd.md",
            Doc::Analysis => "research/analysis.md",
            Doc::Plan => "research/plan.md",
            Doc::Tasks => "tasks.md",
            Doc::Recovery => "recovery.md",
        }
    }

    /// The template built into the binary, used when `templates/` lacks it.
    pub fn builtin_template(self) -> &'static str {
        match self {
            Doc::Prd => include_str!("../../../templates/prd.md"),
            Doc::Analysis => include_str!("../../../templates/research/analysis.md"),
            Doc::Plan => include_str!("../../../templates/research/plan.md"),
            Doc::Tasks => include_str!("../../../templates/tasks.md"),
            Doc::Recovery => include_str!("../../../templates/recovery.md"),
        }
    }
}
