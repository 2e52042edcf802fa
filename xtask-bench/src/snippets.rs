//! `cargo xtask bench snippets`: 2,000 python blocks (about 5% broken) in 200
//! generated markdown files, checked three ways in one run:
//! - ours: `cargo xtask snippets` (this binary, as a user runs it);
//! - the floor: one plain Python process that scans the files and compiles the
//!   same blocks, nothing else (no references, no report);
//! - the prompts' method: one `python -m py_compile` process per block, measured
//!   on 200 blocks and scaled.
//!
//! Everything runs with the same interpreter: the one `python3` resolves to
//! (a pyenv shim is looked through), given to our run as `.venv/bin/python`.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use xtask::context::Ctx;
use xtask::error::Outcome;
use xtask::error::{Error, Result};
use xtask::host::python;
use xtask::rng::Rng;

const FILES: usize = 200;
const BLOCKS_PER_FILE: usize = 10;
const PER_BLOCK_SAMPLE: usize = 200;
const RUNS: usize = 9;

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let python = real_interpreter(&ctx.root)?;
    let dir = TempDir::new("snippets")?;
    if let Some(keep) = std::env::var_os("XTASK_BENCH_KEEP") {
        // Debugging aid: leave a copy of the corpus at this path.
        let _ = std::fs::create_dir_all(&keep);
        let _ = generate(Path::new(&keep), &python);
    }
    let corpus = generate(dir.path(), &python)?;
    let exe = crate::xtask_binary()?;

    // Ours, checked once for the expected verdict, then timed.
    let check = Command::new(&exe).arg("--root").arg(dir.path()).args(["snippets", "--json"]).output();
    let check = check.map_err(|e| Error::usage(format!("cannot run {}: {e}", exe.display())))?;
    let found = count_compile_failures(&check.stdout);
    if check.status.code() != Some(1) || found != corpus.broken {
        return Err(Error::usage(format!(
            "bench snippets: expected {} compile failures (exit 1), got {found} (exit {:?}): {}",
            corpus.broken,
            check.status.code(),
            xtask::host::process::tail(&check.stderr, 3)
        )));
    }
    let floor_script = dir.path().join("floor.py");
    std::fs::write(&floor_script, FLOOR).map_err(|e| Error::io(&floor_script, &e, "check the temporary folder"))?;
    // Alternate the two, so a busy machine slows both alike.
    let [(ours, ours_cpu), (floor, floor_cpu)] = medians(
        RUNS,
        [&mut || quiet(Command::new(&exe).arg("--root").arg(dir.path()).args(["snippets", "--json"])), &mut || {
            quiet(Command::new(&python).args(["-I", "-S", "-B"]).arg(&floor_script).arg(dir.path().join("specs")))
        }],
    )?;
    let sample: Vec<PathBuf> = corpus.block_files.iter().take(PER_BLOCK_SAMPLE).cloned().collect();
    let start = Instant::now();
    for file in &sample {
        // The prompts' method; its exit status (broken blocks fail) is its verdict.
        let _ = Command::new(&python)
            .args(["-m", "py_compile"])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let per_block = start.elapsed().as_secs_f64() * corpus.blocks as f64 / sample.len() as f64;

    let version = xtask::host::process::capture(&python, &["--version"], dir.path())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    xtask::outln!(
        "bench snippets: {} python blocks ({} broken) in {FILES} markdown files; {version} ({}); {cores} cores",
        corpus.blocks,
        corpus.broken,
        python.display()
    );
    xtask::outln!(
        "  ours   cargo xtask snippets                     {ours:>8.3} s  (CPU {ours_cpu:.2} s; median of {RUNS})"
    );
    xtask::outln!(
        "  floor  one python process: scan + compile        {floor:>8.3} s  (CPU {floor_cpu:.2} s; median of {RUNS})"
    );
    xtask::outln!(
        "  prompts python -m py_compile, one per block      {:>8.3} s  ({} blocks took {:.3} s, scaled)",
        per_block,
        sample.len(),
        per_block * sample.len() as f64 / corpus.blocks as f64
    );
    xtask::outln!("  ours / floor     = {:.2}x  (target <= 1.0x)", ours / floor);
    xtask::outln!("  prompts / ours   = {:.0}x  (target >= 20x)", per_block / ours);
    xtask::outln!("  ours: {:.0} python blocks/s", corpus.blocks as f64 / ours);
    xtask::outln!("  load average at the end: {}", load_average());
    Ok(Outcome::Success)
}

/// The 1-minute load average: other work on the machine slows every figure.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// The interpreter our gate would use, looked through: `python3` on PATH may
/// be a shim script (pyenv) that costs a shell and several processes per start.
pub fn real_interpreter(root: &Path) -> Result<PathBuf> {
    let python = python::interpreter(root)?;
    let out = xtask::host::process::capture(&python, &["-c", "import sys; print(sys.executable)"], root)?;
    let real = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || real.is_empty() {
        return Err(Error::usage(format!("{} could not say where it lives", python.display())));
    }
    Ok(PathBuf::from(real))
}

