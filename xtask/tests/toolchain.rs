//! End-to-end tests of the project's own toolchain with the real tools from
//! PyPI: a uv project with PEP 735 dependency groups (its venv made by uv,
//! without pip), ruff as formatter and linter, the owner's
//! specs/guides/quality-gates.yaml, `test unit -- PATH -k NAME`, and the
//! failing node ids of the `tests` finding. uv comes from PATH or is
//! installed by the kit into its tool folder (target/xtask-tools), and uv's
//! own cache keeps later runs quick.
mod common;
mod pyenv;

use common::TempRepo;
use pyenv::project_repo;

fn findings<'a>(json: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    json["checks"].as_array().unwrap().iter().filter(|c| c["id"] == id).collect()
}

/// A uv project shaped like the workflow's modern ones: src/ layout,
/// uv_build, a runtime dependency its code imports, `dev` made of included
/// groups, ruff configured for a 120-character line.
fn uv_project() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".venv\n__pycache__/\nuv.lock\n");
    repo.write(
        "pyproject.toml",
        r#"[project]
name = "shelf-app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["six>=1.16"]

[build-system]
requires = ["uv_build>=0.8"]
build-backend = "uv_build"

[dependency-groups]
test = ["pytest==9.2.0", "pytest-cov==7.1.0", "pytest-xdist==3.8.0"]
lint = ["ruff==0.17.6"]
dev = [{include-group = "test"}, {include-group = "lint"}]

[tool.uv]
package = true

[tool.ruff]
line-length = 120

[tool.ruff.format]
quote-style = "double"
"#,
    );
    repo.write("src/shelf_app/__init__.py", "");
    repo.write(
        "src/shelf_app/stock.py",
        "import six\n\n\ndef label(name: str) -> str:\n    return six.ensure_str(name).upper()\n",
    );
    repo.write(
        "tests/unit/test_stock.py",
        "from shelf_app.stock import label\n\n\ndef test_label():\n    assert label(\"ab\") == \"AB\"\n",
    );
    repo.commit_all("a uv project");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

#[test]
fn a_uv_project_with_groups_and_ruff_adopts_the_kit_on_the_first_try() {
    let repo = uv_project();
    let setup = repo.xtask(&["setup"]);
    setup.assert_code(0);
    assert!(setup.stderr.contains("setup: uv sync --all-extras"), "{}", setup.stderr);
    assert!(setup.stdout.contains("import shelf_app: src/shelf_app/__init__.py"), "{}", setup.stdout);
    // uv made the venv: no pip, and nothing was needed from the kit's pins.
    assert!(!repo.exists(".venv/bin/pip"), "a uv venv has no pip");
    assert!(!setup.stdout.contains("installed pytest"), "{}", setup.stdout);

    let doctor = repo.xtask(&["doctor", "--json"]);
    doctor.assert_code(0);
    let v = doctor.json();
    let rule = |r: &str| v["checks"].as_array().unwrap().iter().find(|c| c["rule"] == r).cloned().unwrap();
    assert!(rule("install")["message"].as_str().unwrap().starts_with("uv sync with every extra"), "{v}");
    assert!(rule("formatter")["message"].as_str().unwrap().starts_with("ruff"), "{v}");
    assert!(rule("linter")["message"].as_str().unwrap().starts_with("ruff"), "{v}");
    assert_eq!(rule("import")["status"], "pass", "{v}");
    assert!(rule("last setup")["message"].as_str().unwrap().contains("uv sync"), "{v}");

    // A line of 100 characters: ruff (line-length 120) accepts it, black (88) would not.
    let long = format!("\n\ndef shelf() -> str:\n    return {}\n", ["\"abcdefghijklm\""; 5].join(" + "));
    let stock = repo.read("src/shelf_app/stock.py");
    repo.write("src/shelf_app/stock.py", &format!("{stock}{long}"));
    let gate = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    gate.assert_code(0);
    let v = gate.json();
    assert_eq!(findings(&v, "tests")[0]["status"], "pass", "{v}");
    let format = findings(&v, "format");
    assert_eq!((format[0]["status"].as_str(), format[0]["rule"].as_str()), (Some("pass"), Some("ruff")), "{v}");
    assert_eq!(findings(&v, "lint")[0]["status"], "pass", "{v}");

    // An unformatted new file fails at its path; an unused import is a lint finding with its code.
    repo.write("src/shelf_app/messy.py", "import os\nx = [1,2]\n");
    let gate = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    gate.assert_code(1);
    let v = gate.json();
    let failing: Vec<(String, String, Option<u64>)> = gate
        .failing()
        .iter()
        .map(|f| {
            (f["id"].as_str().unwrap().to_string(), f["file"].as_str().unwrap_or("").to_string(), f["line"].as_u64())
        })
        .collect();
    assert!(failing.contains(&("format".into(), "src/shelf_app/messy.py".into(), Some(2))), "{v}");
    let lint = findings(&v, "lint");
    assert!(lint.iter().any(|f| f["rule"] == "F401" && f["file"] == "src/shelf_app/messy.py" && f["line"] == 1), "{v}");
    // fmt fixes the new file and says so; the project's own check agrees
    // afterwards, and a second fmt says there is nothing to change.
    let fmt = repo.xtask(&["fmt"]);
    fmt.assert_code(0);
    assert!(fmt.stdout.contains("fmt: reformatted 1 of "), "{}", fmt.stdout);
    assert!(fmt.stdout.contains("src/shelf_app/messy.py"), "{}", fmt.stdout);
    assert_eq!(repo.read("src/shelf_app/messy.py"), "import os\n\nx = [1, 2]\n");
    let again = repo.xtask(&["fmt", "--json"]).json();
    let finding = &again["checks"][0];
    assert!(finding["message"].as_str().unwrap().contains("nothing to change"), "{again}");
    assert_eq!(finding["reformatted"], serde_json::json!([]), "{again}");
}

