"""Tests of the coverage plugin `cargo xtask coverage` loads into pytest: its
settings, the measurer it picks, what the project's coverage settings leave
out, and, in real pytest runs, that its figures are coverage.py's own."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

PLUGIN = Path(__file__).resolve().parent.parent / "xtask_coverage_plugin.py"
sys.path.insert(0, str(PLUGIN.parent))

import xtask_coverage_plugin as plugin  # noqa: E402


def test_off_without_an_output_folder():
    assert plugin.read_settings({}) is None
    assert plugin.activate({}) is None
    assert plugin.MEASURE is None


def test_reads_files_core_and_worker(tmp_path):
    environ = {
        "XTASK_COV_OUT": str(tmp_path),
        "XTASK_COV_FILES": "src/pkg/a.py\n\n./src/pkg/b.py\n",
        "XTASK_COV_CORE": "sysmon",
        "PYTEST_XDIST_WORKER": "gw1",
    }
    settings = plugin.read_settings(environ)
    assert settings == {
        "out": str(tmp_path),
        "files": [os.path.abspath("src/pkg/a.py"), os.path.abspath("src/pkg/b.py")],
        "worker": "gw1",
        "core": "sysmon",
    }
    for key in ("PYTEST_XDIST_WORKER", "XTASK_COV_CORE"):
        del environ[key]
    settings = plugin.read_settings(environ)
    assert settings["worker"] == "main" and settings["core"] is None


def test_chooses_the_cheapest_core_that_measures_what_the_project_asks():
    choose = plugin.choose_core
    # Asked for: taken as is.
    assert choose("pytrace", (3, 13), False, False, True, False) == "pytrace"
    # sys.monitoring: lines from 3.12, branches from 3.14.
    assert choose(None, (3, 12), False, False, True, False) == "sysmon"
    assert choose(None, (3, 13), True, False, True, False) == "ctrace"
    assert choose(None, (3, 14), True, False, False, False) == "sysmon"
    # Before 3.12: slipcover's probes for lines, when installed and in time.
    assert choose(None, (3, 11), False, False, True, False) == "slipcover"
    assert choose(None, (3, 11), False, False, False, False) == "ctrace"
    assert choose(None, (3, 11), False, False, True, True) == "ctrace"
    assert choose(None, (3, 11), True, False, True, False) == "ctrace"
    # File-tracer plugins run only under coverage.py's tracer.
    assert choose(None, (3, 13), False, True, True, False) == "ctrace"


def test_names_what_the_projects_settings_leave_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    for name in ("__init__.py", "a.py", "generated.py"):
        (tmp_path / "src" / "pkg" / name).write_text("", encoding="utf-8")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "b.py").write_text("", encoding="utf-8")

    def config(**kw):
        base = dict(
            run_omit=[], report_omit=[], run_include=[], report_include=[], source=[]
        )
        base.update(kw)
        return SimpleNamespace(**base)

    a = str(tmp_path / "src" / "pkg" / "a.py")
    generated = str(tmp_path / "src" / "pkg" / "generated.py")
    b = str(tmp_path / "lib" / "b.py")
    assert plugin.left_out(a, config()) is None
    assert plugin.left_out(generated, config(run_omit=["*/generated.py"])) == "omit"
    assert plugin.left_out(a, config(run_omit=["*/generated.py"])) is None
    assert plugin.left_out(a, config(report_omit=["src/pkg/*"])) == "omit"
    assert plugin.left_out(b, config(run_include=["src/*"])) == "include"
    # A source folder, or a package found by its name.
    assert plugin.left_out(b, config(source=["src"])) == "source"
    assert plugin.left_out(a, config(source=["src"])) is None
    package = SimpleNamespace(origin=str(tmp_path / "src" / "pkg" / "__init__.py"))
    found = {"pkg": package}.get
    assert plugin.left_out(a, config(source=["pkg"]), found) is None
    assert plugin.left_out(b, config(source=["pkg", "tests"]), found) == "source"


def test_sources_by_folder_package_or_module_name(tmp_path):
    import json as some_package

    inside = os.path.join(
        os.path.dirname(os.path.realpath(some_package.__file__)), "x.py"
    )
    assert plugin.under_source(inside, "json")
    assert not plugin.under_source(inside, "no_such_package_anywhere")
    assert not plugin.under_source(inside, "")
    module = SimpleNamespace(origin=str(tmp_path / "single.py"))
    found = {"single": module}.get
    assert plugin.under_source(str(tmp_path / "single.py"), "single", found)
    assert not plugin.under_source(str(tmp_path / "other.py"), "single", found)


def test_normalizes_paths():
    assert plugin.normalize(" ./././src/a.py ") == "src/a.py"


def test_does_nothing_when_off():
    assert plugin.pytest_sessionfinish(None) is None


DOCUMENTED = textwrap.dedent('''\
    """A module docstring."""
    import os  # pragma: no cover


    def used(flag):
        """A docstring
        over two lines."""
        if flag:
            return os.sep
        return ""


    def unused():  # pragma: no cover
        return 2


    def spare():
        return 3
    ''')


def analysed(tmp_path, lines=None, arcs=None):
    """The plugin's figures for DOCUMENTED from recorded data, no tracing:
    what a measurer records includes the docstrings and the excluded import
    it ran (coverage.py's JSON report before 7.13.1 listed them as executed)."""
    import coverage

    path = tmp_path / "documented.py"
    path.write_text(DOCUMENTED, encoding="utf-8")
    cov = coverage.Coverage(data_file=None, branch=arcs is not None)
    data = cov.get_data()
    if arcs is not None:
        data.add_arcs({str(path): arcs})
    else:
        data.add_lines({str(path): lines})
    report = plugin.measured_figures(cov)
    assert list(report) == [plugin.normalize(str(path))]
    return report[plugin.normalize(str(path))]


def test_figures_are_coverage_pys_statements_not_the_lines_that_ran(tmp_path):
    # Lines 1 (docstring), 2 (excluded), 5, 6-7 (docstring), 8, 9, 13
    # (excluded) and 17 ran.
    entry = analysed(tmp_path, lines={1, 2, 5, 6, 7, 8, 9, 13, 17})
    assert entry["statements"] == [5, 8, 9, 10, 17, 18]
    assert entry["excluded_lines"] == [2, 13, 14]
    assert entry["missing_lines"] == [10, 18]
    assert (entry["num_branches"], entry["missing_branches"]) == (0, [])
    assert entry["summary"] == {
        "num_statements": 6,
        "covered_lines": 4,
        "percent_covered": 400 / 6,
    }


def test_branch_figures_from_coverage_pys_analysis(tmp_path):
    # used(True) only: the `if` never fell through to line 10.
    arcs = {(-1, 1), (1, 2), (2, 5), (5, 13), (13, 17), (17, -1)}
    arcs |= {(-5, 8), (8, 9), (9, -5)}
    entry = analysed(tmp_path, arcs=arcs)
    assert entry["missing_lines"] == [10, 18]
    assert entry["num_branches"] == 2
    assert entry["missing_branches"] == [[8, 10]]
    assert entry["summary"]["num_branches"] == 2
    assert entry["summary"]["covered_branches"] == 1
    assert entry["summary"]["percent_covered"] == 100 * (4 + 1) / (6 + 2)


def test_a_file_coverage_cannot_analyse_is_left_out(tmp_path):
    import coverage

    cov = coverage.Coverage(data_file=None)
    cov.get_data().add_lines({str(tmp_path / "gone.py"): {1}})
    assert plugin.measured_figures(cov) == {}


def test_summary_of_nothing_to_run_is_full():
    assert plugin.summary(0, 0, 0, 0, False)["percent_covered"] == 100.0
    assert plugin.summary(4, 1, 2, 2, True) == {
        "num_statements": 4,
        "covered_lines": 3,
        "percent_covered": 50.0,
        "num_branches": 2,
        "covered_branches": 0,
    }


def write_project(root, coverage_settings):
    """A small src-layout project whose tests leave branches and lines out."""
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(coverage_settings, encoding="utf-8")
    (root / "src" / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "src" / "pkg" / "rules.py").write_text(
        textwrap.dedent("""\
            import typing as t


            def grade(score):
                if score >= 90:
                    return "a"
                if score >= 50:
                    return "b"
                for _ in range(3):
                    score += 1
                return "c"


            def unused(x):  # pragma: no cover
                return x * 2


            if t.TYPE_CHECKING:
                SPECIAL = 1


            def spread(items):
                total = 0
                for item in items:
                    if item:
                        total += item
                return (
                    total,
                    len(items),
                )
            """),
        encoding="utf-8",
    )
    (root / "src" / "pkg" / "generated.py").write_text(
        "def made():\n    return 1\n\n\ndef unmade():\n    return 2\n",
        encoding="utf-8",
    )
    (root / "tests" / "test_rules.py").write_text(
        textwrap.dedent("""\
            from pkg.generated import made
            from pkg.rules import grade, spread


            def test_grade():
                assert grade(95) == "a"
                assert grade(10) == "c"


            def test_spread():
                assert spread([1, 2]) == (3, 2)
                assert made() == 1
            """),
        encoding="utf-8",
    )


def run_module(project, env, module, args):
    """Run ``python -m MODULE ARGS`` in the project; it must succeed."""
    run = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def run_plugin(project, scratch, files, core=None):
    """pytest with the plugin copy loaded the way the xtask loads it; the
    report of the main process."""
    out = scratch / "out"
    out.mkdir(parents=True)
    (scratch / "_xtask_coverage.py").write_text(
        PLUGIN.read_text(encoding="utf-8") + "\n\nactivate()\n", encoding="utf-8"
    )
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(scratch), str(project / "src")]),
        XTASK_COV_OUT=str(out),
        XTASK_COV_FILES="\n".join(files),
    )
    env.pop("COV_CORE_SOURCE", None)
    # Under xdist this test runs in a worker; the child is no worker.
    env.pop("PYTEST_XDIST_WORKER", None)
    if core:
        env["XTASK_COV_CORE"] = core
    else:
        env.pop("XTASK_COV_CORE", None)
    args = ["-q", "-p", "no:cacheprovider", "-p", "_xtask_coverage", "tests"]
    run_module(project, env, "pytest", args)
    return json.loads((out / "main.json").read_text(encoding="utf-8"))


