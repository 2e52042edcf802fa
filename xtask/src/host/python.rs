//! The Python side of the gate: which interpreter, and the embedded stdlib-only
//! helper (`xtask/python/spec_gate_helper.py`) that compiles code to code objects
//! (never running them), in one process per run (one per core for big runs).
//!
//! CONTRACT (shared by the snippets, guides and compile checks): callers build
//! `CompileJob`s and call `compile_all` once per run.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// The helper's source, built into the binary.
pub const HELPER: &str = include_str!("../../python/spec_gate_helper.py");

/// How long one helper process may take before it is stopped: compiling is
/// linear in the code, so only a broken interpreter gets near this.
const HELPER_TIMEOUT: Duration = Duration::from_secs(300);

/// One piece of Python to compile.
#[derive(Debug, Clone)]
pub struct CompileJob {
    /// Path shown in errors, relative to the root (a markdown file for blocks).
    pub display_path: String,
    pub source: Source,
}

#[derive(Debug, Clone)]
pub enum Source {
    /// Code text, and the 0-based markdown line it starts at (the snippet
    /// engine hands the helper borrowed blocks directly; this owned form is
    /// for tests).
    #[cfg(test)]
    Code(String, usize),
    /// A file the helper reads itself (a source file).
    File(PathBuf),
    /// A source file whose definitions the helper also lists (for `api-docs`):
    /// they come back in [`CompileResult::defs`].
    FileDefs(PathBuf),
}

/// What compiling one job gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileResult {
    pub ok: bool,
    /// 1-based line of the error in `display_path`.
    pub line: Option<usize>,
    pub message: String,
    /// For [`Source::FileDefs`] jobs that compiled: the helper's description of
    /// each definition (see `definitions` in the helper).
    pub defs: Vec<Value>,
}

/// `.venv/bin/python` under `root` when present, else `python3` on PATH.
pub fn interpreter(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".venv").join("bin").join("python");
    if crate::host::process::is_executable(&venv) {
        return Ok(venv);
    }
    crate::host::process::find_on_path("python3").ok_or_else(|| {
        Error::usage(
            "python3 not found on PATH and no .venv/bin/python; install Python 3 (e.g. `apt-get install python3`)",
        )
    })
}

/// Compile every job in one helper process (one per core when there are many
/// jobs). `feature_version` (the host's lowest supported Python) also rejects
/// newer syntax. Results are in the order of `jobs`.
pub fn compile_all(
    python: &Path,
    jobs: &[CompileJob],
    feature_version: Option<(u32, u32)>,
) -> Result<Vec<CompileResult>> {
    compile_with(python, jobs, feature_version, default_processes(jobs))
}

/// How many helper processes suit `jobs`: one for small runs (a process costs
/// more than it saves), else one per core, at most four.
pub fn default_processes(jobs: &[CompileJob]) -> usize {
    let refs: Vec<Job> = jobs.iter().map(Job::of).collect();
    processes_for(&refs)
}