/// The kit as the README adopts it, before the adoption is committed: the
/// workspace member that holds the `xtask` package, with its Python helper,
/// is untracked, so "modified". The project's strict ruff configuration and
/// its quality-gates rules judge the project's code, not the kit's: the
/// helper's style is not theirs to fix, and `fmt` must not rewrite it.
#[test]
fn an_adopted_kit_s_own_python_is_left_to_the_kit() {
    let repo = uv_project();
    // A misformatted line already on main, for the range check below.
    repo.git(&["checkout", "-q", "main"]);
    let stock = repo.read("src/shelf_app/stock.py").replace("import six\n", "import six\n\nUNTOUCHED=[3,4]\n");
    repo.write("src/shelf_app/stock.py", &stock);
    repo.commit_all("a misformatted line");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "main"]);
    let strict = format!("{}\n[tool.ruff.lint]\nselect = [\"ALL\"]\n", repo.read("pyproject.toml"));
    repo.write("pyproject.toml", &strict);
    repo.write(
        "specs/guides/quality-gates.yaml",
        "implementation_gates:\n  - name: style\n    rules:\n      - pattern: \"getattr\\\\(\"\n        severity: error\n        message: \"use a type guard\"\n",
    );
    repo.commit_all("strict lint and a rule");
    // The adoption, uncommitted: Cargo.toml naming the member, the member's
    // manifest, and a helper in a style the project's tools reject (black's
    // 88-column wrapping that ruff at 120 joins, no annotations, getattr).
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"xtask\"]\nresolver = \"2\"\n\n[workspace.metadata.xtask]\nsource-roots = [\"src/shelf_app\"]\n");
    repo.write("xtask/Cargo.toml", "[package]\nname = \"xtask\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    let helper = "import os\n\n\ndef read(name, default):\n    return getattr(\n        os, name, default\n    )\n";
    repo.write("xtask/python/helper.py", helper);
    let doctor = repo.xtask(&["doctor"]);
    assert!(doctor.stdout.contains("xtask/: the kit's own folder"), "{}", doctor.stdout);
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    let v = run.json();
    let about_kit: Vec<_> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["file"].as_str().is_some_and(|f| f.starts_with("xtask/")))
        .collect();
    assert!(about_kit.is_empty(), "{about_kit:?}");
    for id in ["format", "lint", "rules"] {
        assert!(findings(&v, id).iter().all(|f| f["status"] != "fail"), "{id}: {v}");
    }
    run.assert_code(0);
    repo.xtask(&["fmt"]).assert_code(0);
    assert_eq!(repo.read("xtask/python/helper.py"), helper);

    // A module the change touched in places is judged on those lines only
    // (the misformatted line from main is not the change's), and fmt
    // reformats only them.
    repo.write("src/shelf_app/stock.py", &format!("{stock}\n\ndef shelf_size() -> int:\n    return len(UNTOUCHED)\n"));
    let run = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    assert!(findings(&run.json(), "format").iter().all(|f| f["status"] == "pass"), "{}", run.stdout);
    let touched = repo.read("src/shelf_app/stock.py").replace("UNTOUCHED=[3,4]\n", "UNTOUCHED=[3,4]\nTOUCHED=[1,2]\n");
    repo.write("src/shelf_app/stock.py", &touched);
    let run = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    let format: Vec<_> = run.failing().into_iter().filter(|f| f["id"] == "format").collect();
    assert_eq!(format.len(), 1, "{}", run.stdout);
    assert_eq!((format[0]["file"].as_str(), format[0]["line"].as_u64()), (Some("src/shelf_app/stock.py"), Some(4)));
    assert!(format[0]["message"].as_str().unwrap().contains("lines this change touched"), "{}", run.stdout);
    repo.xtask(&["fmt"]).assert_code(0);
    assert_eq!(repo.read("src/shelf_app/stock.py"), touched.replace("TOUCHED=[1,2]", "TOUCHED = [1, 2]"));

    // The same code in the project is the project's: each tool reports it.
    repo.write("src/shelf_app/helper.py", helper);
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    run.assert_code(1);
    let failing: Vec<(String, String)> = run
        .failing()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f["file"].as_str().unwrap_or("").to_string()))
        .collect();
    for id in ["format", "lint", "rules"] {
        assert!(failing.contains(&(id.to_string(), "src/shelf_app/helper.py".to_string())), "{id}: {failing:?}");
    }
    assert!(failing.iter().all(|(_, f)| !f.starts_with("xtask/")), "{failing:?}");

    // In the kit's own repository a source root lies inside the kit's
    // folder: its Python is the project's there, and is linted.
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"xtask\"]\n\n[workspace.metadata.xtask]\nsource-roots = [\"src/shelf_app\", \"xtask/python\"]\n");
    let run = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    let v = run.json();
    assert!(findings(&v, "lint").iter().any(|f| f["file"] == "xtask/python/helper.py"), "{v}");
}

