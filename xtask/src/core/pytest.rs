//! What a pytest run means: its exit status mapped to our verdicts, the reason
//! it gives when it stops early, and whether pytest-xdist pays for a suite.

/// How one pytest run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exit 0.
    Passed,
    /// Exit 1: tests failed.
    Failed,
    /// Exit 5: nothing was collected (also when `-k` deselects everything).
    NoTests,
    /// Exit 2 (interrupted, collection errors), 3 (internal error), 4 (usage,
    /// missing plugin or path), a signal or anything else: pytest's reason.
    Error(String),
}

impl Verdict {
    /// Read pytest's exit status (None: killed by a signal) and the last lines
    /// of its output.
    pub fn from_exit(code: Option<i32>, tail: &[String]) -> Verdict {
        match code {
            Some(0) => Verdict::Passed,
            Some(1) => Verdict::Failed,
            Some(5) => Verdict::NoTests,
            Some(2) => Verdict::Error(with_default(reason(tail), "pytest was interrupted (exit 2)")),
            Some(3) => Verdict::Error(with_default(reason(tail), "pytest had an internal error (exit 3)")),
            Some(4) => Verdict::Error(with_default(reason(tail), "pytest rejected its arguments (exit 4)")),
            Some(other) => Verdict::Error(with_default(reason(tail), &format!("pytest exited with status {other}"))),
            None => Verdict::Error("pytest was killed by a signal".into()),
        }
    }
}

fn with_default(reason: String, default: &str) -> String {
    if reason.is_empty() {
        default.to_string()
    } else {
        reason
    }
}

/// pytest's own words for why it stopped: for each module that failed to
/// collect, its path and the exception (the last `E   ` line of its section);
/// usage errors and missing paths (`ERROR: ...`, `...: error: ...`);
/// `INTERNALERROR>` and `Interrupted:` lines. Else its last line.
pub fn reason(tail: &[String]) -> String {
    let mut picked: Vec<String> = Vec::new();
    let push = |text: String, picked: &mut Vec<String>| {
        if !picked.contains(&text) {
            picked.push(text);
        }
    };
    // The module whose collection section we are in, and its last `E` line.
    let mut collecting: Option<(String, Option<String>)> = None;
    for line in tail {
        let text = line.trim().trim_matches(|c| c == '!' || c == '=').trim();
        if line.starts_with("___") || line.starts_with("===") {
            if let Some((path, Some(error))) = collecting.take() {
                push(format!("{path}: {error}"), &mut picked);
            }
            let title = text.trim_matches('_').trim();
            collecting = title.strip_prefix("ERROR collecting ").map(|p| (p.to_string(), None));
            continue;
        }
        if let Some(error) = line.strip_prefix("E   ") {
            if let Some((_, last)) = collecting.as_mut() {
                *last = Some(error.trim().to_string());
            }
            continue;
        }
        let wanted = (text.starts_with("ERROR: ") && !text.starts_with("ERROR: usage:"))
            || (text.starts_with("ERROR ") && text.contains(" - "))
            || text.starts_with("INTERNALERROR>")
            || text.starts_with("Interrupted:")
            || text.contains(": error: ");
        if wanted {
            push(text.to_string(), &mut picked);
        }
    }
    if let Some((path, Some(error))) = collecting {
        push(format!("{path}: {error}"), &mut picked);
    }
    if picked.is_empty() {
        return tail.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty()).unwrap_or_default().to_string();
    }
    // Keep it short: the first lines name the cause, later ones repeat it.
    picked.truncate(3);
    picked.join("; ")
}

/// What to do when pytest stopped on a module the venv lacks (`No module
/// named 'freezegun'` while collecting): a dependency the project's tests use
/// that setup was not told about.
pub fn missing_module_hint(reason: &str) -> Option<String> {
    let at = reason.find("No module named '")? + "No module named '".len();
    let name = reason[at..].split('\'').next().filter(|n| !n.is_empty())?;
    let top = name.split('.').next().unwrap_or(name);
    // No literal `pip install {top}`: an import name is not always its
    // distribution's (`jwt` is PyJWT), and the project's own package from
    // PyPI would shadow the code under test.
    Some(format!(
        "the venv lacks module `{top}`: if it is this project's own package, `cargo xtask doctor` says why setup \
         did not install it; else declare the distribution that provides it where the project keeps its dev \
         dependencies (a dev group, a requirements file, `make install-dev`) and run `cargo xtask setup`"
    ))
}

