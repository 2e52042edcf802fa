"""Tests of the spec gate's Python helper: it compiles, reports markdown lines,
and never runs what it compiles."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parent.parent / "spec_gate_helper.py"
sys.path.insert(0, str(HELPER.parent))

import spec_gate_helper as helper  # noqa: E402


def compile_code(code, first_line=0, feature_version=None):
    return helper.compile_source(code, "doc.md", first_line, feature_version)


def test_valid_code_compiles():
    assert compile_code("x = 1\nprint(x)\n") is None


def test_top_level_await_is_allowed():
    assert compile_code("import asyncio\nawait asyncio.sleep(0)\n") is None


@pytest.mark.parametrize(
    "code, line, words",
    [
        ("def f():\n    pass\nreturn 1\n", 3, "'return' outside function"),
        ("for x in y:\n    pass\nbreak\n", 3, "'break' outside loop"),
        ("import os\nfrom __future__ import annotations\n", 2, "from __future__"),
        ("nonlocal x\n", 1, "nonlocal"),
        ("def f(:\n", 1, "SyntaxError"),
        ("if x:\npass\n", 2, "IndentationError"),
    ],
)
def test_what_only_the_compiler_rejects(code, line, words):
    got_line, message = compile_code(code)
    assert got_line == line
    assert words in message


def test_errors_carry_markdown_lines():
    assert compile_code("x = 1\ny = (\n", first_line=40)[0] in (42, 43)
    assert compile_code("return 1\n", first_line=9) == (
        10,
        "SyntaxError: 'return' outside function",
    )


def test_blank_lines_before_a_future_import_are_fine():
    assert compile_code("from __future__ import annotations\n", first_line=30) is None


def test_nul_bytes_are_reported_at_their_line():
    assert compile_code("a = 1\nb = '\0'\n", first_line=5) == (
        7,
        "source contains a NUL byte; it is binary, not Python text",
    )
    assert helper.compile_source(b"x = 1\n\0", "f.py")[0] == 2


def test_undecodable_files_are_syntax_errors():
    line, message = helper.compile_source(b"x = '\xff\xfe'\n", "f.py")
    assert line == 1
    assert "SyntaxError" in message


def test_too_deep_nesting_is_reported_not_raised():
    line, message = compile_code("-" * 200000 + "1\n")
    assert message


def test_compiler_value_errors_are_reported(monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("refused")

    monkeypatch.setattr(helper, "compile", refuse, raising=False)
    assert compile_code("x = 1\n") == (None, "ValueError: refused")


def test_feature_version_rejects_newer_syntax():
    code = "match x:\n    case 1:\n        pass\n"
    assert compile_code(code) is None
    line, message = compile_code(code, feature_version=[3, 8])
    assert "3.8" in message and "requires-python" in message
    # Asking for this interpreter's own version or newer checks nothing more.
    assert compile_code(code, feature_version=list(sys.version_info[:2])) is None
    # Older than ast can emulate: the oldest it can is used.
    assert compile_code("x = 1\n", feature_version=[3, 0]) is None


def test_nothing_is_executed(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('ran')\nimport os\nos._exit(3)\n"
    assert compile_code(code) is None
    assert not marker.exists()


def test_run_job_reads_files_and_reports_unreadable_ones(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("x = 1\n")
    bad = tmp_path / "bad.py"
    bad.write_text("x = (\n")
    assert helper.run_job({"path": "good.py", "file": str(good)}, None) == {"ok": True}
    result = helper.run_job({"path": "bad.py", "file": str(bad)}, None)
    assert result["ok"] is False and result["line"] == 1
    missing = helper.run_job({"path": "m.py", "file": str(tmp_path / "m.py")}, None)
    assert missing["ok"] is False and "cannot read" in missing["message"]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    linked = tmp_path / "linked.py"
    linked.symlink_to(fifo)
    special = helper.run_job({"path": "linked.py", "file": str(linked)}, None)
    assert special == {
        "ok": False,
        "line": None,
        "message": "cannot read: not a regular file",
    }


def test_answer_keeps_job_order_and_checks_the_protocol():
    request = {
        "version": 1,
        "feature_version": None,
        "jobs": [
            {"path": "a.md", "code": "x = 1\n", "first_line": 3},
            {"path": "a.md", "code": "return\n", "first_line": 7},
        ],
    }
    answer = helper.answer(request)
    assert answer == {
        "results": [
            {"ok": True},
            {
                "ok": False,
                "line": 8,
                "message": "SyntaxError: 'return' outside function",
            },
        ]
    }
    with pytest.raises(ValueError):
        helper.answer({"version": 99, "jobs": []})


def test_main_reads_stdin_and_writes_stdout():
    request = {"jobs": [{"path": "a.md", "code": "await x\n", "first_line": 0}]}
    stdin = io.BytesIO(json.dumps(request).encode())
    stdout = io.StringIO()
    assert helper.main(stdin, stdout) == 0
    assert json.loads(stdout.getvalue()) == {"results": [{"ok": True}]}


def test_runs_as_the_gate_runs_it(tmp_path):
    """`python -I -S -B -c SOURCE` with JSON on stdin, as cargo xtask does."""
    request = {
        "version": 1,
        "jobs": [{"path": "a.md", "code": "x = (", "first_line": 1}],
    }
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", HELPER.read_text()],
        input=json.dumps(request).encode(),
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    result = json.loads(done.stdout)["results"][0]
    assert result["ok"] is False and result["line"] == 2
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "code",
    [
        "return 1\n",
        "x = (\n",
        "import os\nfrom __future__ import annotations\n",
        "def f():\n  x = 1\n    y = 2\n",
        "nonlocal x\n",
        "class A:\n",
        "if x:\n    y = (1,\n         2]\n",
    ],
)
def test_lines_are_those_of_the_padded_source(code):
    """Shifting the compiler's lines equals compiling with blank lines before,
    in the line reported and in lines named by the message."""
    try:
        compile("\n" * 57 + code, "doc.md", "exec", dont_inherit=True)
    except SyntaxError as err:
        padded = (err.lineno, f"{type(err).__name__}: {err.msg}")
    assert compile_code(code, first_line=57) == padded


def test_warnings_are_not_errors_and_stay_quiet(recwarn):
    request = {"jobs": [{"path": "a.md", "code": "x = '\\d'\n", "first_line": 0}]}
    assert helper.answer(request) == {"results": [{"ok": True}]}
    assert len(recwarn) == 0


DEFS_SOURCE = '''
import functools


def documented(path: str, *, retries: int = 3) -> bool:
    """Load a file.

    Args:
        path: where it is.
        retries: how often to try.
    """
    return True


@functools.cache
def bare(x, *rest, **options):
    def inner(y):
        return y

    return inner


class Store:
    """A store."""

    def put(self, row: dict) -> None:
        """Put one row."""

    @classmethod
    def make(cls) -> "Store":
        """Make one."""
        return cls()

    @staticmethod
    def check(value: int) -> bool:
        return value > 0

    class Inner:
        pass
'''


def test_definitions_describe_public_api():
    defs = {d["qualname"]: d for d in helper.definitions(DEFS_SOURCE, "m.py")}
    assert list(defs) == [
        "documented",
        "bare",
        "Store",
        "Store.put",
        "Store.make",
        "Store.check",
        "Store.Inner",
    ]
    assert defs["documented"]["line"] == 5
    assert defs["documented"]["docstring_args"] is True
    assert defs["documented"]["params"] == [
        {"name": "path", "annotated": True},
        {"name": "retries", "annotated": True},
    ]
    bare = defs["bare"]
    assert bare["line"] == 16  # the def line, not the decorator's
    assert bare["docstring"] is False and bare["returns_annotated"] is False
    assert [p["name"] for p in bare["params"]] == ["x", "rest", "options"]
    assert defs["Store"]["kind"] == "class" and defs["Store"]["docstring"] is True
    assert defs["Store.put"]["kind"] == "method"
    assert defs["Store.put"]["params"] == [{"name": "row", "annotated": True}]
    assert defs["Store.put"]["docstring_args"] is False
    assert defs["Store.make"]["params"] == []
    assert defs["Store.check"]["params"] == [{"name": "value", "annotated": True}]
    assert defs["Store.Inner"]["docstring"] is False


STYLES_SOURCE = '''
def google(x: int) -> int:
    """Google style.

    Args:
        x: a number.
    """
    return x


def sphinx(x: int) -> int:
    """Sphinx style.

    :param x: a number.
    :return: the same number.
    """
    return x


def numpy(x: int) -> int:
    """NumPy style.

    Parameters
    ----------
    x : int
        a number.
    """
    return x


def prose(x: int) -> int:
    """Mentions the parameters in prose only."""
    return x
'''


def test_parameters_sections_of_three_docstring_styles():
    defs = {d["qualname"]: d for d in helper.definitions(STYLES_SOURCE, "m.py")}
    assert [defs[n]["docstring_args"] for n in ("google", "sphinx", "numpy")] == [
        True,
        True,
        True,
    ]
    assert defs["prose"]["docstring_args"] is False


def test_defs_jobs_list_definitions_only_when_asked(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f(x):\n    return x\n", encoding="utf-8")
    plain = helper.run_job({"path": "m.py", "file": str(source)}, None)
    assert plain == {"ok": True}
    asked = helper.run_job({"path": "m.py", "file": str(source), "defs": True}, None)
    assert asked["ok"] is True
    assert asked["defs"][0]["qualname"] == "f"
    broken = tmp_path / "b.py"
    broken.write_text("def f(:\n", encoding="utf-8")
    failed = helper.run_job({"path": "b.py", "file": str(broken), "defs": True}, None)
    assert failed["ok"] is False and "defs" not in failed