#[test]
fn quality_gates_yaml_commands_fallbacks_optional_gates_threshold_and_rules() {
    let repo = project_repo();
    repo.write(
        "specs/guides/quality-gates.yaml",
        r#"metadata:
  version: "2.0"

implementation_gates:
  - name: smoke
    command: "make smoke"
    fallback: "python -c \"print('fallback ran')\""
    required: true
  - name: style_notes
    command: "python -c \"import sys; sys.exit(3)\""
    required: false
  - name: isolation
    description: "tests run in parallel"

testing_gates:
  - name: coverage_gate
    threshold: 100
    scope: "modified_modules"

documentation_gates:
  - name: anti_pattern_scan
    rules:
      - pattern: "print\\("
        severity: "error"
        message: "use logging"
      - pattern: "^(?!from __future__ import annotations)"
        severity: "error"
        message: "future import first"
"#,
    );
    repo.commit_all("quality gates");
    repo.write("src/pkg/calc.py", &format!("{}\n\ndef shout_sum(a, b):\n    print(a + b)\n", pyenv::CALC));
    repo.write("tests/unit/test_sum.py", "from pkg.calc import shout_sum\n\n\ndef test_sum():\n    shout_sum(1, 2)\n");
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    let v = run.json();
    let gates = findings(&v, "quality-gates");
    let by = |name: &str| gates.iter().find(|f| f["rule"] == name).unwrap_or_else(|| panic!("{name}: {v}"));
    assert_eq!(by("smoke")["status"], "pass", "{v}");
    assert!(by("smoke")["message"].as_str().unwrap().contains("fallback: the Makefile has no target `smoke`"), "{v}");
    assert!(run.stderr.contains("fallback ran"), "{}", run.stderr);
    // The optional gate failed: reported as a warning, not gated.
    assert_eq!(
        (by("style_notes")["status"].as_str(), by("style_notes")["warning"].as_bool()),
        (Some("pass"), Some(true))
    );
    assert_eq!(by("not-checked")["status"], "skip");
    assert!(by("not-checked")["message"].as_str().unwrap().contains("isolation"), "{v}");
    // The threshold is the coverage threshold.
    let coverage = findings(&v, "coverage");
    assert!(coverage.iter().all(|c| c["required"] == 100.0 || c["required"].is_null()), "{v}");
    // Rules: the print( rule fails at the added line; the look-ahead is skipped by name.
    let rules = findings(&v, "rules");
    assert!(
        rules.iter().any(|f| f["status"] == "fail"
            && f["rule"] == "anti_pattern_scan.1"
            && f["file"] == "src/pkg/calc.py"
            && f["line"] == 10),
        "{v}"
    );
    let skipped = rules.iter().find(|f| f["rule"] == "anti_pattern_scan.2").unwrap();
    assert_eq!(skipped["status"], "skip");
    assert!(skipped["message"].as_str().unwrap().contains("look-around"), "{v}");
    run.assert_code(1);

    // `quality-gates-skip` leaves a gate out; human output shows the warning.
    let human = repo.xtask(&["gate", "--phase", "implementation"]);
    assert!(human.stdout.contains("warning[quality-gates]: specs/guides/quality-gates.yaml:9:"), "{}", human.stdout);
}

