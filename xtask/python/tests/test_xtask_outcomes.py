"""Tests of the outcomes recorder the gate loads into pytest: real pytest
sessions run by pytester (in this process, so coverage sees the hooks; under
pytest-xdist in a child process), and its small functions directly. The
names of these tests are the evidence the workspace
specs/archive/criteria-proven-by-tests/prd.md cites for its criteria."""

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

PLUGIN = Path(__file__).resolve().parent.parent / "xtask_outcomes.py"
sys.path.insert(0, str(PLUGIN.parent))

import xtask_outcomes as outcomes  # noqa: E402

pytest_plugins = ["pytester"]

KINDS = """
import pytest


def test_passes():
    pass


def test_fails():
    assert 1 == 2


@pytest.fixture
def broken():
    raise RuntimeError("no database")


def test_errors(broken):
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_expected_to_fail():
    assert 1 == 2


@pytest.mark.xfail(reason="fixed meanwhile")
def test_unexpectedly_passes():
    pass
"""


@pytest.fixture
def record(pytester, monkeypatch):
    """Run pytester in process with the recorder on; return (result, document)."""
    out = pytester.path / "outcomes.json"
    monkeypatch.setenv("XTASK_OUTCOMES_OUT", str(out))
    monkeypatch.setenv("XTASK_OUTCOMES_ROOT", str(pytester.path))

    def run(*args):
        result = pytester.runpytest_inprocess(
            "-p", "xtask_outcomes", "-p", "no:cacheprovider", *args
        )
        document = json.loads(out.read_text(encoding="utf-8"))
        return result, document

    return run


def by_id(document):
    return {t["nodeid"]: t for t in document["tests"]}