fn processes_for(jobs: &[Job]) -> usize {
    let bytes: usize = jobs.iter().map(Job::weight).sum();
    if jobs.len() < 200 && bytes < 256 * 1024 {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// [`compile_all`] with an explicit number of helper processes.
pub fn compile_with(
    python: &Path,
    jobs: &[CompileJob],
    feature_version: Option<(u32, u32)>,
    processes: usize,
) -> Result<Vec<CompileResult>> {
    let refs: Vec<Job> = jobs.iter().map(Job::of).collect();
    compile_jobs(python, &refs, feature_version, processes, Vec::new())
}

/// A block of code to compile, borrowed from the caller (markdown blocks).
#[derive(Debug, Clone, Copy)]
pub struct CodeRef<'a> {
    pub display_path: &'a str,
    pub code: &'a str,
    /// Lines before the code in `display_path` (0-based line of its start).
    pub first_line: usize,
}

/// [`compile_all`] for borrowed blocks of code: nothing is copied on the way
/// to the helper.
pub fn compile_code(
    python: &Path,
    blocks: &[CodeRef],
    feature_version: Option<(u32, u32)>,
) -> Result<Vec<CompileResult>> {
    let jobs: Vec<Job> = blocks.iter().map(|b| Job::Code(*b)).collect();
    compile_jobs(python, &jobs, feature_version, processes_for(&jobs), Vec::new())
}

/// Helper processes started before the work is known, so that the
/// interpreter's start-up overlaps the caller's reading and parsing.
pub struct Pool {
    python: PathBuf,
    children: Vec<Child>,
}

impl Pool {
    /// Start `processes` helpers with `python` (at least one).
    pub fn start(python: &Path, processes: usize) -> Result<Pool> {
        let children = (0..processes.max(1)).map(|_| spawn(python)).collect::<Result<Vec<_>>>()?;
        Ok(Pool { python: python.to_path_buf(), children })
    }

    /// How many helpers suit a run over `files` documents on this machine.
    pub fn size_for(files: usize) -> usize {
        if files < 16 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
        }
    }

    /// [`compile_code`] on the started helpers (a helper with nothing to do
    /// gets an empty request and ends).
    pub fn compile_code(
        mut self,
        blocks: &[CodeRef],
        feature_version: Option<(u32, u32)>,
    ) -> Result<Vec<CompileResult>> {
        let jobs: Vec<Job> = blocks.iter().map(|b| Job::Code(*b)).collect();
        let children = std::mem::take(&mut self.children);
        compile_jobs(&self.python, &jobs, feature_version, processes_for(&jobs), children)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Unused helpers: closing their input ends them; reap them.
        for mut child in self.children.drain(..) {
            drop(child.stdin.take());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One job as the helper gets it.
#[derive(Debug, Clone, Copy)]
enum Job<'a> {
    Code(CodeRef<'a>),
    File { display_path: &'a str, file: &'a Path, defs: bool },
}

impl<'a> Job<'a> {
    fn of(job: &'a CompileJob) -> Job<'a> {
        match &job.source {
            #[cfg(test)]
            Source::Code(code, first_line) => {
                Job::Code(CodeRef { display_path: &job.display_path, code, first_line: *first_line })
            }
            Source::File(file) => Job::File { display_path: &job.display_path, file, defs: false },
            Source::FileDefs(file) => Job::File { display_path: &job.display_path, file, defs: true },
        }
    }

    fn weight(&self) -> usize {
        match self {
            Job::Code(c) => c.code.len() + 64,
            Job::File { .. } => 4096,
        }
    }
}

/// Compile `jobs`: identical code is compiled once (its verdict only moves
/// with its first line), the rest split over `processes` helpers.
fn compile_jobs(
    python: &Path,
    jobs: &[Job],
    feature_version: Option<(u32, u32)>,
    processes: usize,
    started: Vec<Child>,
) -> Result<Vec<CompileResult>> {
    if jobs.is_empty() {
        drop(Pool { python: python.to_path_buf(), children: started });
        return Ok(Vec::new());
    }
    let mut first_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut unique: Vec<Job> = Vec::new();
    // For each job: the index of the unique job compiled for it.
    let mut slot = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job {
            Job::Code(c) => {
                let next = unique.len();
                let k = *first_of.entry(c.code).or_insert(next);
                if k == next {
                    unique.push(*job);
                }
                slot.push(k);
            }
            Job::File { .. } => {
                slot.push(unique.len());
                unique.push(*job);
            }
        }
    }
    let wanted = if started.is_empty() { processes.max(1) } else { processes.clamp(1, started.len()) };
    let chunks = split_by_weight(&unique, wanted);
    let mut started = started.into_iter();
    let answers: Vec<Result<Vec<CompileResult>>> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for chunk in &chunks {
            let child = started.next();
            handles.push(scope.spawn(move || match child {
                Some(child) => talk(python, child, chunk, feature_version),
                None => talk(python, spawn(python)?, chunk, feature_version),
            }));
        }
        // Started helpers left over get nothing to do.
        for child in started.by_ref() {
            handles.push(scope.spawn(move || talk(python, child, &[], feature_version)));
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::usage("the python helper thread failed"))))
            .collect()
    });
    let mut compiled = Vec::with_capacity(unique.len());
    for answer in answers {
        compiled.extend(answer?);
    }
    Ok(jobs
        .iter()
        .zip(slot)
        .map(|(job, k)| {
            let r = &compiled[k];
            match (job, &unique[k]) {
                (Job::Code(this), Job::Code(first)) if this.first_line != first.first_line => {
                    shift(r, this.first_line as i64 - first.first_line as i64)
                }
                _ => r.clone(),
            }
        })
        .collect())
}

/// A result moved `delta` lines: its line and the lines its message names
/// (`... after 'if' statement on line 12`).
fn shift(r: &CompileResult, delta: i64) -> CompileResult {
    let moved = |n: usize| (n as i64 + delta).max(1) as usize;
    let mut message = String::with_capacity(r.message.len());
    let mut rest = r.message.as_str();
    while let Some(at) = rest.find("on line ") {
        let (head, tail) = rest.split_at(at + "on line ".len());
        message.push_str(head);
        let digits = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
        match tail[..digits].parse::<usize>() {
            Ok(n) => message.push_str(&moved(n).to_string()),
            Err(_) => message.push_str(&tail[..digits]),
        }
        rest = &tail[digits..];
    }
    message.push_str(rest);
    CompileResult { ok: r.ok, line: r.line.map(moved), message, defs: r.defs.clone() }
}