/// The older quality-gates.yaml the workflow's projects kept (version 1.0):
/// `version` and `description` at the top, and the anti-patterns as a
/// top-level list of entries with `pattern`, `severity`, `message` and a
/// folder `scope`, not under a gate's `rules`. Each is a rule; none is "a
/// description for reviewers".
#[test]
fn an_older_quality_gates_file_with_a_top_level_list_of_rules() {
    let repo = project_repo();
    repo.write(
        "specs/guides/quality-gates.yaml",
        r#"version: "1.0"
description: "Gates for the package"

implementation_gates:
  - name: smoke
    command: "python -c \"print('smoke ran')\""
    required: true

code_rules:
  - pattern: "getattr\\("
    severity: error
    message: "Use a type guard"
    reference: "AGENTS.md#style"

  - pattern: "class Test"
    scope: "tests/"
    severity: warning
    message: "Use function-based tests"

coverage_targets:
  core: 90
  overall: 85
"#,
    );
    repo.commit_all("older gates file");
    repo.write("src/pkg/calc.py", &format!("{}\n\ndef pick(o, name):\n    return getattr(o, name)\n", pyenv::CALC));
    repo.write("tests/unit/test_pick.py", "from pkg.calc import pick\n\n\nclass TestPick:\n    def test_pick(self):\n        assert pick(1, \"real\") == 1\n");
    let run = repo.xtask(&["gate", "--phase", "qa", "--json"]);
    let v = run.json();
    let rules = findings(&v, "rules");
    let at = |rule: &str| rules.iter().find(|f| f["rule"] == rule).unwrap_or_else(|| panic!("{rule}: {v}"));
    assert_eq!(
        (
            at("code_rules.1")["status"].as_str(),
            at("code_rules.1")["file"].as_str(),
            at("code_rules.1")["line"].as_u64()
        ),
        (Some("fail"), Some("src/pkg/calc.py"), Some(10))
    );
    let scoped = at("code_rules.2");
    assert_eq!((scoped["file"].as_str(), scoped["warning"].as_bool()), (Some("tests/unit/test_pick.py"), Some(true)));
    let unchecked = findings(&v, "quality-gates").into_iter().find(|f| f["rule"] == "not-checked").unwrap();
    let said = unchecked["message"].as_str().unwrap();
    assert!(said.contains("coverage_targets"), "{said}");
    for quiet in ["version", "description", "code_rules"] {
        assert!(!said.contains(quiet), "{quiet}: {said}");
    }
    run.assert_code(1);
}

