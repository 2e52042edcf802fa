//! `cargo xtask bench gate-docs`: the planning-phase gate (`gate --phase prd`,
//! every active workspace) over 100, 1,000 and 10,000 generated workspaces
//! that pass it, filled from the templates the way a careful author fills
//! them: wall time, peak memory, and how the cost grows.
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::snippets::{children_cpu, link_venv, load_average, real_interpreter, TempDir};
use xtask::context::Ctx;
use xtask::core::markdown::Markdown;
use xtask::core::rules::{placeholders_in, Rule, TemplateRules};
use xtask::core::workspace::Doc;
use xtask::error::Outcome;
use xtask::error::{Error, Result};
use xtask::host::templates;
use xtask::rng::Rng;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let python = real_interpreter(&ctx.root)?;
    let exe = crate::xtask_binary()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if let Some(keep) = std::env::var_os("XTASK_BENCH_KEEP") {
        // Debugging aid: write the 1,000-workspace corpus there and stop.
        std::fs::create_dir_all(&keep).map_err(|e| Error::io(Path::new(&keep), &e, "pass a writable folder"))?;
        generate(Path::new(&keep), &python, 1_000)?;
        return Ok(Outcome::Success);
    }
    xtask::outln!("bench gate-docs: `cargo xtask gate --phase prd` over N filled workspaces; {cores} cores");
    xtask::outln!(
        "  {:>6}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}  {:>9}  {:>10}",
        "N",
        "markdown",
        "blocks",
        "wall s",
        "CPU s",
        "ms/ws",
        "peak MB",
        "blocks/s"
    );
    for &n in &SIZES {
        let dir = TempDir::new("gate-docs")?;
        let corpus = generate(dir.path(), &python, n)?;
        let runs = if n >= 10_000 { 1 } else { 3 };
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut peak = 0u64;
        for i in 0..runs {
            let cpu = children_cpu();
            let (wall, rss, code, out) = measure(&exe, dir.path())?;
            cpus.push(children_cpu() - cpu);
            if i == 0 && code != Some(0) {
                return Err(Error::usage(format!(
                    "bench gate-docs: the generated workspaces should pass, got exit {code:?}: {}",
                    out.lines().take(5).collect::<Vec<_>>().join(" | ")
                )));
            }
            walls.push(wall);
            peak = peak.max(rss);
        }
        walls.sort_by(f64::total_cmp);
        cpus.sort_by(f64::total_cmp);
        let (wall, cpu) = (walls[walls.len() / 2], cpus[cpus.len() / 2]);
        xtask::outln!(
            "  {:>6}  {:>7.1}MB  {:>8}  {:>8.3}  {:>8.2}  {:>8.3}  {:>9.1}  {:>10.0}",
            n,
            corpus.bytes as f64 / 1e6,
            corpus.blocks,
            wall,
            cpu,
            wall * 1000.0 / n as f64,
            peak as f64 / 1024.0,
            corpus.blocks as f64 / wall
        );
    }
    xtask::outln!("  wall and CPU (user + system, python helpers included): median of 3 runs, 1 at 10,000;");
    xtask::outln!("  peak: resident memory of the gate process; load average at the end: {}", load_average());
    Ok(Outcome::Success)
}

/// Run the gate on `dir`: (wall seconds, peak resident KB, exit code, stdout).
fn measure(exe: &Path, dir: &Path) -> Result<(f64, u64, Option<i32>, String)> {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .arg("--root")
        .arg(dir)
        .args(["gate", "--phase", "prd"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::usage(format!("cannot run {}: {e}", exe.display())))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_path).ok().and_then(|s| vm_hwm(&s)) {
            peak = peak.max(kb);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(Error::usage(format!("waiting for the gate: {e}"))),
        }
    };
    let wall = start.elapsed().as_secs_f64();
    let out = reader.join().unwrap_or_default();
    Ok((wall, peak, status.code(), out))
}

/// `VmHWM:   1234 kB` -> 1234.
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Corpus {
    bytes: usize,
    blocks: usize,
}

/// The code of workspace `i` in the source file all workspaces quote: each
/// quotes its own class, so no two python blocks of the corpus are the same.
fn store_class(i: usize) -> String {
    format!(
        "@dataclass\nclass Row{i}:\n    key: str\n    value: int = {i}\n\n\n\
         class Store{i}:\n    def __init__(self, batch_size: int = {i}) -> None:\n        self.batch_size = batch_size\n        \
         self.rows: list[Row{i}] = []\n\n    def put_many(self, rows: list[Row{i}]) -> int:\n        self.rows.extend(rows)\n        \
         return len(rows) + {i}\n\n\n"
    )
}

