//! `cargo xtask bench hostile`: the documents an attacker (or a bad day)
//! writes, each run through the command it used to stall, three
//! times: median wall time and peak memory. What matters is that each stays
//! linear: the same input at twice the size should cost about twice as much.
use std::path::Path;
use std::process::Command;

use crate::gate_docs::measure_run;
use crate::snippets::{load_average, TempDir};
use xtask::context::Ctx;
use xtask::error::{Error, Outcome, Result};

/// One hostile input: a name, the command that reads it, and how to write
/// it at `n` units into a repository holding the workspace `w`.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    sizes: [usize; 2],
    write: fn(&Path, usize) -> std::io::Result<()>,
}

const CASES: [Case; 4] = [
    Case {
        name: "unterminated `<!--` in list items (tasks.md)",
        args: &["status", "w"],
        sizes: [32_000, 64_000],
        write: |root, n| std::fs::write(root.join("specs/active/w/tasks.md"), "- <!--\n".repeat(n)),
    },
    Case {
        name: "list items each holding a comment (tasks.md)",
        args: &["status", "w"],
        sizes: [160_000, 320_000],
        write: |root, n| std::fs::write(root.join("specs/active/w/tasks.md"), "- x <!-- c -->\n".repeat(n)),
    },
    Case {
        name: "a block of N lines none of which is in its 50N-line range",
        args: &["snippets", "d.md"],
        sizes: [20_000, 40_000],
        write: |root, n| {
            let file: String = (0..50 * n).map(|i| format!("v{i} = {i}\n")).collect();
            std::fs::write(root.join("big.py"), file)?;
            let code: String = (0..n).map(|i| format!("w{i} = {i}\n")).collect();
            std::fs::write(root.join("d.md"), format!("# D\n\n```python\n# VERIFIED: big.py:1-{}\n{code}```\n", 50 * n))
        },
    },
    Case {
        name: "Cargo.toml nested N levels deep (refused)",
        args: &["list"],
        sizes: [100_000, 200_000],
        write: |root, n| {
            std::fs::write(root.join("Cargo.toml"), format!("x = {}1{}\n", "{a=".repeat(n), "}".repeat(n)))
        },
    },
];

pub fn run(_ctx: &Ctx) -> Result<Outcome> {
    let exe = crate::xtask_binary()?;
    xtask::outln!("hostile inputs, median of 3 runs each:");
    xtask::outln!("  {:<62} {:>9} {:>9} {:>10}  exit", "input", "size", "wall s", "peak MB");
    for case in &CASES {
        for n in case.sizes {
            let dir = TempDir::new("hostile")?;
            let root = dir.path();
            let git = Command::new("git").args(["init", "-q"]).current_dir(root).status();
            if !git.is_ok_and(|s| s.success()) {
                return Err(Error::usage("git init failed in the temporary folder; is git installed?"));
            }
            let made = Command::new(&exe).arg("--root").arg(root).args(["new-spec", "W"]).output();
            if !made.is_ok_and(|o| o.status.success()) {
                return Err(Error::usage("new-spec failed in the temporary repository"));
            }
            (case.write)(root, n).map_err(|e| Error::io(root, &e, "check the temporary folder"))?;
            let mut runs = Vec::new();
            for _ in 0..3 {
                runs.push(measure_run(&exe, root, case.args)?);
            }
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (wall, peak, code, _) = &runs[1];
            xtask::outln!(
                "  {:<62} {:>9} {:>9.3} {:>10.1}  {}",
                case.name,
                n,
                wall,
                *peak as f64 / 1024.0,
                code.map_or("signal".to_string(), |c| c.to_string())
            );
        }
    }
    xtask::outln!("  load average at the end: {}", load_average());
    Ok(Outcome::Success)
}