/// A declared lint command that also fixes (a Makefile's `lint: fix ...`,
/// `ruff check --fix`) rewrites a source file during the gate: the gate
/// says which files the command changed, and says nothing of a command
/// that only checks.
#[test]
fn a_declared_command_that_changes_the_working_tree_is_reported() {
    let repo = project_repo();
    repo.write(
        "specs/guides/quality-gates.yaml",
        "implementation_gates:\n  - name: lint_clean\n    command: \"python fix.py\"\n  - name: quiet\n    command: \"python -c 'print(1)'\"\n",
    );
    // Sorts the names of a list in place, as an import or __all__ sorter does.
    repo.write(
        "fix.py",
        "p = \"src/pkg/names.py\"\ntext = open(p).read()\nopen(p, \"w\").write(text.replace('\"b\", \"a\"', '\"a\", \"b\"'))\n",
    );
    repo.write("src/pkg/names.py", "__all__ = [\"b\", \"a\"]\n");
    repo.commit_all("a fixing lint command");
    let run = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    let v = run.json();
    let gates = findings(&v, "quality-gates");
    let warned: Vec<_> = gates.iter().filter(|f| f["warning"] == true).collect();
    assert_eq!(warned.len(), 1, "{v}");
    assert_eq!(warned[0]["rule"], "lint_clean");
    assert_eq!(warned[0]["changed"], serde_json::json!(["src/pkg/names.py"]));
    assert!(
        warned[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`python fix.py` changed the working tree: src/pkg/names.py;"),
        "{v}"
    );
    assert_eq!(repo.read("src/pkg/names.py"), "__all__ = [\"a\", \"b\"]\n");
    run.assert_code(0);
    // Run again: nothing left to fix, nothing said.
    let again = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    assert!(findings(&again.json(), "quality-gates").iter().all(|f| f["warning"] != true), "{}", again.stdout);
}

/// A distribution named otherwise than its package (`[project] name =
/// "shelf-framework"` shipping `shelf_app`, as gluent/goe's `goe-framework`
/// ships `goe`): setup and doctor check `import shelf_app`, the package the
/// source root holds, and warn of nothing.
#[test]
fn the_import_check_uses_the_package_the_source_root_holds() {
    let repo = uv_project();
    let renamed = repo.read("pyproject.toml").replace("name = \"shelf-app\"", "name = \"shelf-framework\"").replace(
        "[tool.uv]\npackage = true\n",
        "[tool.uv]\npackage = true\n\n[tool.uv.build-backend]\nmodule-name = \"shelf_app\"\n",
    );
    repo.write("pyproject.toml", &renamed);
    repo.write("Cargo.toml", "[workspace.metadata.xtask]\nsource-roots = [\"src/shelf_app\"]\n");
    let setup = repo.xtask(&["setup"]);
    setup.assert_code(0);
    assert!(setup.stdout.contains("import shelf_app: src/shelf_app/__init__.py"), "{}", setup.stdout);
    assert!(!setup.stderr.contains("warning: `import"), "{}", setup.stderr);
    let doctor = repo.xtask(&["doctor"]);
    assert!(doctor.stdout.contains("import shelf_app: src/shelf_app/__init__.py"), "{}", doctor.stdout);
    assert!(!doctor.stdout.contains("shelf_framework"), "{}", doctor.stdout);
}

/// A repository holding one Python package (`VALUE = 1` in
/// `PACKAGE/__init__.py`), declared by `pyproject`, with the package as the
/// source root; not committed yet.
fn package_repo(pyproject: &str, package: &str) -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".venv\n__pycache__/\n*.egg-info/\ndist/\n");
    repo.write("pyproject.toml", pyproject);
    repo.write(&format!("{package}/__init__.py"), "VALUE = 1\n");
    repo.write("Cargo.toml", &format!("[workspace.metadata.xtask]\nsource-roots = [\"{package}\"]\n"));
    repo
}