/// pytest's closing line (`3 failed, 10 passed in 1.2s`), decorations removed.
pub fn summary(tail: &[String]) -> Option<String> {
    tail.iter()
        .rev()
        .map(|l| l.trim().trim_matches('=').trim())
        .find(|l| {
            [" passed", " failed", " error", " skipped", " deselected", "no tests ran"].iter().any(|w| l.contains(w))
        })
        .map(str::to_string)
}

/// Wall time of a plain full run, in seconds, from which `-n auto` pays on a
/// 2-core machine. Measured 2026-11-23 on this project's 2-core host (Python
/// 3.11, pytest 9.2, xdist 3.8, other jobs keeping the load near 2.5): 200
/// CPU-bound tests in 20 files, medians of 3 runs, plain vs `-n auto`:
/// 1 s of test work 2.35 vs 2.66 s; 2 s 2.95 vs 2.79 s; 3 s 4.00 vs 3.76 s;
/// 5 s 6.13 vs 5.15 s; 8 s 9.05 vs 7.25 s. xdist breaks even at about 2 s of
/// test work, which a plain run shows as about 3 s of wall time.
pub const XDIST_MIN_SERIAL_SECONDS: f64 = 3.0;

/// What starting the workers costs in wall time (same measurement: a tiny
/// suite takes 0.07 s plain and about 1.2 s under `-n auto`).
pub const XDIST_OVERHEAD_SECONDS: f64 = 1.2;

/// Arguments with which we leave xdist alone: the user chose a worker count,
/// or wants a debugger, live output or no xdist at all.
pub fn user_controls_workers(args: &[String]) -> bool {
    let mut previous_p = false;
    for arg in args {
        let a = arg.as_str();
        if previous_p && a.starts_with("no:") {
            return true;
        }
        previous_p = a == "-p";
        if a == "-n"
            || a.starts_with("-n") && a[2..].chars().all(|c| c.is_ascii_alphanumeric()) && a.len() > 2
            || a.starts_with("--numprocesses")
            || a.starts_with("--dist")
            || a == "--pdb"
            || a == "--trace"
            || a == "-s"
            || a == "--capture=no"
            || a.starts_with("-pno:")
        {
            return true;
        }
    }
    false
}

/// The timing remembered from the last full run of a suite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastRun {
    pub wall_seconds: f64,
    /// 1 for a plain run, else the number of xdist workers.
    pub workers: usize,
}

impl LastRun {
    /// The serial work the run stands for: its wall time, or for an xdist run
    /// the time its workers spent, less their start-up.
    pub fn serial_seconds(self) -> f64 {
        if self.workers <= 1 {
            self.wall_seconds
        } else {
            (self.wall_seconds - XDIST_OVERHEAD_SECONDS).max(0.0) * self.workers as f64
        }
    }
}

/// Whether to add `-n auto`: xdist is installed, the user did not choose, and
/// the last full run showed enough serial work to gain. A suite never timed
/// runs plain once (a tiny suite is 16x slower under xdist; a big one loses
/// at most one run).
pub fn use_xdist(installed: bool, user_args: &[String], last: Option<LastRun>) -> bool {
    installed
        && !user_controls_workers(user_args)
        && last.is_some_and(|l| l.serial_seconds() >= XDIST_MIN_SERIAL_SECONDS)
}

/// How much slower a test runs under coverage.py's `sys.settrace` tracer
/// (Python 3.11, even with `--cov` restricted to one module: 1.8x on a real
/// 228-module project, 1.75x on `cargo xtask bench coverage`'s package).
pub const TRACER_FACTOR: f64 = 1.8;

/// One failing test as pytest reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedTest {
    /// `tests/unit/test_x.py::TestK::test_m[2]`.
    pub node_id: String,
    pub file: String,
    /// The line in the test file where it failed, when the traceback names it.
    pub line: Option<usize>,
    pub message: String,
}

/// The failing tests of a run: the node ids of the short summary
/// (`FAILED id - message`, `ERROR id`), each with the last line of its own
/// file that its FAILURES section names (`tests/unit/test_x.py:8: AssertionError`).
pub fn failed_tests(tail: &[String]) -> Vec<FailedTest> {
    // FAILURES sections: title (`TestK.test_m`) -> the lines under it.
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    for line in tail {
        let t = line.trim_end();
        if let Some(title) = section_title(t) {
            sections.push((title, Vec::new()));
        } else if t.starts_with("====") {
            sections.push((String::new(), Vec::new()));
        } else if let Some((_, lines)) = sections.last_mut() {
            lines.push(t);
        }
    }
    let mut out: Vec<FailedTest> = Vec::new();
    for line in tail {
        let t = line.trim_end();
        let Some(rest) = t.strip_prefix("FAILED ").or_else(|| t.strip_prefix("ERROR ")) else { continue };
        let (node_id, message) = match rest.split_once(" - ") {
            Some((id, m)) => (id.trim(), m.trim()),
            None => (rest.trim(), ""),
        };
        if !node_id.contains(".py") || out.iter().any(|f| f.node_id == node_id) {
            continue;
        }
        let file = node_id.split("::").next().unwrap_or(node_id).to_string();
        let title = node_id.split_once("::").map(|(_, t)| t.replace("::", ".")).unwrap_or_default();
        let line = sections.iter().filter(|(t, _)| *t == title).find_map(|(_, lines)| {
            lines.iter().rev().find_map(|l| {
                let rest = l.strip_prefix(file.as_str())?.strip_prefix(':')?;
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                rest[digits.len()..].starts_with(':').then(|| digits.parse().ok()).flatten()
            })
        });
        out.push(FailedTest { node_id: node_id.to_string(), file, line, message: message.to_string() });
    }
    out
}

