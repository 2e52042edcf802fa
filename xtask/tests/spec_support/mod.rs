//! Workspaces for the gate's end-to-end tests: fresh ones (the templates with
//! the tool's placeholders filled, as `new-spec` makes them) and "diligently
//! filled" ones, written the way a careful author follows a template: every
//! placeholder replaced, enough prose under each heading, measurable criteria,
//! a diagram, python blocks whose `# VERIFIED:` references quote a real file of
//! the repository. The filler reads the templates as text, independently of the
//! gate's own parser.
#![allow(dead_code)]

use std::path::Path;

use crate::common::TempRepo;

pub const DOCS: [&str; 5] = ["prd.md", "tasks.md", "recovery.md", "research/analysis.md", "research/plan.md"];
pub const SLUG: &str = "demo";

/// The template of `doc` the binary uses in a repository without templates/.
pub fn builtin_template(doc: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(doc);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tool_placeholders(text: &str, slug: &str) -> String {
    text.replace("{{feature}}", "Demo Batch Loader")
        .replace("{{slug}}", slug)
        .replace("{{date}}", "2026-01-15")
        .replace("{{complexity}}", "medium")
}

/// The source file filled workspaces quote, committed in the repository.
pub const STORE_PY: &str = "\
\"\"\"Batch store used by the demo package.\"\"\"
from dataclasses import dataclass


@dataclass
class Row:
    key: str
    value: int


class Store:
    \"\"\"Keeps rows in memory and writes them in batches.\"\"\"

    def __init__(self, batch_size: int = 100) -> None:
        self.batch_size = batch_size
        self.rows: list[Row] = []

    def put_many(self, rows: list[Row]) -> int:
        \"\"\"Add rows; return how many were added.\"\"\"
        self.rows.extend(rows)
        return len(rows)

    def batches(self):
        for start in range(0, len(self.rows), self.batch_size):
            yield self.rows[start : start + self.batch_size]
";

/// Python blocks quoting STORE_PY: (reference, code), whitespace varied.
const QUOTES: [(&str, &str); 5] = [
    ("src/demo/store.py:5-8", "@dataclass\nclass Row:\n    key: str\n    value: int\n"),
    ("src/demo/store.py:14-16", "def __init__(self, batch_size: int = 100) -> None:\n    self.batch_size = batch_size\n    self.rows: list[Row] = []\n"),
    ("src/demo/store.py:18-21", "def put_many(self, rows: list[Row]) -> int:\n    \"\"\"Add rows; return how many were added.\"\"\"\n    self.rows.extend(rows)  # keep order\n    return len(rows)\n"),
    ("src/demo/store.py:23-25", "def batches(self):\n    for start in range(0, len(self.rows), self.batch_size):\n        yield self.rows[start:start + self.batch_size]\n"),
    ("src/demo/store.py:2", "from dataclasses import dataclass\n"),
];

/// A repository with `src/demo/store.py` committed and nothing else.
pub fn repo_with_source() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("src/demo/__init__.py", "");
    repo.write("src/demo/store.py", STORE_PY);
    repo.commit_all("source");
    repo
}

/// Write a fresh workspace: the built-in templates with only the tool's
/// placeholders filled, exactly what `new-spec` creates.
pub fn write_fresh(repo: &TempRepo, slug: &str) {
    for doc in DOCS {
        repo.write(&format!("specs/active/{slug}/{doc}"), &tool_placeholders(&builtin_template(doc), slug));
    }
    repo.write(&format!("specs/active/{slug}/tmp/.keep"), "");
}

/// Write a diligently filled workspace; returns the documents' texts by name.
pub fn write_filled(repo: &TempRepo, slug: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, doc) in DOCS.iter().enumerate() {
        let text = fill(&tool_placeholders(&builtin_template(doc), slug), i as u64 + 1);
        repo.write(&format!("specs/active/{slug}/{doc}"), &text);
        out.push((doc.to_string(), text));
    }
    repo.write(&format!("specs/active/{slug}/tmp/.keep"), "");
    out
}

/// 1-based line of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("`{needle}` not found")) + 1
}

pub use xtask::rng::Rng;