/// pyproject.toml of a setuptools package `name` under src/, then `more`.
fn setuptools_src(name: &str, more: &str) -> String {
    format!(
        "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[tool.setuptools.packages.find]\nwhere = [\"src\"]\n{more}"
    )
}

/// A package that declares no dev dependencies at all (only `[project]` and
/// a build system): setup still installs the project, so `import` works in
/// the venv and doctor warns of nothing (it used to advise running setup,
/// which installed nothing).
#[test]
fn a_package_with_no_dev_dependencies_is_installed_by_setup() {
    let pyproject = setuptools_src("plain-pkg", "\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n");
    let repo = package_repo(&pyproject, "src/plain_pkg");
    repo.commit_all("a plain package");
    let setup = repo.xtask(&["setup"]);
    setup.assert_code(0);
    assert!(setup.stdout.contains("ran pip install -e .;"), "{}", setup.stdout);
    assert!(setup.stdout.contains("import plain_pkg: src/plain_pkg/__init__.py"), "{}", setup.stdout);
    let doctor = repo.xtask(&["doctor"]);
    assert!(!doctor.stdout.contains("No module named"), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("import plain_pkg: src/plain_pkg/__init__.py"), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("(the project; it declares no dev dependencies)"), "{}", doctor.stdout);
    // The default unit test folder is not there: doctor says so, with
    // pytest's own setting as the likely value.
    let v = repo.xtask(&["doctor", "--json"]).json();
    let unit = v["checks"].as_array().unwrap().iter().find(|f| f["rule"] == "unit tests").unwrap().clone();
    assert_eq!(unit["warning"], true, "{unit}");
    assert!(unit["message"].as_str().unwrap().starts_with("tests/unit: no such folder"), "{unit}");
    assert!(unit["fix"].as_str().unwrap().contains("(pytest's testpaths: tests)"), "{unit}");
}

/// The project pins ruff in its pre-commit hooks and its dev dependencies do
/// not bring it: setup installs that version, not the kit's (ruff formats
/// and lints differently from one version to the next).
#[test]
fn the_ruff_of_the_projects_pre_commit_hooks_is_the_one_installed() {
    let repo = package_repo(&setuptools_src("pinned", "\n[tool.ruff]\nline-length = 100\n"), "src/pinned");
    repo.write(
        ".pre-commit-config.yaml",
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.5.0\n    hooks:\n      - id: ruff\n      - id: ruff-format\n",
    );
    repo.commit_all("a package whose hooks pin ruff");
    let setup = repo.xtask(&["setup"]);
    setup.assert_code(0);
    assert!(setup.stdout.contains("ruff==0.5.0"), "{}", setup.stdout);
    let version = std::process::Command::new(repo.path.join(".venv/bin/ruff")).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), "ruff 0.5.0");
}

/// A flat-layout setuptools package with automatic discovery: with the kit's
/// xtask/ and specs/ beside it, setuptools refuses to build it ("Multiple
/// top-level packages"). Setup installs its requirements file, goes on
/// with a warning that says how to name the package, and the gate's tools
/// are there.
#[test]
fn a_flat_layout_package_that_does_not_build_does_not_stop_setup() {
    let repo = package_repo(
        "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"flatpkg\"\nversion = \"0.1.0\"\n",
        "flatpkg",
    );
    repo.write("xtask/src/main.rs", "fn main() {}\n");
    repo.write("specs/active/.keep", "");
    // What the tests need is declared apart: it installs all the same.
    repo.write("requirements-dev.txt", "six>=1.16\n");
    repo.commit_all("a flat layout");
    let setup = repo.xtask(&["setup"]);
    setup.assert_code(0);
    assert!(setup.stderr.contains("warning: the project itself could not be installed"), "{}", setup.stderr);
    assert!(setup.stderr.contains("`[tool.setuptools] packages = [\"yourpkg\"]`"), "{}", setup.stderr);
    assert!(setup.stdout.contains("pytest"), "{}", setup.stdout);
    let six = std::process::Command::new(repo.path.join(".venv/bin/python")).args(["-c", "import six"]).status();
    assert!(six.unwrap().success(), "{}", setup.stdout);
}