/// Contiguous chunks of about equal weight, at most `n` of them.
fn split_by_weight<'j, 'a>(jobs: &'j [Job<'a>], n: usize) -> Vec<&'j [Job<'a>]> {
    let total: usize = jobs.iter().map(Job::weight).sum();
    let target = total.div_ceil(n).max(1);
    let mut chunks = Vec::with_capacity(n);
    let mut start = 0;
    let mut acc = 0;
    for (i, job) in jobs.iter().enumerate() {
        acc += job.weight();
        if acc >= target && chunks.len() + 1 < n {
            chunks.push(&jobs[start..=i]);
            start = i + 1;
            acc = 0;
        }
    }
    if start < jobs.len() {
        chunks.push(&jobs[start..]);
    }
    chunks
}

/// Write the JSON request for `jobs` to `out`, job by job (the code is never
/// copied into one big document first).
fn write_request(out: &mut impl Write, jobs: &[Job], feature_version: Option<(u32, u32)>) -> std::io::Result<()> {
    let fv = feature_version.map(|(a, b)| format!("[{a}, {b}]")).unwrap_or_else(|| "null".into());
    write!(out, "{{\"version\": 1, \"feature_version\": {fv}, \"jobs\": [")?;
    for (i, job) in jobs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        match job {
            Job::Code(c) => {
                out.write_all(b"{\"path\": ")?;
                serde_json::to_writer(&mut *out, c.display_path)?;
                out.write_all(b", \"code\": ")?;
                serde_json::to_writer(&mut *out, c.code)?;
                write!(out, ", \"first_line\": {}}}", c.first_line)?;
            }
            Job::File { display_path, file, defs } => {
                out.write_all(b"{\"path\": ")?;
                serde_json::to_writer(&mut *out, display_path)?;
                out.write_all(b", \"file\": ")?;
                serde_json::to_writer(&mut *out, &file.to_string_lossy())?;
                out.write_all(if *defs { b", \"defs\": true}" } else { b"}" })?;
            }
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()
}

/// Start one helper process; it waits for its request on stdin.
fn spawn(python: &Path) -> Result<Child> {
    // -I: no user site, no PYTHON* variables, no current folder on sys.path;
    // -S: no site packages (stdlib only, faster start); -B: never write .pyc.
    Command::new(python)
        .args(["-I", "-S", "-B", "-c", HELPER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::usage(format!("cannot run {}: {e}; install Python 3 or run `cargo xtask setup`", python.display()))
        })
}

/// Send `jobs` to a started helper and read its answer.
fn talk(
    python: &Path,
    mut child: Child,
    jobs: &[Job],
    feature_version: Option<(u32, u32)>,
) -> Result<Vec<CompileResult>> {
    let stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (output, err_text, status) = std::thread::scope(|scope| {
        scope.spawn(move || {
            // A helper that dies early closes the pipe; its exit status tells why.
            let mut w = std::io::BufWriter::with_capacity(1 << 16, stdin);
            let _ = write_request(&mut w, jobs, feature_version);
        });
        let err_reader = scope.spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let (done_tx, done_rx) = mpsc::channel();
        scope.spawn(move || {
            let mut buf = Vec::new();
            let result = stdout.read_to_end(&mut buf).map(|_| buf);
            let _ = done_tx.send(result);
        });
        let output = match done_rx.recv_timeout(HELPER_TIMEOUT) {
            Ok(result) => Some(result),
            Err(_) => {
                // Stopping it ends the pipes, so the threads above end too.
                let _ = child.kill();
                None
            }
        };
        let status = child.wait();
        (output, err_reader.join().unwrap_or_default(), status)
    });
    let Some(output) = output else {
        return Err(Error::usage(format!(
            "the python helper ({}) did not finish within {} s; check the interpreter",
            python.display(),
            HELPER_TIMEOUT.as_secs()
        )));
    };
    let status = status.map_err(|e| Error::usage(format!("waiting for {}: {e}", python.display())))?;
    let output = output.map_err(|e| Error::usage(format!("reading the python helper's answer: {e}")))?;
    if !status.success() {
        return Err(Error::usage(format!(
            "the python helper failed ({} exited with {status}): {}; the helper needs Python 3.8 or newer",
            python.display(),
            crate::host::process::tail(&err_text, 3)
        )));
    }
    parse_answer(&output, jobs.len()).ok_or_else(|| {
        Error::usage(format!(
            "the python helper gave an answer we cannot read: {}; run `cargo xtask doctor` to see which Python \
             runs it (the helper needs CPython 3.8 or newer)",
            crate::host::process::tail(&output, 2)
        ))
    })
}

fn parse_answer(output: &[u8], expected: usize) -> Option<Vec<CompileResult>> {
    let v: Value = serde_json::from_slice(output).ok()?;
    let results = v.get("results")?.as_array()?;
    if results.len() != expected {
        return None;
    }
    results
        .iter()
        .map(|r| {
            Some(CompileResult {
                ok: r.get("ok")?.as_bool()?,
                line: r.get("line").and_then(Value::as_u64).map(|n| n as usize),
                message: r.get("message").and_then(Value::as_str).unwrap_or("").to_string(),
                defs: r.get("defs").and_then(Value::as_array).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(path: &str, first_line: usize, text: &str) -> CompileJob {
        CompileJob { display_path: path.into(), source: Source::Code(text.into(), first_line) }
    }

    #[test]
    fn splits_into_contiguous_chunks() {
        let jobs: Vec<CompileJob> = (0..10).map(|i| code("a.md", i, "x = 1\n")).collect();
        let jobs: Vec<Job> = jobs.iter().map(Job::of).collect();
        let chunks = split_by_weight(&jobs, 3);
        assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 10);
        assert!(chunks.len() <= 3);
        assert_eq!(split_by_weight(&jobs[..1], 4).len(), 1);
    }

    #[test]
    fn shifted_results_move_their_lines_and_the_lines_they_name() {
        let r = CompileResult {
            ok: false,
            line: Some(12),
            message: "IndentationError: expected an indented block after 'if' statement on line 11".into(),
            defs: Vec::new(),
        };
        let moved = shift(&r, 30);
        assert_eq!(moved.line, Some(42));
        assert_eq!(moved.message, "IndentationError: expected an indented block after 'if' statement on line 41");
        assert_eq!(shift(&r, -20).line, Some(1));
    }

    #[test]
    fn requests_are_json() {
        let jobs = [code("a \"b\".md", 3, "s = \"\\n\"\n")];
        let refs: Vec<Job> = jobs.iter().map(Job::of).collect();
        let mut out = Vec::new();
        write_request(&mut out, &refs, Some((3, 8))).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["jobs"][0]["code"], "s = \"\\n\"\n");
        assert_eq!(v["jobs"][0]["path"], "a \"b\".md");
        assert_eq!(v["feature_version"], json!([3, 8]));
    }

    #[test]
    fn answers_are_checked() {
        assert!(parse_answer(b"{\"results\": [{\"ok\": true}]}", 1).unwrap()[0].ok);
        assert!(parse_answer(b"{\"results\": []}", 1).is_none());
        assert!(parse_answer(b"garbage", 0).is_none());
    }

    /// The real interpreter: errors carry markdown lines; nothing runs.
    #[test]
    fn compiles_with_markdown_lines_and_runs_nothing() {
        let Ok(python) = interpreter(Path::new("/nonexistent")) else { return };
        let marker = std::env::temp_dir().join(format!("xtask-never-{}", crate::host::fs::unique()));
        let jobs = [
            code("a.md", 10, "x = 1\nawait y\n"),
            code("a.md", 20, "def f():\n    pass\nreturn 1\n"),
            code("a.md", 30, &format!("open({:?}, 'w').write('ran')\n", marker.display().to_string())),
            code("a.md", 40, "x = 1\nfrom __future__ import annotations\n"),
            code("a.md", 50, "match x:\n    case 1:\n        pass\n"),
        ];
        for processes in [1, 2] {
            let r = compile_with(&python, &jobs, Some((3, 8)), processes).unwrap();
            // The same code twice is compiled once; each copy keeps its lines.
            let twice = [code("b.md", 3, "if x:\npass\n"), code("b.md", 70, "if x:\npass\n")];
            let t = compile_with(&python, &twice, None, processes).unwrap();
            assert_eq!((t[0].line, t[1].line), (Some(5), Some(72)));
            assert!(t[1].message.ends_with("on line 71"), "{}", t[1].message);
            let got: Vec<(bool, Option<usize>)> = r.iter().map(|r| (r.ok, r.line)).collect();
            assert_eq!(got[..4], [(true, None), (false, Some(23)), (true, None), (false, Some(42))]);
            // Where the parser pins `match` differs between Python versions.
            assert!(!r[4].ok && r[4].line.is_some_and(|l| (51..=53).contains(&l)), "{:?}", r[4]);
            assert!(r[4].message.contains("3.8"), "{}", r[4].message);
        }
        assert!(!marker.exists(), "compiling ran the code");
    }
}
