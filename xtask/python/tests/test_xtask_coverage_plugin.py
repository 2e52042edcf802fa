"""Tests of the coverage plugin `cargo xtask coverage` loads into pytest: its
settings, which tests and collectors it traces, and, in a real pytest run,
that code only untraced tests run stays unmeasured."""

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


def test_reads_sources_tests_and_worker(tmp_path):
    listing = tmp_path / "tests.txt"
    listing.write_text(
        "tests/unit/test_a.py\n./tests/unit/test_b.py\n\n", encoding="utf-8"
    )
    environ = {
        "XTASK_COV_OUT": str(tmp_path),
        "XTASK_COV_SOURCES": "pkg.a\n\nsrc/other\n",
        "XTASK_COV_TESTS": str(listing),
        "PYTEST_XDIST_WORKER": "gw1",
    }
    settings = plugin.read_settings(environ)
    assert settings == {
        "out": str(tmp_path),
        "sources": ["pkg.a", "src/other"],
        "tests": {"tests/unit/test_a.py", "tests/unit/test_b.py"},
        "worker": "gw1",
    }
    del environ["XTASK_COV_TESTS"], environ["PYTEST_XDIST_WORKER"]
    settings = plugin.read_settings(environ)
    assert settings["tests"] is None and settings["worker"] == "main"


def test_chooses_items_by_their_file(tmp_path):
    root = str(tmp_path)
    chosen = SimpleNamespace(path=tmp_path / "tests" / "test_a.py")
    other = SimpleNamespace(path=None, fspath=tmp_path / "tests" / "test_b.py")
    tests = {"tests/test_a.py"}
    assert plugin.item_file(other, root) == "tests/test_b.py"
    assert plugin.wanted(chosen, tests, root)
    assert not plugin.wanted(other, tests, root)
    assert plugin.wanted(other, None, root)


def test_traces_collectors_that_can_import_a_module(tmp_path):
    root = str(tmp_path)
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "conftest.py").write_text("", encoding="utf-8")
    (tmp_path / "other").mkdir()
    tests = {"tests/unit/test_a.py"}

    def node(*parts):
        return SimpleNamespace(path=tmp_path.joinpath(*parts))

    assert plugin.wanted_collector(node("tests", "unit", "test_a.py"), tests, root)
    # A folder above a chosen file with a conftest.py to load: yes.
    assert plugin.wanted_collector(node("tests", "unit"), tests, root)
    # Folders without a conftest.py, or not above a chosen file: no.
    assert not plugin.wanted_collector(node("tests"), tests, root)
    assert not plugin.wanted_collector(node("other"), tests, root)
    assert not plugin.wanted_collector(node("tests", "unit", "test_b.py"), tests, root)
    assert not plugin.wanted_collector(SimpleNamespace(), tests, root)
    (tmp_path / "conftest.py").write_text("", encoding="utf-8")
    assert plugin.wanted_collector(node(), tests, root)
    assert plugin.wanted_collector(node("other"), None, root)


def test_hooks_do_nothing_when_off():
    item = SimpleNamespace(path=Path("tests/test_a.py"))
    for hook in (
        plugin.pytest_load_initial_conftests(None, None, []),
        plugin.pytest_make_collect_report(item),
        plugin.pytest_runtest_protocol(item, None),
    ):
        next(hook)
        assert next(hook, "done") == "done"
    assert plugin.pytest_sessionfinish(None) is None


def test_measures_only_while_chosen_tests_run(tmp_path):
    """A real pytest run: the plugin copy loaded the way the xtask loads it."""
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (project / "pkg" / "calc.py").write_text(
        textwrap.dedent("""\
            def used_by_a():
                return 1


            def used_by_b():
                return 2
            """),
        encoding="utf-8",
    )
    (project / "tests" / "test_a.py").write_text(
        "from pkg.calc import used_by_a\n\n\ndef test_a():\n    assert used_by_a() == 1\n",
        encoding="utf-8",
    )
    (project / "tests" / "test_b.py").write_text(
        "from pkg.calc import used_by_b\n\n\ndef test_b():\n    assert used_by_b() == 2\n",
        encoding="utf-8",
    )
    scratch = tmp_path / "scratch"
    (scratch / "out").mkdir(parents=True)
    (scratch / "_xtask_coverage.py").write_text(
        PLUGIN.read_text(encoding="utf-8") + "\n\nactivate()\n", encoding="utf-8"
    )
    (scratch / "tests.txt").write_text("tests/test_a.py\n", encoding="utf-8")
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(scratch), str(project)]),
        XTASK_COV_OUT=str(scratch / "out"),
        XTASK_COV_SOURCES="pkg.calc",
        XTASK_COV_TESTS=str(scratch / "tests.txt"),
    )
    env.pop("COV_CORE_SOURCE", None)
    # Under xdist this test runs in a worker; the child is no worker.
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "_xtask_coverage",
            "tests",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((scratch / "out" / "main.json").read_text(encoding="utf-8"))
    calc = report["files"]["pkg/calc.py"]
    # Both `def` lines ran at import; only test_a's function body was traced.
    assert calc["executed_lines"] == [1, 2, 5]
    assert calc["missing_lines"] == [6]