def test_off_without_an_output_file(pytester, monkeypatch):
    monkeypatch.delenv("XTASK_OUTCOMES_OUT", raising=False)
    pytester.makepyfile(test_plain="""
        def test_no_recorder(request):
            assert request.config.pluginmanager.get_plugin(
                "xtask-outcomes-recorder"
            ) is None
        """)
    before = sorted(p.name for p in pytester.path.iterdir())
    result = pytester.runpytest_inprocess(
        "-p", "xtask_outcomes", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    assert sorted(p.name for p in pytester.path.iterdir()) == before
    assert outcomes.read_settings({}) is None
    assert outcomes.read_settings({"XTASK_OUTCOMES_OUT": ""}) is None


def test_records_each_outcome(pytester, record):
    pytester.makepyfile(test_kinds=KINDS)
    result, document = record()
    result.assert_outcomes(
        passed=1, failed=1, errors=1, skipped=1, xfailed=1, xpassed=1
    )
    got = {k: v["outcome"] for k, v in by_id(document).items()}
    assert got == {
        "test_kinds.py::test_passes": "passed",
        "test_kinds.py::test_fails": "failed",
        "test_kinds.py::test_errors": "error",
        "test_kinds.py::test_skipped": "skipped",
        "test_kinds.py::test_expected_to_fail": "xfailed",
        "test_kinds.py::test_unexpectedly_passes": "xpassed",
    }
    assert document["version"] == 1 and document["collect"] == []


def test_worst_phase_wins(pytester, record):
    pytester.makepyfile(test_phases="""
        import pytest


        @pytest.fixture
        def leaky():
            yield
            raise RuntimeError("teardown")


        def test_passes_then_teardown_fails(leaky):
            pass


        def test_fails_then_teardown_fails(leaky):
            assert False
        """)
    _, document = record()
    got = {k: v["outcome"] for k, v in by_id(document).items()}
    assert got == {
        "test_phases.py::test_passes_then_teardown_fails": "error",
        "test_phases.py::test_fails_then_teardown_fails": "failed",
    }
    # A later passing report never hides a failure.
    assert outcomes.worse("failed", "passed") == "failed"
    assert outcomes.worse(outcomes.NOT_RUN, "passed") == "passed"
    assert outcomes.worse("passed", None) == "passed"


def test_parametrised_variants_and_class_methods(pytester, record):
    pytester.makepyfile(test_shapes="""
        import pytest


        @pytest.mark.parametrize("size", [1, 2, "a b::c"])
        def test_batch(size):
            assert size != 2


        class TestLoader:
            def test_retry(self):
                pass
        """)
    _, document = record()
    got = {k: v["outcome"] for k, v in by_id(document).items()}
    assert got == {
        "test_shapes.py::test_batch[1]": "passed",
        "test_shapes.py::test_batch[2]": "failed",
        "test_shapes.py::test_batch[a b::c]": "passed",
        "test_shapes.py::TestLoader::test_retry": "passed",
    }


def test_ids_are_relative_to_the_repository_root(pytester, record):
    # An ini file in tests/ makes that folder pytest's rootdir.
    unit = pytester.path / "tests" / "unit"
    unit.mkdir(parents=True)
    (pytester.path / "tests" / "pytest.ini").write_text("[pytest]\n")
    (unit / "test_deep.py").write_text("def test_a():\n    pass\n")
    (unit / "test_broken.py").write_text("import no_such_module_here\n")
    result, document = record("tests/unit", "--continue-on-collection-errors")
    assert "rootdir: " + str(pytester.path / "tests") in result.stdout.str()
    ids = [t["nodeid"] for t in document["tests"]]
    files = [t["file"] for t in document["tests"]]
    collect = [c["nodeid"] for c in document["collect"]]
    assert ids == ["tests/unit/test_deep.py::test_a"]
    assert files == ["tests/unit/test_deep.py"]
    assert collect == ["tests/unit/test_broken.py"]
    assert outcomes.node_id("", "/r", "/r") == ""
    assert outcomes.relative("unit/a.py", "/r/tests", "/r") == "tests/unit/a.py"


def test_file_and_line_of_each_test(pytester, record):
    source = (
        "import pytest\n"
        "\n"
        "\n"
        "def test_first():\n"
        "    pass\n"
        "\n"
        "\n"
        "class TestSecond:\n"
        "    @pytest.mark.parametrize('n', [1, 2])\n"
        "    def test_method(self, n):\n"
        "        pass\n"
    )
    pytester.makepyfile(test_lines=source)
    _, document = record()
    lines = source.splitlines()
    assert len(document["tests"]) == 3
    for test in document["tests"]:
        name = test["nodeid"].split("::")[-1].split("[")[0]
        assert test["file"] == "test_lines.py"
        # pytest's line: the `def`, or the first decorator above it.
        at = test["line"] - 1
        while lines[at].strip().startswith("@"):
            at += 1
        assert lines[at].strip().startswith(f"def {name}(")
    lines_of = sorted(t["line"] for t in document["tests"])
    assert lines_of == [4, 9, 9]


def test_xdist_controller_writes_one_file(pytester, monkeypatch):
    pytest.importorskip("xdist")
    folder = pytester.mkdir("out")
    monkeypatch.setenv("XTASK_OUTCOMES_ROOT", str(pytester.path))
    path = os.pathsep.join([str(PLUGIN.parent), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    pytester.makepyfile(test_kinds=KINDS)
    pytester.makepyfile(test_many="""
        import pytest


        @pytest.mark.parametrize("n", range(8))
        def test_n(n):
            pass
        """)
    documents = {}
    for name, extra in [("plain", []), ("xdist", ["-n", "2"])]:
        out = folder / f"{name}.json"
        monkeypatch.setenv("XTASK_OUTCOMES_OUT", str(out))
        pytester.runpytest_subprocess(
            "-p", "xtask_outcomes", "-p", "no:cacheprovider", *extra
        )
        documents[name] = json.loads(out.read_text(encoding="utf-8"))
    # One file per session, and no temporary left by a worker.
    assert sorted(p.name for p in folder.iterdir()) == ["plain.json", "xdist.json"]
    assert len(documents["plain"]["tests"]) == 14
    assert documents["xdist"] == documents["plain"]


def test_collection_errors_and_skips(pytester, record):
    pytester.makepyfile(
        test_broken="import no_such_module_at_all\n",
        test_later="""
        import pytest

        pytest.skip("needs a GPU", allow_module_level=True)


        def test_never():
            pass
        """,
    )
    result, document = record()
    assert result.ret == 2  # pytest stops after a collection error
    assert document["collect"] == [
        {
            "nodeid": "test_broken.py",
            "outcome": "error",
            "message": "ModuleNotFoundError: No module named 'no_such_module_at_all'",
        },
        {
            "nodeid": "test_later.py",
            "outcome": "skipped",
            "message": "Skipped: needs a GPU",
        },
    ]
    long = SimpleNamespace(longrepr="E   " + "x" * 500)
    assert len(outcomes.reason(long)) == outcomes.MESSAGE_LIMIT
    assert outcomes.reason(SimpleNamespace(longrepr="\nfirst\nsecond")) == "first"
    assert outcomes.reason(SimpleNamespace(longrepr=None)) == ""


def test_collected_but_not_run(pytester, record):
    pytester.makepyfile(test_stop="""
        def test_one():
            assert False


        def test_two():
            pass


        def test_three():
            pass
        """)
    _, document = record("-x")
    got = {k: (v["outcome"], v["line"]) for k, v in by_id(document).items()}
    assert got == {
        "test_stop.py::test_one": ("failed", 1),
        "test_stop.py::test_two": (outcomes.NOT_RUN, 5),
        "test_stop.py::test_three": (outcomes.NOT_RUN, 9),
    }


def test_written_whole_with_no_temporary_left(pytester, record, monkeypatch, capsys):
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result, document = record()
    assert result.ret == 0 and len(document["tests"]) == 1
    leftovers = [p.name for p in pytester.path.iterdir() if p.suffix == ".tmp"]
    assert leftovers == []
    # A file that cannot be written: said on stderr, the verdict unchanged.
    missing = pytester.path / "no" / "such" / "folder" / "outcomes.json"
    monkeypatch.setenv("XTASK_OUTCOMES_OUT", str(missing))
    result = pytester.runpytest_inprocess(
        "-p", "xtask_outcomes", "-p", "no:cacheprovider"
    )
    assert result.ret == 0
    assert "xtask outcomes: not written to" in capsys.readouterr().err
    assert not missing.exists()
    # The rename fails (the target is a folder): the temporary file goes too.
    taken = pytester.mkdir("taken")
    assert outcomes.Recorder(str(taken), "/", "/").write() is False
    assert [p for p in pytester.path.iterdir() if p.suffix == ".tmp"] == []


def test_reports_other_plugins_invent_are_ignored():
    rerun = SimpleNamespace(when="call", outcome="rerun")
    assert outcomes.outcome_of(rerun) is None
    assert outcomes.outcome_of(SimpleNamespace(when="setup", outcome="passed")) is None
    recorder = outcomes.Recorder("unused.json", "/r", "/r")
    recorder.pytest_runtest_logreport(
        SimpleNamespace(
            nodeid="t.py::test_a", location=None, when="call", outcome="rerun"
        )
    )
    recorder.pytest_collectreport(SimpleNamespace(nodeid="", outcome="failed"))
    recorder.pytest_xdist_node_collection_finished(None, ["t.py::test_b"])
    assert recorder.document()["tests"] == [
        {
            "nodeid": "t.py::test_a",
            "outcome": outcomes.NOT_RUN,
            "file": None,
            "line": None,
        },
        {
            "nodeid": "t.py::test_b",
            "outcome": outcomes.NOT_RUN,
            "file": None,
            "line": None,
        },
    ]
    assert recorder.document()["collect"] == []


def test_one_recorder_per_session(pytester, record):
    # Loading the plugin twice under two names registers one recorder.
    pytester.makepyfile(test_count="""
        def test_count(request):
            manager = request.config.pluginmanager
            recorders = [
                p for p in manager.get_plugins()
                if type(p).__name__ == "Recorder"
            ]
            assert len(recorders) == 1
        """)
    result, document = record("-p", "xtask_outcomes_again")
    result.assert_outcomes(passed=1)
    assert [t["outcome"] for t in document["tests"]] == ["passed"]


@pytest.fixture(autouse=True)
def second_name(monkeypatch, tmp_path_factory):
    """`xtask_outcomes_again`: the same plugin importable under a second name."""
    folder = tmp_path_factory.mktemp("again")
    (folder / "xtask_outcomes_again.py").write_text(
        PLUGIN.read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(folder))
