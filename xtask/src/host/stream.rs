//! Long-running tools (pip, make, pytest, black) whose output streams through
//! live while we keep its last lines for verdicts and error messages.
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::error::{Error, Result};

/// Where a tool's output goes while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Our stdout (commands whose stdout is the tool's report, e.g. `test`).
    Stdout,
    /// Our stderr (commands whose stdout is ours, e.g. `--json` reports).
    Stderr,
}

/// A finished run: status, the last lines of stdout and stderr interleaved as
/// they came, and the wall time.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub tail: Vec<String>,
    pub seconds: f64,
}

impl Finished {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The last `n` non-blank lines joined with ` | `, for one-line errors.
    pub fn last_lines(&self, n: usize) -> String {
        let lines: Vec<&str> = self.tail.iter().map(|l| l.trim_end()).filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(n)..].join(" | ")
    }
}

/// A started tool.
pub struct Running {
    child: Child,
    readers: Vec<JoinHandle<()>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    started: Instant,
    program: String,
}

/// Start `cmd` with stdin closed and its output going to `sink`, keeping the
/// last `keep` lines. The error when it cannot start names the program.
pub fn spawn(cmd: &mut Command, sink: Sink, keep: usize) -> Result<Running> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::usage(format!("cannot run {program}: {e}")))?;
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(keep.min(4096))));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(pump(out, sink, Arc::clone(&tail), keep));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(pump(err, sink, Arc::clone(&tail), keep));
    }
    Ok(Running { child, readers, tail, started: Instant::now(), program })
}

/// `spawn` and wait.
pub fn run(cmd: &mut Command, sink: Sink, keep: usize) -> Result<Finished> {
    spawn(cmd, sink, keep)?.wait()
}

impl Running {
    pub fn wait(mut self) -> Result<Finished> {
        let status =
            self.child.wait().map_err(|e| Error::usage(format!("waiting for {} failed: {e}", self.program)))?;
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let seconds = self.started.elapsed().as_secs_f64();
        let tail = self.tail.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default();
        Ok(Finished { status, tail, seconds })
    }
}

fn pump<R: Read + Send + 'static>(
    source: R,
    sink: Sink,
    tail: Arc<Mutex<VecDeque<String>>>,
    keep: usize,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(source);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // A broken pipe on our side must not stop the tool; other write
            // errors of stdout are noted for the exit status.
            match sink {
                Sink::Stdout => crate::note_stdout(std::io::stdout().lock().write_all(&buf)),
                Sink::Stderr => {
                    let _ = std::io::stderr().lock().write_all(&buf);
                }
            }
            let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
            if let Ok(mut t) = tail.lock() {
                if t.len() == keep {
                    t.pop_front();
                }
                if keep > 0 {
                    t.push_back(line);
                }
            }
        }
    })
}

/// A command for `program` run in `dir`.
pub fn command(program: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    cmd
}

/// Our progress lines (`setup: creating .venv ...`), on stderr so a `--json`
/// document on stdout stays clean.
pub fn progress(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}