/// Poetry, pdm and hatch projects on a machine without those tools: setup
/// installs the project through its own build backend and the dev
/// dependencies the tool's table declares (here `six`, which nothing else
/// brings), with pip; the package imports from the venv. The same for the
/// classic shape: a setuptools package whose tests' dependencies are in
/// `requirements/tests.txt`.
#[test]
fn poetry_pdm_and_hatch_projects_install_without_their_tools() {
    let shapes = [
        (
            "poetry",
            "[build-system]\nrequires = [\"poetry-core>=1.9\"]\nbuild-backend = \"poetry.core.masonry.api\"\n\n[tool.poetry]\nname = \"tool-pkg\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = []\npackages = [{ include = \"tool_pkg\", from = \"src\" }]\n\n[tool.poetry.dependencies]\npython = \">=3.9\"\n\n[tool.poetry.group.dev.dependencies]\nsix = \">=1.16\"\n",
        ),
        (
            "pdm",
            "[build-system]\nrequires = [\"pdm-backend\"]\nbuild-backend = \"pdm.backend\"\n\n[project]\nname = \"tool-pkg\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\n\n[tool.pdm.dev-dependencies]\ntest = [\"six>=1.16\"]\n",
        ),
        (
            "hatch",
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"tool-pkg\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\n\n[tool.hatch.build.targets.wheel]\npackages = [\"src/tool_pkg\"]\n\n[tool.hatch.envs.default]\ndependencies = [\"six>=1.16\"]\n",
        ),
        (
            "requirements",
            &setuptools_src("tool-pkg", ""),
        ),
    ];
    for (tool, pyproject) in shapes {
        let repo = package_repo(pyproject, "src/tool_pkg");
        if tool == "requirements" {
            repo.write("requirements/tests.txt", "# what the tests import\nsix>=1.16\n");
        }
        repo.commit_all("a package");
        // PATH without poetry, pdm or hatch, whatever this machine has.
        let path = std::env::var("PATH").unwrap_or_default();
        // (A folder that also holds python3 or git stays: those are needed.)
        let has = |d: &str, p: &str| std::path::Path::new(d).join(p).exists();
        let without: Vec<&str> =
            path.split(':').filter(|d| !has(d, tool) || has(d, "python3") || has(d, "git")).collect();
        let setup = common::xtask_with(&repo.path, &["setup"], "", &[("PATH", &without.join(":"))]);
        assert_eq!(setup.code, 0, "{tool}: {}\n{}", setup.stdout, setup.stderr);
        assert!(setup.stdout.contains("import tool_pkg: src/tool_pkg/__init__.py"), "{tool}: {}", setup.stdout);
        let six =
            std::process::Command::new(repo.path.join(".venv/bin/python")).args(["-c", "import six"]).status().unwrap();
        assert!(six.success(), "{tool}: the dev dependency six is not installed: {}", setup.stdout);
    }
}

