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

/// The phase named on recovery.md's `**Current Phase**:` line, and that line
/// (1-based). None when the line is missing or names no phase we know.
pub fn current_phase(recovery: &str) -> Option<(crate::spec::phase::Phase, usize)> {
    recovery.lines().enumerate().find_map(|(i, line)| {
        let rest = line.trim_start().trim_start_matches(['-', '*', ' ']).trim_start();
        let value = strip_prefix_ci(rest, "current phase")?.trim_start_matches(['*', ':', ' ']);
        Some((crate::spec::phase::Phase::parse(value)?, i + 1))
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::phase::Phase;

    #[test]
    fn reads_the_current_phase_line() {
        assert_eq!(current_phase("# R\n\n**Current Phase**: implementation\n"), Some((Phase::Implementation, 3)));
        assert_eq!(current_phase("**current phase**: Planning Complete -> Ready"), Some((Phase::Prd, 1)));
        assert_eq!(current_phase("- **Current Phase:** QA"), Some((Phase::Qa, 1)));
        assert_eq!(current_phase("no phase here"), None);
        assert_eq!(current_phase("**Current Phase**: [Planning | Research]"), Some((Phase::Prd, 1)));
    }
}
