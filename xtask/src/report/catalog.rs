//! What each check id means, for readers who see a finding away from this
//! repository's guides: SARIF's rule descriptions and help, the step summary.
//! The rules themselves live in the templates and the checks (see
//! specs/guides/templates-and-rules.md); this is only their description.

/// Description of one check id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    pub id: &'static str,
    /// One line: what the check measures.
    pub short: &'static str,
    /// Why it exists and what it reads.
    pub full: &'static str,
    /// How to fix a failure.
    pub help: &'static str,
}

const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "structure",
        short: "Every workspace document exists and is UTF-8 text",
        full: "A spec workspace holds prd.md, tasks.md, recovery.md, research/analysis.md and research/plan.md; \
               the gate reads each as UTF-8 text, never through a link that leaves the workspace, and needs a \
               readable phase line in recovery.md.",
        help: "Create the missing document from its template (`cargo xtask new-spec` makes all of them), save it \
               as UTF-8, replace links by the files themselves, and keep a `**Current Phase**:` line in recovery.md.",
    },
    CheckInfo {
        id: "residue",
        short: "No placeholder is left from the template",
        full: "Placeholders such as `[Feature Name]`, `{slug}` or a template line left unchanged mean a section \
               was never written.",
        help: "Replace the placeholder on the named line with the real text, or delete the line.",
    },
    CheckInfo {
        id: "words",
        short: "Documents and sections have the prose their templates ask for",
        full: "A template heading ending in `(N+ words)` and `<!-- gate: words >= N -->` set minimums; code, \
               comments and lines left as the template had them do not count.",
        help: "Write more prose under the named heading (or in the document) until the count reaches the \
               figure required; the finding gives both figures.",
    },
    CheckInfo {
        id: "criteria",
        short: "Enough acceptance criteria, each one measurable",
        full: "The PRD's acceptance criteria are counted, and each must carry a number, a threshold, a \
               comparison or a checkable quantifier with an object.",
        help: "Add criteria until the count is reached, and rewrite vague ones with something to measure \
               (`p95 latency < 200 ms`, `every endpoint returns ...`).",
    },
    CheckInfo {
        id: "diagram",
        short: "The PRD has an ASCII or box-drawing diagram",
        full: "The architecture section needs a fenced block of at least three lines drawn with box or arrow \
               characters.",
        help: "Draw the components and the data flow between them in a fenced block under the named section.",
    },
    CheckInfo {
        id: "research",
        short: "The research plan has its declared patterns and libraries",
        full: "research/plan.md declares how many `### Pattern` and library headings it needs.",
        help: "Add the missing headings with their analysis under the named section.",
    },
    CheckInfo {
        id: "snippets",
        short: "Python blocks carry a VERIFIED line and compile; quoted code matches its source",
        full: "Every python block in the workspace documents is compiled (never run); a `# VERIFIED: path:a-b` \
               reference must name an existing file and range whose lines the block quotes, in order.",
        help: "Fix the syntax error, add the `# VERIFIED:` line, or update the block (or its range) to what the \
               referenced file holds now.",
    },
    CheckInfo {
        id: "git-clean",
        short: "No source file changes while planning",
        full: "During the prd phase no tracked file under the source roots is modified: planning is planning only.",
        help: "Restore the named files (`git restore PATH`) or move the workspace to a phase that changes code.",
    },
    CheckInfo {
        id: "tasks",
        short: "tasks.md has task items, all closed at qa",
        full: "From the research phase tasks.md lists task items; at qa each is checked (`- [x]`) or marked not \
               applicable with a reason (`- [-] ... reason`).",
        help: "Break the plan into `- [ ] **ID**: ...` items; close each when it is done or mark it `- [-]` with \
               the reason.",
    },
    CheckInfo {
        id: "tests",
        short: "The unit tests pass",
        full: "pytest runs the unit tests from the project's environment; no test collected is a failure too.",
        help: "Run `cargo xtask test` and fix the failing tests named in the finding.",
    },
    CheckInfo {
        id: "format",
        short: "Modified Python files are formatted",
        full: "The project's formatter checks the Python files changed since the base.",
        help: "Run `cargo xtask fmt` and commit the result.",
    },
    CheckInfo {
        id: "lint",
        short: "Modified Python files pass the project's linter",
        full: "When the project declares ruff (in its dev dependencies, `[tool.ruff]` or the `linter` setting), \
               `ruff check` runs on the Python files changed since the base; every finding in them counts.",
        help: "Fix the line the finding names, as its code (for example F401) says.",
    },
    CheckInfo {
        id: "compile",
        short: "Every Python file under the source roots compiles",
        full: "Each file is compiled by the project's interpreter, never run.",
        help: "Fix the syntax error at the named line.",
    },
    CheckInfo {
        id: "evidence",
        short: "Ticked tasks that name files show them in the change",
        full: "From implementation, each ticked task of tasks.md that names files (in backticks or on a `Files:` \
               line) must find each of them added, modified or deleted since the base; a folder or a glob counts \
               when anything under it changed.",
        help: "Do the work the task names, fix the path it names, or untick the task until it is done.",
    },
    CheckInfo {
        id: "quality-gates",
        short: "The commands of specs/guides/quality-gates.yaml pass",
        full: "The repository owner's commands of implementation_gates, testing_gates and documentation_gates \
               run at their phases (their fallback when the tool is missing); `required: false` only warns.",
        help: "Run the command the finding names and fix what it reports, or fix the gate's entry in \
               specs/guides/quality-gates.yaml.",
    },
    CheckInfo {
        id: "coverage",
        short: "Modified modules are covered by the tests",
        full: "One pytest run with coverage; every module changed since the base must reach the threshold, and \
               changed lines their own threshold when one is set.",
        help: "Add tests for the uncovered lines of the named module (`cargo xtask coverage` lists them).",
    },
    CheckInfo {
        id: "proven",
        short: "Acceptance criteria name the tests that prove them, and those tests pass",
        full: "From the phase the PRD template's `proven` rule names, each criterion names pytest node ids in \
               backticks; a ticked criterion's tests must have passed in the gate's own test run, and at qa \
               every criterion is ticked and proven.",
        help: "Write the node id of the proving test on the criterion's line, and fix the test or the code at the \
               test's file and line until it passes.",
    },
    CheckInfo {
        id: "api-docs",
        short: "New public definitions have docstrings and type hints",
        full: "Functions and classes whose definition line is new in the change need a docstring, annotated \
               parameters and a return type.",
        help: "Add the docstring and the type hints the finding names.",
    },
    CheckInfo {
        id: "guides",
        short: "The guides' python blocks compile and their references resolve",
        full: "Python blocks in specs/guides/ are compiled, never run, and their `# VERIFIED:` references checked.",
        help: "Fix the block or its reference at the named line.",
    },
    CheckInfo {
        id: "rules",
        short: "Added lines follow the repository's anti-pattern rules",
        full: "Regular-expression rules from the settings run over the lines added to modified files.",
        help: "Rewrite the named line the way the rule's message says, or refine the rule in the settings.",
    },
    CheckInfo {
        id: "env-templates",
        short: "Environment variables read by new code are in the config templates",
        full: "Each environment variable name read in modified code must appear in the configured templates.",
        help: "Add the variable, with a comment saying what it does, to the config template.",
    },
];

const UNKNOWN: CheckInfo = CheckInfo {
    id: "",
    short: "A spec-gate check",
    full: "A check of the spec gate; see specs/guides/templates-and-rules.md.",
    help: "Read the finding's message: it names what is missing and how to fix it.",
};

/// The description of check `id` (a generic one for an id not listed).
pub fn check(id: &str) -> CheckInfo {
    CHECKS.iter().copied().find(|c| c.id == id).unwrap_or(UNKNOWN)
}

/// The check ids described here, in the order of the phases.
pub fn ids() -> impl Iterator<Item = &'static str> {
    CHECKS.iter().map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_is_described_once() {
        let mut ids: Vec<&str> = ids().collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for c in CHECKS {
            assert!(!c.short.is_empty() && !c.full.is_empty() && !c.help.is_empty(), "{}", c.id);
            assert!(!c.short.ends_with('.'), "{}: short descriptions are titles", c.id);
        }
        assert_eq!(check("words").id, "words");
        assert_eq!(check("no-such-check"), UNKNOWN);
    }
}