/// A project whose build imports pkg_resources (as cx-Oracle 8's does, a
/// dependency of gluent/goe) fails to install once the build gets
/// setuptools 81 or later: setup stops with exit 2 and says how to pin the
/// build's setuptools; with that pin it installs.
#[test]
fn a_build_that_needs_pkg_resources_is_explained() {
    let repo = TempRepo::new();
    repo.write(".gitignore", ".venv\n__pycache__/\n*.egg-info/\n");
    repo.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"old-build\"\nversion = \"0.1.0\"\n\n[project.optional-dependencies]\ndev = [\"pytest==9.2.0\"]\n",
    );
    repo.write("setup.py", "import pkg_resources  # noqa: F401\nfrom setuptools import setup\n\nsetup(packages=[\"old_build\"], package_dir={\"\": \"src\"})\n");
    repo.write("src/old_build/__init__.py", "");
    repo.commit_all("an old build");
    let failed = repo.xtask(&["setup"]);
    failed.assert_code(2);
    assert!(failed.stderr.contains("No module named 'pkg_resources'"), "{}", failed.stderr);
    assert!(failed.stderr.contains("PIP_BUILD_CONSTRAINT=/tmp/build-constraints.txt"), "{}", failed.stderr);
    let pin = repo.path.join("build-constraints.txt");
    std::fs::write(&pin, "setuptools<81\n").unwrap();
    let pin = pin.to_str().unwrap();
    let env = [("PIP_BUILD_CONSTRAINT", pin), ("PIP_CONSTRAINT", pin)];
    common::xtask_with(&repo.path, &["setup"], "", &env).assert_code(0);
}

/// After a pull or a branch switch that changes what the project declares
/// (here a new runtime dependency), the gate sets the venv up again before
/// the tests run, instead of testing against the old dependencies; with
/// nothing changed it does not.
#[test]
fn the_gate_sets_up_again_when_the_declared_dependencies_change() {
    let repo = uv_project();
    repo.xtask(&["setup"]).assert_code(0);
    let quiet = repo.xtask(&["gate", "--phase", "implementation"]);
    assert!(!quiet.stderr.contains("setup:"), "{}", quiet.stderr);
    let declared = repo
        .read("pyproject.toml")
        .replace("dependencies = [\"six>=1.16\"]", "dependencies = [\"six>=1.16\", \"toml>=0.10\"]");
    repo.write("pyproject.toml", &declared);
    std::fs::remove_file(repo.path.join("uv.lock")).unwrap();
    repo.write("src/shelf_app/conf.py", "import toml\n\n\ndef read(text: str) -> dict:\n    return toml.loads(text)\n");
    repo.write(
        "tests/unit/test_conf.py",
        "from shelf_app.conf import read\n\n\ndef test_read():\n    assert read(\"a = 1\") == {\"a\": 1}\n",
    );
    let run = repo.xtask(&["gate", "--phase", "implementation"]);
    assert!(
        run.stderr.contains("setup: what the last setup installed from changed (pyproject.toml, uv.lock"),
        "{}",
        run.stderr
    );
    run.assert_code(0);
    let again = repo.xtask(&["gate", "--phase", "implementation"]);
    assert!(!again.stderr.contains("setup:"), "{}", again.stderr);
}

#[test]
fn test_unit_runs_exactly_the_path_it_is_given_and_failures_carry_node_ids() {
    let repo = project_repo();
    let run = repo.xtask(&["test", "unit", "--", "tests/unit/test_calc.py", "-k", "add or shout"]);
    run.assert_code(0);
    // Only test_add: test_shout (test_text.py) is not in the given path.
    assert!(run.stdout.contains("1 passed"), "{}", run.stdout);

    repo.write("tests/unit/test_red.py", "def test_red():\n    value = 2\n    assert value == 3\n");
    let gate = repo.xtask(&["gate", "--phase", "implementation", "--json"]);
    gate.assert_code(1);
    let v = gate.json();
    let tests = findings(&v, "tests");
    let failed = tests[0]["failed"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(failed.len(), 1, "{v}");
    assert_eq!(failed[0]["node_id"], "tests/unit/test_red.py::test_red");
    assert_eq!((failed[0]["file"].as_str(), failed[0]["line"].as_u64()), (Some("tests/unit/test_red.py"), Some(3)));
    // `test --json`: pytest's output on stderr, one report on stdout.
    let run = repo.xtask(&["--json", "test", "unit"]);
    run.assert_code(1);
    let v = run.json();
    assert_eq!(v["checks"][0]["id"], "tests", "{v}");
    assert_eq!(v["checks"][0]["failed"][0]["node_id"], "tests/unit/test_red.py::test_red", "{v}");
}