/// `.venv/bin/python` under `dir`, pointing at `python`, so our gate uses it.
pub fn link_venv(dir: &Path, python: &Path) -> Result<()> {
    let bin = dir.join(".venv").join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| Error::io(&bin, &e, "check the temporary folder"))?;
    std::os::unix::fs::symlink(python, bin.join("python"))
        .map_err(|e| Error::io(&bin, &e, "check the temporary folder"))
}

/// The floor: the least a single Python process can do for the same answer.
const FLOOR: &str = r#"import pathlib
import re
import sys

FENCE = re.compile(r"^```(?:python|py|python3|py3)[^\n]*\n(.*?)^```", re.M | re.S)
blocks = errors = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.md")):
    text = path.read_text()
    for m in FENCE.finditer(text):
        blocks += 1
        try:
            compile(m.group(1), str(path), "exec", flags=0x2000, dont_inherit=True)
        except SyntaxError as err:
            errors += 1
            line = text.count("\n", 0, m.start(1)) + (err.lineno or 0)
print(blocks, errors)
"#;

fn count_compile_failures(json: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
    v["checks"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["status"] == "fail" && f["rule"] == "compile").count())
        .unwrap_or(0)
}

/// Run to the end, output discarded.
pub fn quiet(cmd: &mut Command) -> Result<()> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|_| ())
        .map_err(|e| Error::usage(format!("cannot run {:?}: {e}", cmd.get_program())))
}

/// Median (wall, CPU) seconds of `runs` calls of each of `fs`, called in turn
/// (one of each per round). CPU is user + system time of the processes the
/// call ran and waited for, their own children included.
pub fn medians<const N: usize>(runs: usize, fs: [&mut dyn FnMut() -> Result<()>; N]) -> Result<[(f64, f64); N]> {
    let mut fs = fs;
    let mut times = vec![Vec::with_capacity(runs); N];
    let mut cpus = vec![Vec::with_capacity(runs); N];
    for _ in 0..runs {
        for ((f, t), c) in fs.iter_mut().zip(times.iter_mut()).zip(cpus.iter_mut()) {
            let cpu = children_cpu();
            let start = Instant::now();
            f()?;
            t.push(start.elapsed().as_secs_f64());
            c.push(children_cpu() - cpu);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut out = [(0.0, 0.0); N];
    for ((o, t), c) in out.iter_mut().zip(times).zip(cpus) {
        *o = (median(t), median(c));
    }
    Ok(out)
}

/// CPU seconds used so far by this process's waited-for children
/// (`cutime` + `cstime` of /proc/self/stat, in clock ticks of 1/100 s).
pub fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // state is field 3 of the full line, i.e. index 0 here; cutime is 16, cstime 17.
    (tick(13) + tick(14)) / 100.0
}

/// A folder under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(what: &str) -> Result<TempDir> {
        let path = std::env::temp_dir().join(format!(
            "xtask-bench-{what}-{}-{}",
            std::process::id(),
            xtask::host::fs::unique()
        ));
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, &e, "check the temporary folder"))?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Corpus {
    blocks: usize,
    broken: usize,
    /// Each block also as its own .py file, for the per-block method.
    block_files: Vec<PathBuf>,
}

/// The library file some blocks quote with `# VERIFIED: src/bench/lib.py:A-B`.
const LIBRARY: &str = "\
import json
from dataclasses import dataclass, field


