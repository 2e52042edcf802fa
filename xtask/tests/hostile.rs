//! What an attacker and a bad day found, end to end: each test is
//! one reproduced case, run as the built binary in a real temporary git
//! repository. Nothing is lost, nothing hangs, nothing is read or written
//! outside the repository.
mod common;
mod pyenv;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, TempRepo};

/// The binary under test: this build, or the one `XTASK_TEST_BIN` names (an
/// older build, to see which of these cases it fails).
fn bin() -> String {
    std::env::var("XTASK_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_xtask").to_string())
}

/// Run the binary in `dir` with `env` added; a run that outlives `limit` is
/// killed and reported as exit -2 (some of these cases used to hang).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
    let mut child = common::kit_command(bin(), dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break -2;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { code, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn xtask(repo: &TempRepo, args: &[&str]) -> Run {
    run_in(&repo.path, args, &[], Duration::from_secs(120))
}

const WS: &str = "specs/active/markers";

/// A repository with the workspace `markers` from the built-in templates.
fn repo_with_markers() -> TempRepo {
    let repo = TempRepo::new();
    xtask(&repo, &["new-spec", "Markers"]).assert_code(0);
    repo
}

/// The lines of `text` outside its generated regions (a marker alone on its
/// line opens or closes one; the marker lines themselves are kept).
fn hand_written(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for l in text.split_inclusive('\n') {
        let t = l.trim();
        if t.starts_with("<!-- xtask:end ") && t.ends_with(" -->") {
            inside = false;
        }
        if !inside {
            out.push(l.to_string());
        }
        if t.starts_with("<!-- xtask:begin ") && t.ends_with(" -->") {
            inside = true;
        }
    }
    out
}

/// A hand-written line quoting a marker in inline code is text; it
/// used to be taken for the region's start, and every line from it to the
/// real end marker was replaced (154 lines became 106).
#[test]
fn recover_keeps_a_line_that_quotes_a_marker() {
    let repo = repo_with_markers();
    let rel = format!("{WS}/recovery.md");
    let mut lines: Vec<String> = repo.read(&rel).split_inclusive('\n').map(String::from).collect();
    let note = "Team note: the block at `<!-- xtask:begin files-modified -->` is generated.\n";
    lines.insert(7, note.to_string());
    let mine: String = lines.concat();
    repo.write(&rel, &mine);
    let run = xtask(&repo, &["recover", "markers"]);
    run.assert_code(0);
    let after = repo.read(&rel);
    assert!(after.contains(note), "{after}");
    assert_eq!(hand_written(&after), hand_written(&mine));
    assert!(after.lines().count() >= mine.lines().count(), "{after}");
}

/// A region that cannot be found exactly (tasks.md's progress region
/// without its end marker) is reported, naming the line; neither document is
/// written.
#[test]
fn recover_reports_a_broken_region_and_writes_nothing() {
    let repo = repo_with_markers();
    let tasks = format!("{WS}/tasks.md");
    let recovery = format!("{WS}/recovery.md");
    let broken = repo.read(&tasks).replace("<!-- xtask:end progress -->\n", "");
    repo.write(&tasks, &broken);
    let before = repo.read(&recovery);
    let run = xtask(&repo, &["recover", "markers"]);
    run.assert_code(2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let line = broken.lines().position(|l| l == "<!-- xtask:begin progress -->").unwrap() + 1;
    assert!(run.stderr.contains(&format!("{tasks}:{line}: ")), "{}", run.stderr);
    assert!(run.stderr.contains("recover changed nothing"), "{}", run.stderr);
    assert_eq!(repo.read(&tasks), broken);
    assert_eq!(repo.read(&recovery), before);
}

/// A folder holding a `git` that first runs `action` (a shell command line:
/// the test's stand-in for another program acting while the kit runs), then
/// the real git; with the rest of PATH after it.
fn git_that_first(repo: &TempRepo, action: &str) -> String {
    let real = Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    let dir = repo.path.join(".test-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let git = dir.join("git");
    std::fs::write(&git, format!("#!/bin/sh\n{action}\nexec '{real}' \"$@\"\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.write(".gitignore", ".test-bin/\n");
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// An editor saves recovery.md while `recover` runs (here: whenever
/// recover asks git for the changed files, after reading the documents).
/// recover used to rename its text, computed from the old file, over the
/// save; now it reads each file again before writing and, if it changed,
/// writes nothing and says so (exit 1).
#[test]
fn recover_loses_no_concurrent_save() {
    let repo = repo_with_markers();
    let rel = format!("{WS}/recovery.md");
    let before = repo.read(&rel);
    let file = repo.path.join(&rel);
    let path = git_that_first(&repo, &format!("printf 'Saved by an editor.\\n' >> '{}'", file.display()));
    let run = run_in(&repo.path, &["recover", "markers"], &[("PATH", &path)], Duration::from_secs(120));
    run.assert_code(1);
    assert!(run.stderr.contains(&format!("{rel}: changed while recover ran")), "{}", run.stderr);
    let after = repo.read(&rel);
    assert!(after.starts_with(&before) && after.ends_with("Saved by an editor.\n"), "{after}");
    assert!(!repo.path.join(WS).read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains(".tmp-")));
}

/// A read-only recovery.md stays read-only after `recover` (the file
/// written in its place used to get the default mode).
#[test]
fn recover_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo_with_markers();
    let file = repo.path.join(WS).join("recovery.md");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = repo.read(&format!("{WS}/recovery.md"));
    xtask(&repo, &["recover", "markers"]).assert_code(0);
    assert_ne!(repo.read(&format!("{WS}/recovery.md")), before, "recover wrote nothing");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o444);
}

/// A `git` that first moves the workspace `markers` to specs/archive/ (as
/// another `archive` would), once: its folder before and after, and the PATH.
fn git_that_archives_first(repo: &TempRepo) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let (from, to) = (repo.path.join(WS), repo.path.join("specs/archive/markers"));
    let action = format!(
        "if [ -d '{0}' ]; then mkdir -p '{1}' && mv '{0}' '{2}'; fi",
        from.display(),
        to.parent().unwrap().display(),
        to.display()
    );
    let path = git_that_first(repo, &action);
    (from, to, path)
}

/// `archive` moves the workspace while a `gate` runs (here: whenever
/// the gate asks git something, after reading the workspace). The gate used
/// to write its ledger to specs/active/<slug>/tmp/gate.json all the same,
/// bringing back a ghost workspace that archive then refused.
#[test]
fn a_gate_never_brings_back_a_workspace_archived_meanwhile() {
    let repo = repo_with_markers();
    let (from, to, path) = git_that_archives_first(&repo);
    let run = run_in(&repo.path, &["gate", "markers", "--phase", "prd"], &[("PATH", &path)], Duration::from_secs(120));
    assert!([0, 1].contains(&run.code), "{}{}", run.stdout, run.stderr);
    assert!(to.join("prd.md").is_file(), "the workspace was not moved during the gate: {}", run.stderr);
    assert!(!from.exists(), "a ghost workspace: {:?}", std::fs::read_dir(&from).map(|d| d.count()));
    assert!(run.stderr.contains("gate result not recorded"), "{}", run.stderr);
}

/// Puts a special file at a path.
type Make = fn(&Path);

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(path);
    let out = Command::new("mkfifo").arg(path).output().unwrap();
    assert!(out.status.success(), "mkfifo: {}", String::from_utf8_lossy(&out.stderr));
}

/// A template, workspace document, ledger or INDEX.md that is a FIFO
/// hung `list` and `gate` forever; one linked to /dev/zero read 2 GB. Only
/// regular files are read, with a size cap, by every command (settings and
/// the root's `.cargo/config.toml` too): each run ends, with a finding or a
/// one-line error, and never a panic.
#[test]
fn special_files_never_hang_a_command() {
    let limit = Duration::from_secs(60);
    let specials: [(&str, Make); 9] = [
        ("templates/prd.md", mkfifo),
        ("Cargo.toml", mkfifo),
        ("pyproject.toml", mkfifo),
        (".cargo/config.toml", mkfifo),
        ("specs/active/markers/prd.md", mkfifo),
        ("specs/active/markers/tmp/gate.json", mkfifo),
        ("specs/archive/INDEX.md", mkfifo),
        ("specs/active/markers/tasks.md", |p| {
            let _ = std::fs::remove_file(p);
            std::os::unix::fs::symlink("/dev/zero", p).unwrap();
        }),
        ("templates/tasks.md", |p| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink("/dev/zero", p).unwrap();
        }),
    ];
    for (rel, make) in specials {
        let repo = repo_with_markers();
        std::fs::create_dir_all(repo.path.join("specs/archive/done")).unwrap();
        make(&repo.path.join(rel));
        for args in
            [&["list"][..], &["status", "markers"], &["gate", "markers", "--phase", "prd"], &["new-spec", "More"]]
        {
            let run = run_in(&repo.path, args, &[], limit);
            assert_ne!(run.code, -2, "{rel}: `{}` hung", args.join(" "));
            assert!(
                [0, 1, 2].contains(&run.code) && !run.stderr.contains("panicked"),
                "{rel}: {args:?}: {}",
                run.stderr
            );
            if run.code == 2 {
                assert_eq!(run.stderr.lines().count(), 1, "{rel}: {args:?}: {}", run.stderr);
            }
        }
    }
}

/// `.claude/settings.json` as a FIFO: `agents` reads regular files only, so
/// it ends at once with a one-line error naming the file.
#[test]
fn agents_never_hangs_on_a_special_settings_file() {
    let repo = TempRepo::new();
    mkfifo(&repo.path.join(".claude/settings.json"));
    for args in [&["agents"][..], &["agents", "--dry-run"]] {
        let run = run_in(&repo.path, args, &[], Duration::from_secs(60));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(".claude/settings.json: not a regular file"), "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}

/// A workspace's tmp/ linked to a folder outside the repository (such
/// a link can be committed): the gate deleted that folder's gate.json and
/// wrote its own there. Now the ledger is not written, with a warning.
#[test]
fn a_tmp_link_out_of_the_repository_is_not_written_through() {
    let repo = repo_with_markers();
    let outside = TempRepo::new();
    outside.write("gate.json", "theirs\n");
    let tmp = repo.path.join(WS).join("tmp");
    std::fs::remove_dir_all(&tmp).unwrap();
    std::os::unix::fs::symlink(&outside.path, &tmp).unwrap();
    let run = xtask(&repo, &["gate", "markers", "--phase", "prd"]);
    assert!([0, 1].contains(&run.code), "{}{}", run.stdout, run.stderr);
    assert_eq!(outside.read("gate.json"), "theirs\n");
    assert_eq!(
        std::fs::read_dir(&outside.path).unwrap().filter(|e| e.as_ref().unwrap().file_name() != ".git").count(),
        1
    );
    assert!(run.stderr.contains("gate result not recorded"), "{}", run.stderr);
}

/// A template linked to a file outside the repository (a cloned
/// repository could carry one to /etc/passwd): new-spec copied it into the
/// new workspace's prd.md. Templates and INDEX.md follow the documents' link
/// policy: not followed out of their folder.
#[test]
fn templates_and_the_index_are_not_read_or_written_through_links_out() {
    let repo = TempRepo::new();
    let outside = TempRepo::new();
    outside.write("secret.txt", "# Secret\n\nroot:x:0:0:root:/root:/bin/bash\n");
    std::fs::create_dir_all(repo.path.join("templates")).unwrap();
    std::os::unix::fs::symlink(outside.path.join("secret.txt"), repo.path.join("templates/prd.md")).unwrap();
    let run = xtask(&repo, &["new-spec", "Leak"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("templates/prd.md"), "{}", run.stderr);
    assert!(!repo.exists("specs/active/leak"), "a workspace was made from a link out");
    // INDEX.md linked out: regenerating it replaces the link, never writes
    // through it.
    std::fs::remove_file(repo.path.join("templates/prd.md")).unwrap();
    xtask(&repo, &["new-spec", "Leak"]).assert_code(0);
    std::fs::create_dir_all(repo.path.join("specs/archive")).unwrap();
    std::os::unix::fs::symlink(outside.path.join("secret.txt"), repo.path.join("specs/archive/INDEX.md")).unwrap();
    let run = xtask(&repo, &["list"]);
    assert!([0, 1].contains(&run.code), "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("root:x:"), "{}", run.stdout);
    assert_eq!(outside.read("secret.txt"), "# Secret\n\nroot:x:0:0:root:/root:/bin/bash\n");
}

/// A `# VERIFIED:` path that is a link out of the repository is
/// refused; the message used to print the link's target, telling whether a
/// file outside exists. It says only that the link leaves the repository.
#[test]
fn a_verified_link_out_does_not_reveal_its_target() {
    let repo = TempRepo::new();
    let outside = TempRepo::new();
    outside.write("private-notes.py", "x = 1\n");
    std::os::unix::fs::symlink(outside.path.join("private-notes.py"), repo.path.join("m.py")).unwrap();
    std::os::unix::fs::symlink(outside.path.join("no-such-file.py"), repo.path.join("n.py")).unwrap();
    repo.write(
        "d.md",
        "# D\n\n```python\n# VERIFIED: m.py:1\nx = 1\n```\n\n```python\n# VERIFIED: n.py:1\nx = 1\n```\n",
    );
    let run = xtask(&repo, &["snippets", "d.md"]);
    run.assert_code(1);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("m.py is a symbolic link out of the repository"), "{out}");
    // A link to nothing out there says the same, not "does not exist".
    assert!(out.contains("n.py is a symbolic link out of the repository"), "{out}");
    assert!(!out.contains("private-notes") && !out.contains("no-such-file"), "{out}");
    assert!(!out.contains(&outside.path.display().to_string()), "{out}");
}

/// Every path setting stays inside the repository, lexically and
/// through links; otherwise every command stops with exit 2 naming the key.
/// (`unit-tests = "../outside_tests"` ran tests outside; `env-templates =
/// ["/etc/*"]` read files outside; a source root linked out was compiled.)
#[test]
fn path_settings_never_lead_out_of_the_repository() {
    let outside = TempRepo::new();
    outside.write("lib/m.py", "x = 1\n");
    let settings = |body: &str| format!("[workspace]\nmembers = []\n\n[workspace.metadata.xtask]\n{body}\n");
    let lexical = [
        ("unit-tests", "unit-tests = \"../outside_tests\""),
        ("integration-tests", "integration-tests = \"/tmp\""),
        ("env-templates", "env-templates = [\"/etc/*\"]"),
        ("source-roots", "source-roots = [\"../lib\"]"),
        ("templates-dir", "templates-dir = \"../t\""),
    ];
    for (key, line) in lexical {
        let repo = TempRepo::new();
        repo.write("Cargo.toml", &settings(line));
        let run = xtask(&repo, &["list"]);
        run.assert_code(2);
        assert!(run.stderr.contains(&format!("] {key}: ")), "{key}: {}", run.stderr);
    }
    let linked = [
        ("source-roots", "source-roots = [\"lib\"]", "lib"),
        ("unit-tests", "unit-tests = \"tests/unit\"", "tests"),
        ("env-templates", "env-templates = [\"conf/*.env\"]", "conf"),
        ("templates-dir", "templates-dir = \"tpl\"", "tpl"),
        // The default source root, `src`, as well.
        ("source-roots", "", "src"),
    ];
    for (key, line, link) in linked {
        let repo = TempRepo::new();
        repo.write("Cargo.toml", &settings(line));
        std::fs::create_dir_all(repo.path.join(link).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path.join("lib"), repo.path.join(link)).unwrap();
        let run = xtask(&repo, &["list"]);
        run.assert_code(2);
        assert!(run.stderr.contains(&format!("] {key}: `")), "{key}: {}", run.stderr);
        assert!(run.stderr.contains("symbolic link out of the repository"), "{key}: {}", run.stderr);
    }
}

/// A test folder named like a pytest option is passed as a path:
/// `unit-tests = "--collect-only"` made pytest only collect, so a failing
/// test gave a passing run.
#[test]
fn a_test_folder_named_like_an_option_is_a_folder() {
    let repo = pyenv::project_repo();
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = []\n\n[workspace.metadata.xtask]\nunit-tests = \"--collect-only\"\n",
    );
    repo.write("--collect-only/test_red.py", "def test_red():\n    assert 1 == 2\n");
    let run = xtask(&repo, &["test", "unit"]);
    run.assert_code(1);
    assert!(run.stdout.contains("1 failed"), "{}", run.stdout);
}

/// Hidden temporaries left by killed runs (`.recovery.md.tmp-*`,
/// `.INDEX.md.tmp-*`, new-spec's `.SLUG.new-*` folders) stayed forever. The
/// next run of the command that makes them removes those whose process is
/// gone, and leaves a running one's alone.
#[test]
fn temporaries_of_killed_runs_are_removed_by_the_next_run() {
    let repo = repo_with_markers();
    let me = std::process::id();
    let gone = 999_999_999u32;
    let ws = repo.path.join(WS);
    std::fs::write(ws.join(format!(".recovery.md.tmp-{gone}-1")), "half").unwrap();
    std::fs::write(ws.join(format!(".recovery.md.tmp-{me}-1")), "mine").unwrap();
    repo.write(&format!("specs/active/.other.new-{gone}-2/prd.md"), "half");
    repo.write(&format!("specs/archive/.INDEX.md.tmp-{gone}-3"), "half");
    std::fs::create_dir_all(repo.path.join("specs/archive/done")).unwrap();
    xtask(&repo, &["recover", "markers"]).assert_code(0);
    assert!(!ws.join(format!(".recovery.md.tmp-{gone}-1")).exists(), "recover left a dead run's temporary");
    assert!(ws.join(format!(".recovery.md.tmp-{me}-1")).exists(), "recover removed a running process's file");
    xtask(&repo, &["new-spec", "Another"]).assert_code(0);
    assert!(!repo.exists(&format!("specs/active/.other.new-{gone}-2")), "new-spec left a dead run's folder");
    xtask(&repo, &["list"]).assert_code(0);
    assert!(!repo.exists(&format!("specs/archive/.INDEX.md.tmp-{gone}-3")), "list left a dead run's index");
}

/// Two `archive` runs of one workspace: the loser exited 2 with "No
/// such file or directory; check that the folder exists and is writable".
/// Here the other run moves the workspace while this one runs its qa check.
#[test]
fn a_lost_archive_race_says_another_process_archived_it() {
    let repo = repo_with_markers();
    let (from, to, path) = git_that_archives_first(&repo);
    let run = run_in(&repo.path, &["archive", "markers", "--force"], &[("PATH", &path)], Duration::from_secs(120));
    assert!(to.join("prd.md").is_file(), "not moved: {}{}", run.stdout, run.stderr);
    run.assert_code(1);
    assert!(run.stderr.contains("another process archived it"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!from.exists());
    let left: Vec<String> =
        std::fs::read_dir(&to).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(left.iter().all(|n| !n.contains(".tmp-")), "{left:?}");
}

/// A PATH holding only links to the named programs (found on this PATH).
fn path_with_only(repo: &TempRepo, programs: &[&str]) -> String {
    let dir = repo.path.join(".test-path");
    std::fs::create_dir_all(&dir).unwrap();
    for p in programs {
        let found = Command::new("sh").args(["-c", &format!("command -v {p}")]).output().unwrap();
        std::os::unix::fs::symlink(String::from_utf8_lossy(&found.stdout).trim(), dir.join(p)).unwrap();
    }
    dir.display().to_string()
}

/// Git missing from PATH in a git repository said "not a git
/// repository (run git init)" (and recover wrote that into recovery.md).
#[test]
fn git_missing_from_path_says_so() {
    let repo = repo_with_markers();
    let path = path_with_only(&repo, &["python3"]);
    let before = repo.read(&format!("{WS}/recovery.md"));
    for args in [&["recover", "markers"][..], &["gate", "markers", "--phase", "prd"]] {
        let run = run_in(&repo.path, args, &[("PATH", &path)], Duration::from_secs(60));
        run.assert_code(2);
        assert!(run.stderr.contains("git not found on PATH"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(repo.read(&format!("{WS}/recovery.md")), before);
}

/// With no python3, commands that provision the venv suggested
/// `--python PATH`, which only `setup` takes.
#[test]
fn no_python_points_at_setup_python() {
    let repo = repo_with_markers();
    repo.write("tests/unit/test_a.py", "def test_a():\n    pass\n");
    let path = path_with_only(&repo, &["git"]);
    let run = run_in(&repo.path, &["test", "unit"], &[("PATH", &path)], Duration::from_secs(60));
    run.assert_code(2);
    assert!(run.stderr.contains("python3 not found on PATH"), "{}", run.stderr);
    assert!(run.stderr.contains("`cargo xtask setup --python PATH`"), "{}", run.stderr);
    assert!(!run.stderr.contains("or pass --python"), "{}", run.stderr);
}

/// A repository whose path is not UTF-8 reached the Python helper
/// mangled, so every source file "could not be read". It is refused with
/// exit 2, naming the reason.
#[test]
fn a_root_path_that_is_not_utf8_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let base = TempRepo::new();
    let root = base.path.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(root.join("src/pkg")).unwrap();
    std::fs::write(root.join("src/pkg/m.py"), "x = 1\n").unwrap();
    std::fs::write(root.join("d.md"), "# D\n\n```python\n# VERIFIED: src/pkg/m.py:1\nx = 1\n```\n").unwrap();
    let git = Command::new("git").args(["init", "-q"]).current_dir(&root).output().unwrap();
    assert!(git.status.success());
    let run = run_in(&root, &["snippets", "d.md"], &[], Duration::from_secs(60));
    run.assert_code(2);
    assert!(run.stderr.contains("path is not UTF-8"), "{}", run.stderr);
}

/// Output to a full disk (`> /dev/full`) was lost with exit 0. A
/// write error that is not a closed pipe is exit 2; a closed pipe (`| head`)
/// is still no error.
#[test]
fn output_that_cannot_be_written_is_exit_2() {
    let repo = repo_with_markers();
    for args in [&["list"][..], &["list", "--json"], &["status", "markers"]] {
        let out = common::kit_command(bin(), &repo.path)
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write standard output"), "{args:?}");
    }
    let mut child = common::kit_command(bin(), &repo.path)
        .args(["list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A workspace folder whose name is not UTF-8 was listed but could
/// not be archived under either name. Both its name and the name `list`
/// prints find it, and it keeps its name in specs/archive/.
#[test]
fn a_workspace_named_in_other_bytes_can_be_archived() {
    use std::os::unix::ffi::OsStrExt;
    for given in [&b"caf\xe9"[..], "caf\u{fffd}".as_bytes()] {
        let repo = TempRepo::new();
        xtask(&repo, &["new-spec", "Caf"]).assert_code(0);
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
        std::fs::rename(repo.path.join("specs/active/caf"), repo.path.join("specs/active").join(name)).unwrap();
        let listed = xtask(&repo, &["list"]);
        assert!(listed.stdout.contains("caf\u{fffd}"), "{}", listed.stdout);
        let out = common::kit_command(bin(), &repo.path)
            .args([
                std::ffi::OsStr::new("archive"),
                std::ffi::OsStr::from_bytes(given),
                std::ffi::OsStr::new("--force"),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(repo.path.join("specs/archive").join(name).join("archive.md").is_file());
        assert!(!repo.path.join("specs/active").join(name).exists());
    }
}

/// A rule regex with nested counted repetition compiles to about a
/// million bytes and searched a 2.2 MB diff for 295 s. It is refused when the
/// settings are read, naming the rule (the work budget per rule is a unit
/// test: `core::checks::rules::costly_regexes_are_bounded`).
#[test]
fn a_rule_regex_too_large_is_refused_naming_the_rule() {
    let repo = TempRepo::new();
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = []\n\n[[workspace.metadata.xtask.rules]]\nid = \"nested\"\nregex = '(((a{1,10}){1,10}){1,10}){1,10}z'\n",
    );
    let run = xtask(&repo, &["list"]);
    run.assert_code(2);
    assert!(run.stderr.contains("rules `nested`: regex too large"), "{}", run.stderr);
}

/// A TOML file nested 100,000 levels overflowed the stack (exit 134)
/// in every command, even `list`; now exit 2 naming the file.
#[test]
fn deeply_nested_toml_is_a_usage_error() {
    let n = 100_000;
    let deep = format!("x = {}1{}\n", "{a=".repeat(n), "}".repeat(n));
    for file in ["Cargo.toml", "pyproject.toml"] {
        let repo = TempRepo::new();
        repo.write(file, &deep);
        let run = xtask(&repo, &["list"]);
        run.assert_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(&format!("{file}: line 1: nested deeper than 128 levels")), "{}", run.stderr);
    }
}

/// A lone CR is a line ending everywhere. A broken python block in a
/// lone-CR document passed `snippets` (the fence was missed); LF and CRLF
/// failed correctly.
#[test]
fn lone_cr_documents_are_read_like_lf_ones() {
    let repo = TempRepo::new();
    for (name, nl) in [("lf.md", "\n"), ("crlf.md", "\r\n"), ("cr.md", "\r")] {
        repo.write(name, &["# T", "", "```python", "x = (", "```", ""].join(nl));
        let run = xtask(&repo, &["snippets", name]);
        run.assert_code(1);
        assert!(run.stdout.contains(&format!("{name}:4: ")), "{name}: {}", run.stdout);
    }
}

/// A workspace written with lone CRs reads as the LF one does: its
/// title (the whole PRD was the title), phase and tasks; a `# VERIFIED:`
/// reference into a lone-CR Python file counts its lines as Python does.
#[test]
fn lone_cr_workspaces_and_references_are_read_like_lf_ones() {
    let repo = TempRepo::new();
    xtask(&repo, &["new-spec", "Lone CR"]).assert_code(0);
    for doc in ["prd.md", "tasks.md", "recovery.md"] {
        let rel = format!("specs/active/lone-cr/{doc}");
        repo.write(&rel, &repo.read(&rel).replace('\n', "\r"));
    }
    let run = xtask(&repo, &["list", "--json"]);
    run.assert_code(0);
    let ws = &run.json()["workspaces"][0];
    assert_eq!((ws["title"].as_str(), ws["phase"].as_str()), (Some("Lone CR"), Some("prd")), "{ws}");
    assert_eq!(ws["tasks"]["total"], 50, "{ws}");
    repo.write("m.py", "def f():\r    return 1\r");
    repo.write("d.md", "# D\n\n```python\n# VERIFIED: m.py:1-2\ndef f():\n    return 1\n```\n");
    xtask(&repo, &["snippets", "d.md"]).assert_code(0);
    repo.write("d.md", "# D\n\n```python\n# VERIFIED: m.py:1-2\ndef f():\n    return 2\n```\n");
    let run = xtask(&repo, &["snippets", "d.md"]);
    run.assert_code(1);
    assert!(run.stdout.contains("d.md:6: 1 of 2 code lines are not, in order, in m.py:1-2"), "{}", run.stdout);
}