const VOCABULARY: &[&str] = &[
    "the",
    "loader",
    "reads",
    "each",
    "batch",
    "from",
    "staging",
    "and",
    "writes",
    "rows",
    "into",
    "target",
    "table",
    "while",
    "tracking",
    "offsets",
    "so",
    "that",
    "a",
    "retry",
    "resumes",
    "where",
    "previous",
    "attempt",
    "stopped",
    "schema",
    "changes",
    "are",
    "detected",
    "before",
    "any",
    "data",
    "moves",
    "which",
    "keeps",
    "type",
    "mappings",
    "consistent",
    "across",
    "adapters",
    "configuration",
    "values",
    "come",
    "environment",
    "with",
    "defaults",
    "documented",
    "in",
    "template",
    "connections",
    "pooled",
    "per",
    "worker",
    "errors",
    "surface",
    "as",
    "typed",
    "exceptions",
    "carrying",
    "identifier",
    "metrics",
    "record",
    "latency",
    "throughput",
    "tests",
    "cover",
    "empty",
    "inputs",
    "boundary",
    "sizes",
    "null",
    "columns",
    "timezone",
    "edges",
    "failures",
    "network",
    "timeouts",
    "storage",
    "quotas",
    "design",
    "favours",
    "explicit",
    "registration",
    "through",
    "factory",
    "over",
    "implicit",
    "discovery",
    "because",
    "makes",
    "wiring",
    "visible",
    "reviewers",
    "partition",
    "pruning",
    "reduces",
    "scanned",
    "volume",
    "compression",
    "lowers",
    "transfer",
    "cost",
    "locking",
    "prevents",
    "two",
    "runs",
    "updating",
    "same",
    "metadata",
    "row",
    "at",
    "once",
];

/// `n` words of prose in sentences, paragraphs of about 60 words.
pub fn prose(rng: &mut Rng, n: usize) -> String {
    let mut out = String::new();
    let (mut in_sentence, mut in_paragraph) = (0, 0);
    for i in 0..n {
        let w = VOCABULARY[rng.below(VOCABULARY.len())];
        if in_sentence == 0 {
            let mut c = w.chars();
            out.push(c.next().unwrap().to_ascii_uppercase());
            out.push_str(c.as_str());
        } else {
            out.push_str(w);
        }
        in_sentence += 1;
        in_paragraph += 1;
        let end_sentence = in_sentence >= 10 + rng.below(8) || i + 1 == n;
        if end_sentence {
            out.push('.');
            in_sentence = 0;
        }
        if i + 1 < n {
            if end_sentence && in_paragraph >= 60 {
                out.push_str("\n\n");
                in_paragraph = 0;
            } else {
                out.push(' ');
            }
        }
    }
    out
}

fn measurable(i: usize) -> String {
    let forms = [
        "Loading 1M rows finishes in < 5 minutes on the reference machine",
        "Coverage of every modified module is >= 90%",
        "Zero N+1 query patterns in the loader tests",
        "At most 2 queries per batch of 1000 rows",
        "Every new public function has a docstring and type hints",
        "Peak memory stays below 512 MB for a 10 GB table",
        "No breaking change to the three existing adapter interfaces",
        "Retries resume within 30 seconds after a network failure",
        "All 12 configuration variables appear in the templates",
        "p95 batch latency is <= 200 ms",
    ];
    forms[i % forms.len()].to_string()
}

const DIAGRAM: &str = "```\n+-----------+      +-------------+      +-----------+\n|  staging  | ---> |   loader    | ---> |  target   |\n+-----------+      +------+------+      +-----------+\n                          |\n                          v\n                   +-------------+\n                   |  metadata   |\n                   +-------------+\n```\n";

struct Rules {
    items: Vec<(usize, String)>,
    diagrams: Vec<String>,
    words: usize,
    verified: bool,
}