def coverage_report(project):
    """What coverage.py itself reports over the whole suite, project settings."""
    env = dict(os.environ, PYTHONPATH=str(project / "src"))
    env.pop("COV_CORE_SOURCE", None)
    env.pop("COVERAGE_CORE", None)
    for args in (
        ["run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        ["json", "-o", "cov.json"],
    ):
        run_module(project, env, "coverage", args)
    return json.loads((project / "cov.json").read_text(encoding="utf-8"))


def summary(report, path):
    entry = report["files"][path]["summary"]
    return (
        entry["percent_covered"],
        entry["covered_lines"],
        entry["num_statements"],
        entry.get("covered_branches"),
        entry.get("num_branches"),
    )


def test_figures_follow_the_projects_settings(tmp_path):
    """branch = true, omit and exclude_also: the plugin's figures for a
    modified module are coverage.py's own over the same suite."""
    project = tmp_path / "project"
    write_project(
        project,
        textwrap.dedent("""\
            [tool.coverage.run]
            branch = true
            source = ["pkg", "tests"]
            omit = ["*/generated.py"]

            [tool.coverage.report]
            exclude_also = ["if t.TYPE_CHECKING"]
            """),
    )
    files = ["src/pkg/rules.py", "src/pkg/generated.py"]
    ours = run_plugin(project, tmp_path / "scratch", files)
    theirs = coverage_report(project)
    assert ours["xtask"]["branch"] is True
    assert ours["xtask"]["left_out"] == {"src/pkg/generated.py": "omit"}
    assert "src/pkg/generated.py" not in ours["files"]
    assert summary(ours, "src/pkg/rules.py") == summary(theirs, "src/pkg/rules.py")
    # Branches count: fewer than all statements covered, some branches not.
    percent, lines, statements, branches, all_branches = summary(
        ours, "src/pkg/rules.py"
    )
    assert lines < statements and branches < all_branches


def test_every_core_gives_coverage_pys_line_figures(tmp_path):
    """Line coverage measured by each core available here: the figures of
    coverage.py's own run."""
    import importlib.util

    project = tmp_path / "project"
    write_project(
        project,
        '[tool.coverage.report]\nexclude_also = ["if t.TYPE_CHECKING"]\n',
    )
    theirs = coverage_report(project)
    cores = ["ctrace", "pytrace"]
    if sys.version_info >= (3, 12):
        cores.append("sysmon")
    if sys.version_info < (3, 12) and importlib.util.find_spec("slipcover"):
        cores.append("slipcover")
    for core in cores:
        ours = run_plugin(project, tmp_path / core, ["src/pkg/rules.py"], core)
        assert ours["xtask"]["core"] == core
        assert ours["xtask"]["branch"] is False
        for path in ("src/pkg/rules.py",):
            assert summary(ours, path) == summary(theirs, path), core
            assert (
                ours["files"][path]["missing_lines"]
                == theirs["files"][path]["missing_lines"]
            )
