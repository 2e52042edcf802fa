//! End-to-end tests of the Python side (setup, doctor, test, coverage, fmt)
//! with the real tools, in temporary repositories shaped like the workflow's projects sharing one
//! venv built by our own `setup` (see pyenv/mod.rs).
mod common;
mod pyenv;

use common::TempRepo;
use pyenv::project_repo;

fn check<'a>(json: &'a serde_json::Value, id: &str, file: &str) -> Option<&'a serde_json::Value> {
    json["checks"].as_array()?.iter().find(|c| c["id"] == id && c["file"] == file)
}

#[test]
fn setup_is_idempotent_and_keeps_the_hosts_own_versions() {
    let host = pyenv::host();
    let run = common::xtask_in(host, &["setup"]);
    run.assert_code(0);
    assert!(run.stdout.contains("up to date"), "{}", run.stdout);
    // make install-dev installed xdist 3.7.0; setup kept it and added the rest.
    assert!(run.stdout.contains(&format!("pytest-xdist {}", pyenv::HOST_XDIST)), "{}", run.stdout);
    assert!(run.stdout.contains("pytest 9.") && run.stdout.contains("black 26."), "{}", run.stdout);

    let doctor = common::xtask_in(host, &["doctor", "--json"]);
    doctor.assert_code(0);
    let json = doctor.json();
    let xdist = json["checks"].as_array().unwrap().iter().find(|c| c["rule"] == "pytest-xdist").unwrap();
    assert_eq!(xdist["version"], pyenv::HOST_XDIST);
    assert!(json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["rule"] == "install" && c["message"] == "make install-dev (from Makefile)"));
}

#[test]
fn doctor_says_how_to_fix_a_missing_venv() {
    let repo = TempRepo::new();
    let run = repo.xtask(&["doctor"]);
    run.assert_code(1);
    assert!(run.stdout.contains(".venv") && run.stdout.contains("run `cargo xtask setup`"), "{}", run.stdout);
    assert!(run.stdout.contains("ok   git"), "{}", run.stdout);
}