/// `_____ TestK.test_m _____` -> `TestK.test_m`.
fn section_title(line: &str) -> Option<String> {
    let inner = line.strip_prefix("___")?.trim_start_matches('_').strip_suffix("___")?.trim_end_matches('_');
    let inner = inner.trim();
    (!inner.is_empty() && !inner.contains(' ')).then(|| inner.to_string())
}

/// Whether pytest arguments name tests to run (a path, or a node id, that
/// `exists` finds), so the suite's folder is not added to them: options that
/// take a value (`-k name`) are stepped over.
pub fn names_tests(args: &[String], exists: impl Fn(&str) -> bool) -> bool {
    const TAKES_VALUE: [&str; 22] = [
        "-k",
        "-m",
        "-p",
        "-c",
        "-o",
        "-W",
        "-n",
        "-r",
        "--deselect",
        "--ignore",
        "--ignore-glob",
        "--rootdir",
        "--confcutdir",
        "--basetemp",
        "--junitxml",
        "--junit-xml",
        "--maxfail",
        "--tb",
        "--durations",
        "--cov-report",
        "--override-ini",
        "--dist",
    ];
    let mut skip = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a.starts_with('-') {
            skip = TAKES_VALUE.contains(&a.as_str());
            continue;
        }
        if exists(a.split("::").next().unwrap_or(a)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_module_names_what_to_install() {
        let hint =
            missing_module_hint("tests/test_x.py: ModuleNotFoundError: No module named 'freezegun.api'").unwrap();
        assert!(hint.starts_with("the venv lacks module `freezegun`"), "{hint}");
        assert!(!hint.contains("pip install"), "{hint}");
        assert_eq!(missing_module_hint("Interrupted: 1 error during collection"), None);
    }

    #[test]
    fn failed_tests_with_their_lines() {
        // pytest 9's output shape for three failures (written for this test).
        let out = "\
=================================== FAILURES ===================================
____________________________________ test_b ____________________________________

    def test_b():
>       assert x == 3
E       assert 2 == 3

tests/unit/test_x.py:8: AssertionError
__________________________________ test_c[2] ___________________________________
tests/unit/helpers.py:3: in check
    assert n == 1
tests/unit/test_x.py:12: in test_c
    check(n)
_________________________________ TestK.test_m _________________________________
E       ValueError: boom
=========================== short test summary info ============================
FAILED tests/unit/test_x.py::test_b - assert 2 == 3
FAILED tests/unit/test_x.py::test_c[2] - assert 2 == 1
FAILED tests/unit/test_x.py::TestK::test_m
ERROR tests/unit/test_y.py
3 failed, 2 passed, 1 error in 0.31s";
        let tail: Vec<String> = out.lines().map(str::to_string).collect();
        let f = failed_tests(&tail);
        let got: Vec<(&str, Option<usize>)> = f.iter().map(|t| (t.node_id.as_str(), t.line)).collect();
        assert_eq!(
            got,
            [
                ("tests/unit/test_x.py::test_b", Some(8)),
                ("tests/unit/test_x.py::test_c[2]", Some(12)),
                ("tests/unit/test_x.py::TestK::test_m", None),
                ("tests/unit/test_y.py", None)
            ]
        );
        assert_eq!(f[0].message, "assert 2 == 3");
        assert_eq!(f[0].file, "tests/unit/test_x.py");
    }

    #[test]
    fn arguments_that_name_tests() {
        let exists = |p: &str| p == "tests/unit/test_x.py" || p == "tests/unit";
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(names_tests(&args(&["tests/unit/test_x.py", "-k", "name"]), exists));
        assert!(names_tests(&args(&["-x", "tests/unit/test_x.py::test_b"]), exists));
        assert!(!names_tests(&args(&["-k", "tests/unit"]), exists));
        assert!(!names_tests(&args(&["-k", "add", "-q"]), exists));
        assert!(!names_tests(&[], exists));
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Verdict::from_exit(Some(0), &[]), Verdict::Passed);
        assert_eq!(Verdict::from_exit(Some(1), &[]), Verdict::Failed);
        assert_eq!(Verdict::from_exit(Some(5), &[]), Verdict::NoTests);
        assert_eq!(Verdict::from_exit(Some(3), &[]), Verdict::Error("pytest had an internal error (exit 3)".into()));
        assert_eq!(Verdict::from_exit(None, &[]), Verdict::Error("pytest was killed by a signal".into()));
    }

    #[test]
    fn reasons_pytest_gives() {
        // exit 4, an unknown option (xdist missing)
        let usage = lines(
            "ERROR: usage: __main__.py [options] [file_or_dir] [file_or_dir] [...]\n\
             __main__.py: error: unrecognized arguments: -n\n  inifile: None\n  rootdir: /r\n",
        );
        assert_eq!(
            Verdict::from_exit(Some(4), &usage),
            Verdict::Error("__main__.py: error: unrecognized arguments: -n".into())
        );
        // exit 4, a missing folder
        let missing = lines("ERROR: file or directory not found: tests/unit\n\nno tests ran in 0.00s\n");
        assert_eq!(reason(&missing), "ERROR: file or directory not found: tests/unit");
        // exit 2, collection errors (pytest 9: the reason is in the ERRORS section)
        let sections = lines(concat!(
            "==================================== ERRORS ====================================\n",
            "__________________ ERROR collecting tests/unit/test_broken.py __________________\n",
            "ImportError while importing test module '/r/tests/unit/test_broken.py'.\n",
            "tests/unit/test_broken.py:1: in <module>\n",
            "    import no_such_module\n",
            "E   ModuleNotFoundError: No module named 'no_such_module'\n",
            "___________________ ERROR collecting tests/unit/test_bad.py ___________________\n",
            "E     File \"/r/tests/unit/test_bad.py\", line 1\n",
            "E       def f(:\n",
            "E   SyntaxError: invalid syntax\n",
            "=========================== short test summary info ============================\n",
            "ERROR tests/unit/test_broken.py\n",
            "ERROR tests/unit/test_bad.py\n",
            "!!!!!!!!!!!!!!!!!!! Interrupted: 2 errors during collection !!!!!!!!!!!!!!!!!!!!\n",
            "============================== 2 errors in 0.23s ===============================\n",
        ));
        assert_eq!(
            reason(&sections),
            "tests/unit/test_broken.py: ModuleNotFoundError: No module named 'no_such_module'; \
             tests/unit/test_bad.py: SyntaxError: invalid syntax; Interrupted: 2 errors during collection"
        );
        // with `-ra`, the short summary carries the reason
        let collect = lines(
            "==== short test summary info ====\n\
             ERROR tests/unit/test_a.py - ModuleNotFoundError: No module named 'nope'\n\
             !!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n\
             ============================== 1 error in 0.05s ===============================\n",
        );
        assert_eq!(
            reason(&collect),
            "ERROR tests/unit/test_a.py - ModuleNotFoundError: No module named 'nope'; Interrupted: 1 error during collection"
        );
        assert_eq!(reason(&lines("something odd\n\n")), "something odd");
        assert_eq!(summary(&collect).as_deref(), Some("1 error in 0.05s"));
    }

    #[test]
    fn xdist_only_when_it_pays_and_the_user_did_not_choose() {
        let args = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let big = Some(LastRun { wall_seconds: 30.0, workers: 1 });
        let small = Some(LastRun { wall_seconds: 0.8, workers: 1 });
        assert!(use_xdist(true, &[], big));
        assert!(!use_xdist(true, &[], small));
        assert!(!use_xdist(true, &[], None));
        assert!(!use_xdist(false, &[], big));
        for user in [&["-n", "4"][..], &["-n4"], &["--numprocesses=2"], &["--pdb"], &["-p", "no:xdist"], &["-s"]] {
            assert!(!use_xdist(true, &args(user), big), "{user:?}");
        }
        assert!(use_xdist(true, &args(&["-k", "slow", "-x", "-p", "myplugin"]), big));
        // An xdist run of 10 s on 2 workers stands for (10 - overhead) * 2 s.
        assert!(LastRun { wall_seconds: 10.0, workers: 2 }.serial_seconds() > 17.0);
        assert!(!use_xdist(true, &[], Some(LastRun { wall_seconds: 1.5, workers: 2 })));
    }
}