fn rules_of(template: &str) -> Rules {
    let mut r = Rules { items: Vec::new(), diagrams: Vec::new(), words: 0, verified: false };
    let rx_items = regex_lite::Regex::new(r#"items >= (\d+) under "([^"]+)""#).unwrap();
    let rx_diagram = regex_lite::Regex::new(r#"diagram under "([^"]+)""#).unwrap();
    let rx_words = regex_lite::Regex::new(r"(?:^|[:;]\s*)words >= (\d+)").unwrap();
    for line in template.lines().filter(|l| l.contains("gate:")) {
        for c in rx_items.captures_iter(line) {
            r.items.push((c[1].parse().unwrap(), c[2].to_lowercase()));
        }
        for c in rx_diagram.captures_iter(line) {
            r.diagrams.push(c[1].to_lowercase());
        }
        for c in rx_words.captures_iter(line) {
            r.words = c[1].parse().unwrap();
        }
        r.verified |= line.contains("verified-snippets");
    }
    r
}

fn heading_name(line: &str) -> Option<(usize, String, Option<usize>)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 || !line[level..].starts_with(' ') {
        return None;
    }
    let text = line[level..].trim().to_string();
    let rx = regex_lite::Regex::new(r"\((\d+)\+ words\)\s*$").unwrap();
    let min = rx.captures(&text).map(|c| c[1].parse().unwrap());
    let name = rx.replace(&text, "").trim().to_lowercase();
    Some((level, name, min))
}

/// The test filled criteria name (`pyenv::project_repo` has it, and it passes).
pub const PROVING_TEST: &str = "tests/unit/test_calc.py::test_add";

/// Replace `[...]` placeholders (not task boxes or links) in a line.
fn replace_placeholders(line: &str, rng: &mut Rng, criterion: Option<usize>) -> String {
    let rx = regex_lite::Regex::new(r"\[([^\]\[]{2,})\](?:[^(\[:]|$)").unwrap();
    let mut out = line.to_string();
    while let Some(m) = rx.captures(&out).map(|c| c.get(0).unwrap().start()..c.get(1).unwrap().end() + 1) {
        let inner = &out[m.start + 1..m.end - 1];
        let replacement = if let Some(i) = criterion {
            measurable(i)
        } else if inner.contains("::") {
            PROVING_TEST.to_string()
        } else if inner.contains("src/") {
            "src/demo/store.py".to_string()
        } else if inner == "hours" {
            format!("{} hours", 2 + rng.below(6))
        } else {
            let n = 3 + rng.below(5);
            prose(rng, n).trim_end_matches('.').to_string()
        };
        out.replace_range(m, &replacement);
    }
    out
}

/// Leaving a criteria section: add criteria when the template lists fewer
/// than it asks for.
fn more_criteria(out: &mut String, rules: &Rules, stack: &[(usize, String)], criterion: &mut usize) {
    let Some((_, current)) = stack.last() else { return };
    for (min, section) in &rules.items {
        if section == current {
            while *criterion < *min {
                out.push_str(&format!(
                    "- [ ] **AC{}**: {} (`{PROVING_TEST}`)\n",
                    *criterion + 1,
                    measurable(*criterion)
                ));
                *criterion += 1;
            }
            out.push('\n');
        }
    }
}

/// Fill one template the way a careful author would.
pub fn fill(template: &str, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let rules = rules_of(template);
    let mut out = String::new();
    let mut in_comment = false;
    let mut fence: Option<String> = None;
    let mut section_stack: Vec<(usize, String)> = Vec::new();
    let mut criterion = 0usize;
    let mut wrote_free_snippet = false;
    let mut quotes = 0usize;
    for line in template.lines() {
        let trimmed = line.trim_start();
        if in_comment {
            out.push_str(line);
            out.push('\n');
            in_comment = !line.contains("-->");
            continue;
        }
        if let Some(f) = &fence {
            if trimmed.starts_with(f.as_str()) && trimmed.trim_end().chars().all(|c| c == '`' || c == '~') {
                fence = None;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if trimmed.starts_with("<!--") {
            out.push_str(line);
            out.push('\n');
            in_comment = !line.contains("-->");
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed[..3].to_string());
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if let Some((level, name, min)) = heading_name(trimmed) {
            more_criteria(&mut out, &rules, &section_stack, &mut criterion);
            section_stack.retain(|(l, _)| *l < level);
            section_stack.push((level, name.clone()));
            out.push_str(&replace_placeholders(line, &mut rng, None));
            out.push_str("\n\n");
            if let Some(min) = min {
                out.push_str(&prose(&mut rng, min + 25));
                out.push_str("\n\n");
                if rules.verified && !wrote_free_snippet {
                    wrote_free_snippet = true;
                    out.push_str(
                        "```python\n# VERIFIED: syntax checked by the gate\nimport asyncio\n\n\
                         async def load(store):\n    await asyncio.sleep(0)\n    return store.put_many([])\n\n\
                         await load(None)\n```\n\n",
                    );
                }
            }
            if rules.diagrams.contains(&name) {
                out.push_str(DIAGRAM);
                out.push('\n');
            }
            if rules.verified && trimmed.starts_with("### Pattern") && quotes < QUOTES.len() {
                let (reference, code) = QUOTES[quotes];
                quotes += 1;
                out.push_str(&format!("```python\n# VERIFIED: {reference}\n{code}```\n\n"));
            }
            continue;
        }
        let in_items = section_stack.iter().any(|(_, s)| rules.items.iter().any(|(_, n)| n == s));
        let is_item = trimmed.starts_with("- [");
        let c = (in_items && is_item).then(|| {
            criterion += 1;
            criterion - 1
        });
        out.push_str(&replace_placeholders(line, &mut rng, c));
        out.push('\n');
    }
    more_criteria(&mut out, &rules, &section_stack, &mut criterion);
    if rules.words > 0 {
        out.push_str("\n## Additional Notes\n\n");
        out.push_str(&prose(&mut rng, rules.words / 4 + 50));
        out.push('\n');
    }
    out
}
