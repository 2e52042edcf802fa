//! The workflow's phases, in order. Each phase runs the checks of the phases
//! before it plus its own.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Prd,
    Research,
    Implementation,
    Testing,
    Docs,
    Qa,
    Archived,
}

impl Phase {
    pub const ALL: [Phase; 7] =
        [Phase::Prd, Phase::Research, Phase::Implementation, Phase::Testing, Phase::Docs, Phase::Qa, Phase::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prd => "prd",
            Phase::Research => "research",
            Phase::Implementation => "implementation",
            Phase::Testing => "testing",
            Phase::Docs => "docs",
            Phase::Qa => "qa",
            Phase::Archived => "archived",
        }
    }

    /// Our names, and the workflow's own names for the same phases (`Planning`,
    /// `Documentation`, `Quality Gate`, ...), case-insensitively. Text after the
    /// first word that is not part of a name (`Planning Complete -> ...`) is ignored.
    pub fn parse(text: &str) -> Option<Phase> {
        let t = text.trim().trim_matches(|c: char| c == '*' || c == '`' || c == '[' || c == ']').to_ascii_lowercase();
        let first = t.split(|c: char| !c.is_ascii_alphanumeric() && c != '-').find(|w| !w.is_empty())?;
        Some(match first {
            "prd" | "planning" | "plan" | "draft" => Phase::Prd,
            "research" | "expert-research" => Phase::Research,
            "implementation" | "implementing" | "expert" => Phase::Implementation,
            "testing" | "test" | "tests" => Phase::Testing,
            "docs" | "documentation" | "doc" => Phase::Docs,
            "qa" | "quality" | "quality-gate" | "gate" => Phase::Qa,
            "archived" | "archive" | "complete" | "completed" | "done" => Phase::Archived,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ours_and_the_workflows() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
        assert_eq!(Phase::parse("Planning Complete → Ready for Implementation"), Some(Phase::Prd));
        assert_eq!(Phase::parse("[Planning | Research | Implementation]"), Some(Phase::Prd));
        assert_eq!(Phase::parse("Documentation"), Some(Phase::Docs));
        assert_eq!(Phase::parse("QA"), Some(Phase::Qa));
        assert_eq!(Phase::parse("  "), None);
        assert_eq!(Phase::parse("whatever"), None);
        assert!(Phase::Prd < Phase::Qa);
    }
}