#[test]
fn setup_failures_name_the_step() {
    let repo = TempRepo::new();
    let run = repo.xtask(&["setup", "--python", "/no/such/python3"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--python /no/such/python3: no such executable"), "{}", run.stderr);
    assert!(!repo.exists(".venv"));

    // A failing `make install-dev`: the step and make's last lines are named.
    pyenv::link(&repo);
    repo.write("Makefile", "install-dev:\n\t@echo installing the dev tools\n\t@echo 'disk full' >&2; exit 3\n");
    let run = repo.xtask(&["setup"]);
    run.assert_code(2);
    assert!(run.stderr.contains("setup failed at `make install-dev` (exit 2)"), "{}", run.stderr);
    assert!(run.stderr.contains("disk full"), "{}", run.stderr);
}

#[test]
fn test_unit_passes_a_green_suite_and_fails_a_red_one() {
    let repo = project_repo();
    let run = repo.xtask(&["test", "unit"]);
    run.assert_code(0);
    assert!(run.stdout.contains("3 passed"), "{}", run.stdout);

    repo.write("tests/unit/test_red.py", "def test_red():\n    assert 1 == 2\n");
    let run = repo.xtask(&["test"]);
    run.assert_code(1);
    assert!(run.stdout.contains("1 failed, 3 passed"), "{}", run.stdout);

    // Arguments after -- go to pytest.
    let run = repo.xtask(&["test", "unit", "--", "-k", "add"]);
    run.assert_code(0);
    assert!(run.stdout.contains("1 passed"), "{}", run.stdout);
}

#[test]
fn test_reports_nothing_collected_and_pytests_own_errors() {
    let repo = project_repo();
    std::fs::remove_file(repo.path.join("tests/unit/test_calc.py")).unwrap();
    std::fs::remove_file(repo.path.join("tests/unit/test_text.py")).unwrap();
    let run = repo.xtask(&["test", "unit"]);
    run.assert_code(1);
    assert!(run.stderr.contains("no tests collected in tests/unit"), "{}", run.stderr);

    repo.write("tests/unit/test_broken.py", "import no_such_module\n");
    let run = repo.xtask(&["test", "unit"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("tests/unit/test_broken.py: ModuleNotFoundError: No module named 'no_such_module'"),
        "{}",
        run.stderr
    );

    let run = repo.xtask(&["test", "unit", "--", "--no-such-option"]);
    run.assert_code(2);
    assert!(run.stderr.contains("unrecognized arguments: --no-such-option"), "{}", run.stderr);
}

#[test]
fn test_integration_names_missing_credentials_and_folders() {
    let repo = project_repo();
    let run = repo.xtask(&["test", "integration"]);
    run.assert_code(2);
    assert!(run.stderr.contains("tests/integration: no such folder"), "{}", run.stderr);

    repo.write(
        "Cargo.toml",
        "[workspace.metadata.xtask]\nsource-roots = [\"src\"]\nintegration-env = [\"XTASK_TEST_NEVER_SET_PASS\"]\n",
    );
    repo.write("tests/integration/test_db.py", "def test_db():\n    raise SystemExit('must not run')\n");
    let run = repo.xtask(&["test", "integration"]);
    run.assert_code(2);
    assert!(run.stderr.contains("XTASK_TEST_NEVER_SET_PASS"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing ran: {}", run.stdout);
}

/// The feature branch adds a function no test calls.
fn add_untested_function(repo: &TempRepo) {
    let calc = format!(
        "{}\n\ndef clamp(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n        return high\n    return x\n",
        pyenv::CALC
    );
    repo.write("src/pkg/calc.py", &calc);
    repo.commit_all("clamp");
}

#[test]
fn coverage_blames_the_modified_module_and_passes_once_tested() {
    let repo = project_repo();
    // An untouched module with poor coverage on main must not be blamed.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/pkg/legacy.py", "def old(x):\n    if x:\n        return 1\n    return 2\n");
    repo.commit_all("legacy, never tested");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main"]);
    add_untested_function(&repo);

    let run = repo.xtask(&["coverage", "--base", "main"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(
            "error[coverage]: src/pkg/calc.py: 50.0% covered (5/10 statements), needs 90%; missing lines 10-14"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("legacy"), "{}", run.stdout);

    let json = repo.xtask(&["coverage", "--base", "main", "--json"]);
    json.assert_code(1);
    let v = json.json();
    let calc = check(&v, "coverage", "src/pkg/calc.py").unwrap();
    assert_eq!(calc["status"], "fail");
    assert_eq!(calc["measured"], 50);
    assert_eq!(calc["required"], 90);
    assert_eq!(calc["missing_lines"], "10-14");
    assert!(check(&v, "coverage", "src/pkg/legacy.py").is_none());
    assert!(check(&v, "coverage", "src/pkg/text.py").is_none());

    // A lower threshold passes it, and a test brings it to 100%.
    repo.xtask(&["coverage", "--base", "main", "--threshold", "45"]).assert_code(0);
    repo.write(
        "tests/unit/test_clamp.py",
        "from pkg.calc import clamp\n\n\ndef test_clamp():\n    assert clamp(0, 1, 3) == 1\n    assert clamp(5, 1, 3) == 3\n    assert clamp(2, 1, 3) == 2\n",
    );
    let run = repo.xtask(&["coverage"]);
    run.assert_code(0);
    assert!(run.stdout.contains("ok[coverage]: src/pkg/calc.py: 100.0% covered (10/10 statements)"), "{}", run.stdout);
    assert!(run.stdout.contains("changed lines: 6/6 covered"), "{}", run.stdout);
}

#[test]
fn coverage_counts_a_module_no_test_imports_as_zero() {
    let repo = project_repo();
    repo.write("src/pkg/orphan.py", "def f():\n    return 1\n");
    repo.write("src/pkg/empty.py", "\"\"\"Nothing here yet.\"\"\"\n");
    let run = repo.xtask(&["coverage", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let orphan = check(&v, "coverage", "src/pkg/orphan.py").unwrap();
    assert_eq!((orphan["status"].as_str(), orphan["measured"].as_f64()), (Some("fail"), Some(0.0)));
    assert!(orphan["message"].as_str().unwrap().contains("no unit test imports this module"));
    // A module with no statements is fully covered, as coverage.py says.
    assert_eq!(check(&v, "coverage", "src/pkg/empty.py").unwrap()["status"], "pass");
}

#[test]
fn coverage_measures_every_test_in_one_run() {
    // A test reaches the module only through importlib, which no static
    // import scan sees: every test runs under coverage, in one pytest run.
    let repo = project_repo();
    repo.write("src/pkg/plugin.py", "def hook():\n    return 'hooked'\n");
    repo.write(
        "tests/unit/test_plugin.py",
        "import importlib\n\n\ndef test_hook():\n    assert importlib.import_module('pkg.plugin').hook() == 'hooked'\n",
    );
    let run = repo.xtask(&["coverage"]);
    run.assert_code(0);
    assert!(run.stdout.contains("ok[coverage]: src/pkg/plugin.py: 100.0%"), "{}", run.stdout);
    assert!(run.stdout.contains("all 3 test files of tests/unit ran under coverage ("), "{}", run.stdout);
    let v = repo.xtask(&["coverage", "--json"]).json();
    let info = v["checks"].as_array().unwrap().iter().find(|c| c["id"] == "coverage" && c["rule"] == "run").unwrap();
    assert_eq!((info["test_files"].as_u64(), info["workers"].as_u64()), (Some(3), Some(1)), "{info}");
    // The shared venv's setup added slipcover before Python 3.12; from 3.12
    // coverage.py's own sys.monitoring core is as cheap.
    let core = info["core"].as_str().unwrap();
    assert!(core == "slipcover" || core == "sysmon", "{info}");
    assert_eq!(info["branch"], false);
}

/// What `coverage report` itself says of `file` after running the unit
/// tests under coverage directly, with the project's settings: its JSON
/// entry and the percent `coverage report --precision=1` prints.
fn coverage_py_report(repo: &TempRepo, file: &str) -> (serde_json::Value, String) {
    let python = repo.path.join(".venv/bin/python");
    let json = repo.path.join("coverage-direct.json");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&python)
            .args(["-m", "coverage"])
            .args(args)
            .current_dir(&repo.path)
            .env("PYTHONPATH", repo.path.join("src"))
            .env_remove("COVERAGE_CORE")
            .output()
            .unwrap();
        assert!(out.status.success(), "coverage {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"]);
    run(&["json", "-o", json.to_str().unwrap()]);
    let text = run(&["report", "--precision=1"]);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let line = text.lines().find(|l| l.starts_with(file)).unwrap_or_else(|| panic!("{file} not in:\n{text}"));
    let percent = line.split_whitespace().last().unwrap().trim_end_matches('%').to_string();
    (doc["files"][file].clone(), percent)
}

#[test]
fn coverage_follows_the_projects_coverage_settings() {
    // branch = true, an omit list and exclude_also in [tool.coverage.*]:
    // the percent of each modified module is what `coverage report` prints,
    // the words say branches count, an omitted module is not gated.
    let repo = project_repo();
    let pyproject = repo.read("pyproject.toml")
        + "\n[tool.coverage.run]\nbranch = true\nomit = [\"*/generated.py\"]\n\n[tool.coverage.report]\nexclude_also = [\"if TYPE_CHECKING:\"]\n";
    repo.write("pyproject.toml", &pyproject);
    repo.commit_all("coverage settings");
    repo.write(
        "src/pkg/rules.py",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from pkg.calc import add\n\n\ndef grade(score):\n    if score >= 90:\n        return \"a\"\n    if score >= 50:\n        return \"b\"\n    return \"c\"\n\n\ndef spread(items):\n    total = 0\n    for item in items:\n        if item:\n            total += item\n    return total\n",
    );
    repo.write("src/pkg/generated.py", "def made():\n    return 1\n");
    repo.write(
        "tests/unit/test_rules.py",
        "from pkg.rules import grade, spread\n\n\ndef test_rules():\n    assert grade(95) == \"a\"\n    assert grade(10) == \"c\"\n    assert spread([2, 3]) == 5\n",
    );
    repo.commit_all("rules, and a generated module");

    let (theirs, printed) = coverage_py_report(&repo, "src/pkg/rules.py");
    let percent = theirs["summary"]["percent_covered"].as_f64().unwrap();
    assert!(percent > 50.0 && percent < 90.0, "pick a suite between the thresholds: {theirs}");

    let run = repo.xtask(&["coverage", "--base", "main", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let rules = check(&v, "coverage", "src/pkg/rules.py").unwrap();
    assert_eq!(rules["status"], "fail");
    assert_eq!(rules["measured"].as_f64().unwrap(), (percent * 100.0).floor() / 100.0, "{rules}");
    let message = rules["message"].as_str().unwrap();
    let summary = &theirs["summary"];
    let words = format!(
        "{printed}% of statements and branches covered ({}/{} statements, {}/{} branches)",
        summary["covered_lines"], summary["num_statements"], summary["covered_branches"], summary["num_branches"]
    );
    assert!(message.starts_with(&words), "{message} / {words}");
    assert_eq!(rules["branches"]["total"], summary["num_branches"]);
    let generated = check(&v, "coverage", "src/pkg/generated.py").unwrap();
    assert_eq!((generated["status"].as_str(), generated["rule"].as_str()), (Some("skip"), Some("omitted")));
    assert!(generated["message"].as_str().unwrap().contains("omitted by the project's coverage settings"));
    // The same figures pass a lower threshold.
    let run = repo.xtask(&["coverage", "--base", "main", "--threshold", "50"]);
    run.assert_code(0);
    assert!(run.stdout.contains(&format!("ok[coverage]: src/pkg/rules.py: {words}")), "{}", run.stdout);
}

/// A test module imports a package the venv lacks: pytest stops while
/// collecting. Coverage is not reported as measured (it used to print a
/// figure of what importing alone ran, under "all test files ran"), and the
/// tests finding says which package is missing and how to get it.
#[test]
fn coverage_is_not_measured_when_pytest_cannot_run_the_tests() {
    let repo = project_repo();
    repo.write(
        "tests/unit/test_clock.py",
        "import freezegun_not_installed\n\n\ndef test_clock():\n    assert freezegun_not_installed\n",
    );
    repo.commit_all("a test needing a package nobody declared");
    repo.write("src/pkg/calc.py", &(pyenv::CALC.to_string() + "\n\ndef triple(a):\n    return 3 * a\n"));
    let run = repo.xtask(&["coverage", "--base", "main", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let findings: Vec<&serde_json::Value> = v["checks"].as_array().unwrap().iter().collect();
    let cov: Vec<&&serde_json::Value> = findings.iter().filter(|f| f["id"] == "coverage").collect();
    assert_eq!(cov.len(), 1, "only the run finding, no figure: {cov:#?}");
    assert_eq!((cov[0]["rule"].as_str(), cov[0]["status"].as_str()), (Some("run"), Some("fail")));
    let message = cov[0]["message"].as_str().unwrap();
    assert!(message.starts_with("coverage not measured: pytest could not run the tests"), "{message}");
    let gate = repo.xtask(&["gate", "--phase", "implementation", "--json"]).json();
    let tests = gate["checks"].as_array().unwrap().iter().find(|f| f["id"] == "tests").unwrap().clone();
    let message = tests["message"].as_str().unwrap();
    assert!(message.contains("the venv lacks module `freezegun_not_installed`"), "{message}");
}

/// The other files coverage.py reads its settings from, each on its own:
/// `.coveragerc`, `setup.cfg` and `tox.ini` (the last two with the
/// `coverage:` prefix). Branches count and the omitted module is not gated,
/// with the figure `coverage report` prints.
#[test]
fn coverage_reads_coveragerc_setup_cfg_and_tox_ini() {
    let shapes = [
        (".coveragerc", "[run]\nbranch = True\nomit =\n    */generated.py\n"),
        ("setup.cfg", "[metadata]\nname = pkg\n\n[coverage:run]\nbranch = True\nomit = */generated.py\n"),
        ("tox.ini", "[tox]\nenvlist = py3\n\n[coverage:run]\nbranch = True\nomit = */generated.py\n"),
    ];
    for (file, text) in shapes {
        let repo = project_repo();
        repo.write(file, text);
        repo.commit_all("coverage settings");
        repo.write(
            "src/pkg/rules.py",
            "def grade(score):\n    if score >= 90:\n        return \"a\"\n    if score >= 50:\n        return \"b\"\n    return \"c\"\n",
        );
        repo.write("src/pkg/generated.py", "def made():\n    return 1\n");
        repo.write(
            "tests/unit/test_rules.py",
            "from pkg.rules import grade\n\n\ndef test_rules():\n    assert grade(95) == \"a\"\n    assert grade(10) == \"c\"\n",
        );
        repo.commit_all("rules, and a generated module");
        let (theirs, printed) = coverage_py_report(&repo, "src/pkg/rules.py");
        assert!(theirs["summary"]["num_branches"].as_u64().unwrap() > 0, "{file}: {theirs}");
        let v = repo.xtask(&["coverage", "--base", "main", "--json"]).json();
        let rules = check(&v, "coverage", "src/pkg/rules.py").unwrap();
        let message = rules["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{printed}% of statements and branches covered")), "{file}: {message}");
        let generated = check(&v, "coverage", "src/pkg/generated.py").unwrap();
        assert_eq!(generated["rule"], "omitted", "{file}: {generated}");
    }
}

/// A module with docstrings the tests run and lines the project excludes.
const DOCUMENTED: &str = "\"\"\"Grades, with a docstring the tests run.\"\"\"\nimport os  # pragma: no cover\n\n\ndef grade(score):\n    \"\"\"The letter of a score,\n    over two lines.\"\"\"\n    if score >= 90:\n        return \"a\"\n    if score >= 50:\n        return \"b\"\n    return os.sep\n\n\ndef debug_only():  # pragma: no cover\n    return \"never run\"\n\n\ndef spread(items):\n    \"\"\"Largest minus smallest.\"\"\"\n    return max(items) - min(items)\n";

#[test]
fn coverage_counts_what_coverage_report_counts_with_an_older_coverage_py() {
    // coverage.py 7.12.0's JSON report lists the docstrings and the excluded
    // import that ran among `executed_lines`: counting them gave 11/12 =
    // 91.7% and a pass at 90 where `coverage report` says 7/8 = 87.5%.
    // Two test files slow enough that the coverage run takes xdist workers,
    // whose reports merge.
    let repo = project_repo();
    pyenv::link_old_coverage(&repo);
    repo.write("src/pkg/grades.py", DOCUMENTED);
    repo.write(
        "tests/unit/test_grades_a.py",
        "import time\n\nfrom pkg.grades import grade\n\n\ndef test_top():\n    time.sleep(1.6)\n    assert grade(95) == \"a\"\n",
    );
    repo.write(
        "tests/unit/test_grades_b.py",
        "import os\nimport time\n\nfrom pkg.grades import grade, spread\n\n\ndef test_bottom():\n    time.sleep(1.6)\n    assert grade(10) == os.sep\n    assert spread([3, 1, 4]) == 3\n",
    );
    repo.commit_all("grades");
    // A full run longer than xdist's threshold, remembered for the next.
    repo.xtask(&["test", "unit"]).assert_code(0);

    for branch in [false, true] {
        if branch {
            let pyproject = repo.read("pyproject.toml") + "\n[tool.coverage.run]\nbranch = true\n";
            repo.write("pyproject.toml", &pyproject);
            repo.commit_all("branches count");
        }
        let (theirs, printed) = coverage_py_report(&repo, "src/pkg/grades.py");
        let summary = &theirs["summary"];
        let percent = summary["percent_covered"].as_f64().unwrap();
        let run = repo.xtask(&["coverage", "--base", "main", "--json"]);
        run.assert_code(1);
        let v = run.json();
        let info =
            v["checks"].as_array().unwrap().iter().find(|c| c["id"] == "coverage" && c["rule"] == "run").unwrap();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(info["workers"].as_u64(), Some(cpus as u64), "{info}");
        assert_eq!(info["branch"], branch, "{info}");
        let grades = check(&v, "coverage", "src/pkg/grades.py").unwrap();
        assert_eq!(grades["status"], "fail", "{grades}");
        assert_eq!(grades["measured"].as_f64().unwrap(), (percent * 100.0).floor() / 100.0, "{grades}");
        let message = grades["message"].as_str().unwrap();
        let words = if branch {
            format!(
                "{printed}% of statements and branches covered ({}/{} statements, {}/{} branches)",
                summary["covered_lines"],
                summary["num_statements"],
                summary["covered_branches"],
                summary["num_branches"]
            )
        } else {
            assert_eq!((&summary["covered_lines"], &summary["num_statements"]), (&7.into(), &8.into()), "{summary}");
            format!("{printed}% covered (7/8 statements)")
        };
        assert!(message.starts_with(&words), "{message} / {words}");
        assert!(message.contains("missing lines 11"), "{message}");
    }
}

#[test]
fn coverage_ignores_the_hosts_fail_under_and_reports_failing_tests() {
    let repo = project_repo();
    let pyproject = repo.read("pyproject.toml") + "\n[tool.coverage.report]\nfail_under = 100\n";
    repo.write("pyproject.toml", &pyproject);
    add_untested_function(&repo);
    // 50% passes a threshold of 40 even though the host asks for 100.
    repo.xtask(&["coverage", "--threshold", "40"]).assert_code(0);

    repo.write("tests/unit/test_red.py", "from pkg.calc import add\n\n\ndef test_red():\n    assert add(1, 1) == 3\n");
    let run = repo.xtask(&["coverage", "--threshold", "40", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let tests = v["checks"].as_array().unwrap().iter().find(|c| c["id"] == "tests").unwrap();
    assert_eq!(tests["status"], "fail");
    assert!(tests["message"].as_str().unwrap().contains("1 failed"), "{tests}");
}

#[test]
fn coverage_without_a_base_branch_uses_uncommitted_changes() {
    let repo = project_repo();
    repo.git(&["branch", "-q", "-D", "main"]);
    let run = repo.xtask(&["coverage"]);
    run.assert_code(0);
    assert!(run.stdout.contains("no modified Python modules"), "{}", run.stdout);
    assert!(run.stdout.contains("only uncommitted changes count"), "{}", run.stdout);
    // Unstaged and staged changes count.
    repo.write("src/pkg/text.py", &format!("{}\n\ndef whisper(w):\n    return w.lower()\n", pyenv::TEXT));
    let run = repo.xtask(&["coverage"]);
    run.assert_code(1);
    assert!(run.stdout.contains("src/pkg/text.py: 75.0% covered (3/4 statements)"), "{}", run.stdout);
    repo.git(&["add", "src/pkg/text.py"]);
    repo.xtask(&["coverage"]).assert_code(1);

    let bad = repo.xtask(&["coverage", "--base", "no-such-branch"]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("--base no-such-branch: no such commit or branch"), "{}", bad.stderr);
}

#[test]
fn fmt_check_fails_a_misformatted_modified_file_only() {
    let repo = project_repo();
    // Misformatted on main: not a modified file, not blamed.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/pkg/old.py", "x = [1,2]\n");
    repo.commit_all("old, misformatted");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main"]);

    repo.xtask(&["fmt", "--check"]).assert_code(0);
    // 95 characters: fine with the host's line-length = 100, not with black's default 88.
    let long = format!("def f():\n    return {}\n", ["\"abcdefghij\""; 6].join(" + "));
    repo.write("src/pkg/long.py", &long);
    repo.write("src/pkg/calc.py", &pyenv::CALC.replace("a + b", "a+b"));
    let run = repo.xtask(&["fmt", "--check"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("error[format]: src/pkg/calc.py:2: black would reformat lines this change touched"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("+    return a + b"), "the diff is shown: {}", run.stdout);
    assert!(!run.stdout.contains("long.py") && !run.stdout.contains("old.py"), "{}", run.stdout);

    repo.write("src/pkg/broken.py", "def f(:\n    pass\n");
    let run = repo.xtask(&["fmt", "--check", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let broken = check(&v, "format", "src/pkg/broken.py").unwrap_or_else(|| panic!("{v}\n{}", run.stderr));
    assert_eq!((broken["rule"].as_str(), broken["line"].as_u64()), (Some("parse"), Some(1)));
    std::fs::remove_file(repo.path.join("src/pkg/broken.py")).unwrap();

    repo.xtask(&["fmt"]).assert_code(0);
    assert_eq!(repo.read("src/pkg/calc.py"), pyenv::CALC);
    repo.xtask(&["fmt", "--check"]).assert_code(0);
    // --all reaches the untouched file too.
    repo.xtask(&["fmt", "--check", "--all"]).assert_code(1);
}

fn finding<'a>(json: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    json["checks"].as_array().unwrap().iter().filter(|c| c["id"] == id).collect()
}

#[test]
fn gate_at_testing_reports_tests_format_compile_and_coverage() {
    let repo = project_repo();
    repo.write("src/pkg/calc.py", &pyenv::CALC.replace("a + b", "a+b"));
    let run = repo.xtask(&["gate", "--phase", "testing", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let format = check(&v, "format", "src/pkg/calc.py").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((format["status"].as_str(), format["rule"].as_str()), (Some("fail"), Some("black")));
    assert_eq!(finding(&v, "tests")[0]["status"], "pass");
    assert_eq!(finding(&v, "compile")[0]["status"], "pass");
    let coverage = check(&v, "coverage", "src/pkg/calc.py").unwrap();
    assert_eq!((coverage["status"].as_str(), coverage["measured"].as_f64()), (Some("pass"), Some(100.0)));
    // Human output: compiler-style, pytest's own output on stderr.
    let human = repo.xtask(&["gate", "--phase", "testing"]);
    human.assert_code(1);
    assert!(
        human.stdout.contains("error[format]: src/pkg/calc.py:2: black would reformat lines this change touched"),
        "{}",
        human.stdout
    );
    assert!(human.stderr.contains("3 passed"), "{}", human.stderr);
}

#[test]
fn gate_at_implementation_runs_no_coverage_and_reports_compile_errors() {
    let repo = project_repo();
    repo.write("src/pkg/broken.py", "def f(:\n    pass\n");
    repo.write("tests/unit/test_red.py", "def test_red():\n    assert False\n");
    let run = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    run.assert_code(1);
    let v = run.json();
    assert!(finding(&v, "coverage").is_empty(), "{v}");
    let compile = check(&v, "compile", "src/pkg/broken.py").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((compile["status"].as_str(), compile["line"].as_u64()), (Some("fail"), Some(1)));
    let tests = finding(&v, "tests");
    assert_eq!((tests[0]["status"].as_str(), tests[0]["rule"].as_str()), (Some("fail"), Some("failed")));
    assert!(tests[0]["message"].as_str().unwrap().contains("1 failed, 3 passed"), "{v}");
    // The planning phase needs no Python tools.
    assert!(finding(&repo.xtask(&["gate", "--phase", "prd", "--json"]).json(), "tests").is_empty());
}

#[test]
fn gate_runs_setup_when_the_venv_is_missing() {
    // A python3 whose venv module fails, first on PATH: the gate must try to
    // build .venv, say which step failed, and leave nothing half-built.
    let repo = TempRepo::new();
    repo.write("src/pkg/__init__.py", "");
    repo.write("tests/unit/test_a.py", "def test_a():\n    pass\n");
    repo.commit_all("tiny");
    let bin = repo.path.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let python = bin.join("python3");
    std::fs::write(
        &python,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Python 3.11.7'; exit 0; fi\n\
         echo 'Error: ensurepip is not available (install python3-venv)' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = common::xtask_command(&repo.path)
        .args(["gate", "--phase", "implementation"])
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("running `cargo xtask setup` first"), "{stderr}");
    assert!(stderr.contains("-m venv .venv`: Error: ensurepip is not available"), "{stderr}");
    assert!(!repo.exists(".venv"));
}

#[test]
fn changed_line_coverage_is_gated_only_when_a_threshold_is_set() {
    let repo = project_repo();
    // 40 covered statements on main; the branch adds 4, one of them run.
    let mut module = String::new();
    let mut tests = String::from("from pkg import big\n");
    for i in 0..20 {
        module.push_str(&format!("def f{i}():\n    return {i}\n\n\n"));
        tests.push_str(&format!("\n\ndef test_f{i}():\n    assert big.f{i}() == {i}\n"));
    }
    repo.git(&["checkout", "-q", "main"]);
    repo.write("tests/unit/test_big.py", &tests);
    repo.write("src/pkg/big.py", &module);
    repo.commit_all("big, fully tested");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main"]);
    repo.write("src/pkg/big.py", &format!("{module}def late(x):\n    if x:\n        return 1\n    return 0\n"));
    let run = repo.xtask(&["coverage", "--json"]);
    run.assert_code(0);
    let v = run.json();
    let changed = v["checks"].as_array().unwrap().iter().find(|c| c["rule"] == "changed-lines").unwrap();
    assert_eq!(
        (changed["status"].as_str(), changed["covered"].as_u64(), changed["total"].as_u64()),
        (Some("pass"), Some(1), Some(4))
    );
    assert!(changed.get("required").is_none(), "{changed}");
    assert_eq!(check(&v, "coverage", "src/pkg/big.py").unwrap()["status"], "pass");

    repo.write("Cargo.toml", "[workspace.metadata.xtask]\nchanged-line-threshold = 80\n");
    let run = repo.xtask(&["coverage"]);
    run.assert_code(1);
    assert!(run.stdout.contains("error[coverage]: changed lines: 1/4 covered (25.0%), needs 80%"), "{}", run.stdout);
    assert!(run.stdout.contains("ok[coverage]: src/pkg/big.py: 93.2% covered (41/44 statements)"), "{}", run.stdout);
}