/// Lines of `store_class` (1-based, within it) that workspaces quote, and the
/// quoted code with its indentation as a snippet would show it.
fn quotes(i: usize, first_line: usize) -> [(String, String); 4] {
    let at = |a: usize, b: usize| format!("src/demo/store.py:{}-{}", first_line + a - 1, first_line + b - 1);
    [
        (at(1, 4), format!("@dataclass\nclass Row{i}:\n    key: str\n    value: int = {i}\n")),
        (
            at(8, 10),
            format!("def __init__(self, batch_size: int = {i}) -> None:\n    self.batch_size = batch_size\n    self.rows: list[Row{i}] = []\n"),
        ),
        (at(12, 14), format!("def put_many(self, rows: list[Row{i}]) -> int:\n    self.rows.extend(rows)\n    return len(rows) + {i}\n")),
        (
            at(7, 10),
            format!(
                "class Store{i}:\n    def __init__(self, batch_size: int = {i}) -> None:\n        \
                 self.batch_size = batch_size\n        self.rows: list[Row{i}] = []\n"
            ),
        ),
    ]
}

/// A git repository with `n` filled workspaces in specs/active/.
fn generate(dir: &Path, python: &Path, n: usize) -> Result<Corpus> {
    let io = |p: &Path, e: std::io::Error| Error::io(p, &e, "check the temporary folder");
    link_venv(dir, python)?;
    let src = dir.join("src").join("demo");
    std::fs::create_dir_all(&src).map_err(|e| io(&src, e))?;
    let mut store = String::from("from dataclasses import dataclass\n\n\n");
    let mut class_lines = Vec::with_capacity(n);
    for i in 0..n {
        class_lines.push(store.lines().count() + 1);
        store.push_str(&store_class(i));
    }
    std::fs::write(src.join("store.py"), store).map_err(|e| io(&src, e))?;
    for args in
        [&["init", "-q"][..], &["add", "src"], &["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "src"]]
    {
        xtask::host::git::stdout(dir, args)?;
    }
    let folders = templates::folders("specs/template-spec");
    let rules = xtask::gate::documents::load_rules(dir, &folders)?;
    let templates: Vec<(Doc, String, &TemplateRules)> = Doc::ALL
        .iter()
        .map(|&doc| {
            let t = templates::load(dir, &folders, doc)?;
            let r = rules.iter().find(|(d, _)| *d == doc).map(|(_, r)| r);
            let r = r.ok_or_else(|| Error::usage(format!("no rules for {}", doc.rel_path())))?;
            Ok((doc, t.text, r))
        })
        .collect::<Result<_>>()?;
    let mut corpus = Corpus { bytes: 0, blocks: 0 };
    for (i, &class_line) in class_lines.iter().enumerate() {
        let slug = format!("ws-{i:05}");
        let ws = dir.join("specs").join("active").join(&slug);
        std::fs::create_dir_all(ws.join("research")).map_err(|e| io(&ws, e))?;
        let mut rng = Rng::new(i as u64 + 1);
        let quotes = quotes(i, class_line);
        for (doc, template, rules) in &templates {
            let text = fill(template, rules, &mut rng, &slug, &quotes);
            corpus.bytes += text.len();
            corpus.blocks += text.matches("```python\n").count();
            let path = ws.join(doc.rel_path());
            std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        }
    }
    Ok(corpus)
}

const VOCABULARY: [&str; 48] = [
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
    "retry",
    "resumes",
    "where",
    "attempt",
    "stopped",
    "schema",
    "changes",
    "detected",
    "before",
    "data",
    "moves",
    "type",
    "mappings",
    "stay",
    "consistent",
    "across",
    "adapters",
    "configuration",
    "values",
    "come",
    "environment",
    "defaults",
    "errors",
    "surface",
    "typed",
    "exceptions",
    "metrics",
    "record",
    "latency",
    "throughput",
    "partition",
];

fn prose(rng: &mut Rng, n: usize) -> String {
    let mut out = String::with_capacity(n * 8);
    let mut in_sentence = 0;
    for i in 0..n {
        let w = rng.pick(&VOCABULARY);
        if in_sentence == 0 {
            let mut c = w.chars();
            out.extend(c.next().map(|f| f.to_ascii_uppercase()));
            out.push_str(c.as_str());
        } else {
            out.push_str(w);
        }
        in_sentence += 1;
        if in_sentence >= 12 || i + 1 == n {
            out.push('.');
            in_sentence = 0;
            out.push(if i % 60 > 48 { '\n' } else { ' ' });
        } else {
            out.push(' ');
        }
    }
    out.push('\n');
    out
}

const CRITERIA: [&str; 10] = [
    "Loading 1M rows finishes in < 5 minutes",
    "Coverage of every modified module is >= 90%",
    "Zero N+1 query patterns in the loader tests",
    "At most 2 queries per batch of 1000 rows",
    "Every new public function has a docstring",
    "Peak memory stays below 512 MB",
    "No breaking change to the 3 adapter interfaces",
    "Retries resume within 30 seconds",
    "All 12 settings appear in the templates",
    "p95 batch latency is <= 200 ms",
];

const DIAGRAM: &str = "```\n+---------+     +--------+     +--------+\n| staging | ==> | loader | ==> | target |\n+---------+     +---+----+     +--------+\n                    |\n                    v\n               +----------+\n               | metadata |\n               +----------+\n```\n\n";

/// Fill a template as a careful author would: every placeholder replaced,
/// prose under each `(N+ words)` heading, criteria that measure, a diagram
/// where asked, python blocks with `# VERIFIED:` lines (some quoting the
/// repository's source). Blocks differ per workspace (`slug` in them).
fn fill(template: &str, rules: &TemplateRules, rng: &mut Rng, slug: &str, quotes: &[(String, String)]) -> String {
    let md = Markdown::parse(template);
    let mask = md.non_prose_mask();
    let headings: HashMap<usize, usize> = md.headings.iter().enumerate().map(|(i, h)| (h.line, i)).collect();
    let items: Vec<String> = section_names(rules, |r| match r {
        Rule::Items { section, .. } => Some(section),
        _ => None,
    });
    let diagrams: Vec<String> = section_names(rules, |r| match r {
        Rule::Diagram { section: Some(section) } => Some(section),
        _ => None,
    });
    let verified = rules.declares(|r| *r == Rule::VerifiedSnippets);
    let patterns: Vec<String> = rules
        .rules
        .iter()
        .filter_map(|d| match &d.rule {
            Rule::Headings { prefix, .. } => Some(prefix.to_lowercase()),
            _ => None,
        })
        .collect();
    let ident: String = slug.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let mut out = String::with_capacity(template.len() * 8);
    let mut stack: Vec<(u8, String)> = Vec::new();
    let mut criterion = 0;
    let mut quote = 0;
    let mut wrote_example = false;
    for (line, masked) in md.masked_lines(&mask) {
        let raw = md.line(line);
        if masked.trim().is_empty() {
            out.push_str(raw);
            out.push('\n');
            continue;
        }
        if let Some(&h) = headings.get(&line) {
            let heading = &md.headings[h];
            let name = xtask::core::rules::normalize_section(&heading.text);
            stack.retain(|(level, _)| *level < heading.level);
            stack.push((heading.level, name.clone()));
            out.push_str(&replace_placeholders(raw, rng, None));
            out.push_str("\n\n");
            if let (_, Some(Ok(min))) = xtask::core::rules::split_word_minimum(&heading.text) {
                out.push_str(&prose(rng, min as usize + 20));
                out.push('\n');
                if verified && !wrote_example {
                    // One block of new code per document, checked by syntax.
                    wrote_example = true;
                    out.push_str(&format!(
                        "```python\n# VERIFIED: syntax checked\nimport asyncio\n\n\nasync def load_{ident}_{line}(store):\n    \
                         await asyncio.sleep(0)\n    return store.put_many([])\n\n\nawait load_{ident}_{line}(None)\n```\n\n"
                    ));
                }
            }
            if diagrams.contains(&name) {
                out.push_str(DIAGRAM);
            }
            let atx = heading.atx().to_lowercase();
            if verified && patterns.iter().any(|p| atx.starts_with(p.as_str())) {
                let (reference, code) = &quotes[quote % quotes.len()];
                quote += 1;
                out.push_str(&format!("```python\n# VERIFIED: {reference}\n{code}```\n\n"));
            }
            continue;
        }
        let in_items = stack.last().is_some_and(|(_, s)| items.contains(s));
        let is_item = raw.trim_start().starts_with("- [");
        let c = (in_items && is_item).then(|| {
            criterion += 1;
            CRITERIA[(criterion - 1) % CRITERIA.len()]
        });
        out.push_str(&replace_placeholders(raw, rng, c));
        out.push('\n');
    }
    // More prose when the sections' own minimums do not add up to the
    // document's.
    let sections: u64 = rules
        .rules
        .iter()
        .map(|d| match d.rule {
            Rule::SectionWords { min, .. } => min + 20,
            _ => 0,
        })
        .sum();
    let document = rules.rules.iter().find_map(|d| match d.rule {
        Rule::DocumentWords { min } => Some(min),
        _ => None,
    });
    if let Some(min) = document.filter(|min| sections < min + 50) {
        out.push_str("\n## Additional Notes\n\n");
        out.push_str(&prose(rng, (min + 100 - sections.min(min)) as usize));
    }
    out
}

fn section_names(rules: &TemplateRules, pick: impl Fn(&Rule) -> Option<&String>) -> Vec<String> {
    rules.rules.iter().filter_map(|d| pick(&d.rule)).map(|s| xtask::core::rules::normalize_section(s)).collect()
}

fn replace_placeholders(line: &str, rng: &mut Rng, criterion: Option<&str>) -> String {
    let mut out = line.to_string();
    for p in placeholders_in(line) {
        let with = match criterion {
            Some(c) => c.to_string(),
            None if p.contains("src/") => "src/demo/store.py".to_string(),
            None => {
                let n = 2 + rng.below(4);
                prose(rng, n).trim().trim_end_matches('.').to_string()
            }
        };
        out = out.replacen(p, &with, 1);
    }
    out
}