@dataclass
class Batch:
    rows: list = field(default_factory=list)
    limit: int = 500

    def add(self, row):
        if len(self.rows) >= self.limit:
            raise ValueError(\"batch is full\")
        self.rows.append(row)

    def to_json(self):
        return json.dumps(self.rows)
";

/// (reference, code) quoting LIBRARY.
const QUOTED: [(&str, &str); 3] = [
    ("src/bench/lib.py:5-8", "@dataclass\nclass Batch:\n    rows: list = field(default_factory=list)\n    limit: int = 500\n"),
    (
        "src/bench/lib.py:10-13",
        "def add(self, row):\n    if len(self.rows) >= self.limit:\n        raise ValueError(\"batch is full\")\n    self.rows.append(row)\n",
    ),
    ("src/bench/lib.py:15-16", "def to_json(self):\n    return json.dumps(self.rows)\n"),
];

const NAMES: [&str; 12] =
    ["rows", "batch", "table", "offset", "schema", "loader", "store", "cursor", "record", "column", "writer", "reader"];

/// A python block: valid code of a few common shapes, or broken on purpose.
fn block_code(rng: &mut Rng, broken: bool) -> String {
    let a = rng.pick(&NAMES);
    let b = rng.pick(&NAMES);
    let n = 2 + rng.below(40);
    if broken {
        return match rng.below(5) {
            0 => format!("# VERIFIED: syntax checked\nfor {a} in {b}:\n    pass\nreturn {a}\n"),
            1 => format!("# VERIFIED: syntax checked\ndef load_{a}({b})\n    return {b}\n"),
            2 => format!("# VERIFIED: syntax checked\nvalue = ({a} + {b}\nprint(value)\n"),
            3 => format!("# VERIFIED: syntax checked\nimport os\nfrom __future__ import annotations\n{a} = os.sep\n"),
            _ => format!("# VERIFIED: syntax checked\nif {a}:\n{b} = {n}\n"),
        };
    }
    match rng.below(6) {
        0 => {
            let (r, code) = QUOTED[rng.below(QUOTED.len())];
            format!("# VERIFIED: {r}\n{code}")
        }
        1 => format!(
            "# VERIFIED: syntax checked\nimport asyncio\n\n\nasync def fetch_{a}(client, limit: int = {n}):\n    \
             results = []\n    async for item in client.stream(limit=limit):\n        results.append(item)\n    \
             return results\n\n\nawait fetch_{a}(None)\n"
        ),
        2 => format!(
            "# VERIFIED: syntax checked\nclass {}Cache:\n    \"\"\"Keeps the last {n} {a}.\"\"\"\n\n    def __init__(self):\n        \
             self.items = {{}}\n\n    def get(self, key, default=None):\n        return self.items.get(key, default)\n\n    \
             def put(self, key, value):\n        if len(self.items) >= {n}:\n            self.items.pop(next(iter(self.items)))\n        \
             self.items[key] = value\n",
            capitalize(a)
        ),
        3 => format!(
            "# VERIFIED: syntax checked\n{a}_by_{b} = {{\n    key: [x for x in values if x is not None]\n    \
             for key, values in groups.items()\n}}\ntotal = sum(len(v) for v in {a}_by_{b}.values())\n"
        ),
        4 => format!(
            "# VERIFIED: syntax checked\ntry:\n    {a} = open_{b}(retries={n})\nexcept (TimeoutError, ConnectionError) as err:\n    \
             log.warning(\"retrying: %s\", err)\n    {a} = None\nfinally:\n    close_all()\n"
        ),
        _ => format!(
            "# VERIFIED: syntax checked\nfrom functools import lru_cache\n\n\n@lru_cache(maxsize={n})\ndef parse_{a}(text: str) -> list[str]:\n    \
             return [part.strip() for part in text.split(\",\") if part.strip()]\n"
        ),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

const PROSE: [&str; 8] = [
    "The loader reads each batch from staging and writes it to the target table.",
    "Offsets are recorded after every batch so that a retry resumes where it stopped.",
    "Schema changes are detected before any data moves.",
    "Configuration values come from the environment with documented defaults.",
    "Errors surface as typed exceptions carrying the batch identifier.",
    "The example below shows the shape of the call.",
    "Tests cover empty inputs, boundary sizes and network failures.",
    "Partition pruning reduces the volume scanned per run.",
];

fn generate(dir: &Path, python: &Path) -> Result<Corpus> {
    let io = |p: &Path, e: std::io::Error| Error::io(p, &e, "check the temporary folder");
    link_venv(dir, python)?;
    let lib = dir.join("src").join("bench");
    std::fs::create_dir_all(&lib).map_err(|e| io(&lib, e))?;
    std::fs::write(lib.join("lib.py"), LIBRARY).map_err(|e| io(&lib, e))?;
    let specs = dir.join("specs").join("guides");
    let blocks_dir = dir.join("per-block");
    for d in [&specs, &blocks_dir] {
        std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
    }
    let mut rng = Rng::new(2026);
    let mut corpus = Corpus { blocks: 0, broken: 0, block_files: Vec::new() };
    for f in 0..FILES {
        let mut text = format!("# Guide {f}: batch loading\n\n");
        for b in 0..BLOCKS_PER_FILE {
            if b % 3 == 0 {
                text.push_str(&format!("## Step {b}\n\n"));
            }
            for _ in 0..1 + rng.below(3) {
                text.push_str(rng.pick(&PROSE));
                text.push(' ');
            }
            text.push_str("\n\n");
            // Every 20th block is broken: 5%.
            let broken = corpus.blocks % 20 == 7;
            // A comment makes every block distinct: identical blocks would be
            // compiled once, which the floor does not do.
            let code = format!("# example {} of guide {f}\n{}", corpus.blocks, block_code(&mut rng, broken));
            text.push_str(&format!("```python\n{code}```\n\n"));
            let file = blocks_dir.join(format!("block_{:05}.py", corpus.blocks));
            std::fs::write(&file, &code).map_err(|e| io(&file, e))?;
            corpus.block_files.push(file);
            corpus.blocks += 1;
            corpus.broken += usize::from(broken);
        }
        let path = specs.join(format!("guide-{f:03}.md"));
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    Ok(corpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_blocks_are_deterministic_and_broken_ones_are_broken() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        assert_eq!(block_code(&mut a, false), block_code(&mut b, false));
        for i in 0..20 {
            let mut r = Rng::new(i);
            assert!(block_code(&mut r, true).starts_with("# VERIFIED:"));
        }
    }
}
