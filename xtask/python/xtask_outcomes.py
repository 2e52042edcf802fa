"""pytest plugin of the spec gate: what happened to each test, and where it is.

`cargo xtask` loads a copy of this file into every pytest process it starts
(``-p _xtask_outcomes`` from a scratch folder on ``PYTHONPATH``), so the gate
can tell which test proves which acceptance criterion without running the
suite a second time. The copy records, in the process that controls the
session (never in a pytest-xdist worker: the controller receives the
workers' reports), each test's node id, outcome, file and 1-based line, and
writes one JSON document when the session ends.

Two environment variables drive it:

``XTASK_OUTCOMES_OUT``
    the file to write; without it the plugin does nothing
``XTASK_OUTCOMES_ROOT``
    the repository root; node ids and files are written relative to it,
    whatever pytest's rootdir is (default: the current folder)

The document::

    {"version": 1,
     "tests": [{"nodeid": "tests/unit/test_a.py::test_b[1]",
                "outcome": "passed", "file": "tests/unit/test_a.py", "line": 12}],
     "collect": [{"nodeid": "tests/unit/test_c.py", "outcome": "error",
                  "message": "ModuleNotFoundError: No module named 'x'"}]}

An outcome is ``passed``, ``failed``, ``error`` (setup or teardown failed),
``skipped``, ``xfailed``, ``xpassed`` or ``not run`` (collected, never
reported: the session stopped early). A test's outcome is the worst of its
phases. ``collect`` lists the modules that failed to import (``error``) or
were skipped at collection (``skipped``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any, Dict, Iterable, Mapping, Optional

import pytest

VERSION = 1
NOT_RUN = "not run"
PLUGIN_NAME = "xtask-outcomes-recorder"
MESSAGE_LIMIT = 200

# How bad an outcome is; the worst phase of a test decides its outcome, so a
# failure is never hidden by a later passing report.
RANK = {
    NOT_RUN: -1,
    "passed": 0,
    "skipped": 1,
    "xfailed": 1,
    "xpassed": 2,
    "error": 3,
    "failed": 4,
}


def read_settings(environ: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """The recorder's settings, or None when the kit did not ask for it.

    Args:
        environ: the process environment (or a test's stand-in).

    Returns:
        ``{"out": file to write, "root": repository root}``, or None.
    """
    out = environ.get("XTASK_OUTCOMES_OUT")
    if not out:
        return None
    return {"out": out, "root": environ.get("XTASK_OUTCOMES_ROOT") or os.getcwd()}


def relative(path: str, rootdir: str, root: str) -> str:
    """A path pytest gave relative to its rootdir, made relative to the root.

    Args:
        path: relative to ``rootdir`` (or absolute).
        rootdir: pytest's rootdir.
        root: the repository root.

    Returns:
        The path from ``root``, with ``/`` separators.
    """
    full = os.path.normpath(os.path.join(rootdir, path))
    return os.path.relpath(full, root).replace(os.sep, "/")


def node_id(nodeid: str, rootdir: str, root: str) -> str:
    """A pytest node id with its file part relative to the repository root.

    The file part ends at the first ``::`` (a path never holds one; the
    parameters of a test may), and the rest is kept as pytest wrote it.

    Args:
        nodeid: the id pytest reports, relative to its rootdir.
        rootdir: pytest's rootdir.
        root: the repository root.

    Returns:
        The id from the repository root, e.g. ``tests/unit/test_a.py::test_b``.
    """
    path, sep, rest = nodeid.partition("::")
    if not path:
        return nodeid
    return relative(path, rootdir, root) + sep + rest


def outcome_of(report: Any) -> Optional[str]:
    """What one phase report says about its test; None when it says nothing.

    Args:
        report: a pytest ``TestReport`` (setup, call or teardown).

    Returns:
        One of the outcomes of the module docstring, or None (a passing
        setup or teardown, or an outcome another plugin invented).
    """
    when = getattr(report, "when", None)
    outcome = getattr(report, "outcome", None)
    expected_to_fail = hasattr(report, "wasxfail")
    if outcome == "failed":
        return "failed" if when == "call" else "error"
    if outcome == "skipped":
        return "xfailed" if expected_to_fail else "skipped"
    if outcome == "passed" and when == "call":
        return "xpassed" if expected_to_fail else "passed"
    return None


def worse(old: str, new: Optional[str]) -> str:
    """The worse of two outcomes of one test.

    Args:
        old: the outcome recorded so far.
        new: the outcome of a later report, or None.

    Returns:
        ``new`` when it ranks above ``old``, else ``old``.
    """
    if new is None or RANK.get(new, 0) <= RANK.get(old, 0):
        return old
    return new


def reason(report: Any) -> str:
    """Why a collector failed or was skipped, in one short line.

    Args:
        report: a pytest ``CollectReport`` that did not pass.

    Returns:
        The exception pytest shows on its last ``E`` line, the skip reason,
        or the first line of the report; at most 200 characters.
    """
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        lines = str(longrepr or "").splitlines()
        errors = [line[1:].strip() for line in lines if line.startswith("E ")]
        text = errors[-1] if errors else next((x for x in lines if x.strip()), "")
    text = text.strip()
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 3] + "..."
    return text


class Recorder:
    """The outcomes of one pytest session, kept in its controlling process."""

    def __init__(self, out: str, root: str, rootdir: str) -> None:
        """Start an empty record.

        Args:
            out: the file to write at the end of the session.
            root: the repository root.
            rootdir: pytest's rootdir, which node ids are relative to.
        """
        self.out = out
        self.root = root
        self.rootdir = rootdir
        self.tests: Dict[str, Dict[str, Any]] = {}
        self.collect: Dict[str, Dict[str, str]] = {}
        # Each test reports three phases: its entry is found once per phase
        # through this cache, without recomputing paths.
        self._entries: Dict[str, Dict[str, Any]] = {}

    def _entry(self, nodeid: str) -> Dict[str, Any]:
        entry = self._entries.get(nodeid)
        if entry is None:
            key = node_id(nodeid, self.rootdir, self.root)
            entry = self.tests.setdefault(
                key, {"outcome": NOT_RUN, "file": None, "line": None}
            )
            self._entries[nodeid] = entry
        return entry

    def _locate(self, entry: Dict[str, Any], location: Any) -> None:
        if not location or entry["file"] is not None:
            return
        path, line = location[0], location[1]
        entry["file"] = relative(str(path), self.rootdir, self.root)
        entry["line"] = line + 1 if isinstance(line, int) else None

    def collected(self, nodeids: Iterable[str]) -> None:
        """Note tests as collected; those never reported stay ``not run``.

        Args:
            nodeids: node ids as pytest reports them.
        """
        for nodeid in nodeids:
            self._entry(nodeid)

    def pytest_collection_finish(self, session: Any) -> None:
        """The tests this process collected, after deselection.

        Args:
            session: the pytest session.
        """
        for item in session.items:
            self._locate(self._entry(item.nodeid), getattr(item, "location", None))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Any) -> None:
        """Under pytest-xdist: the tests a worker collected.

        Args:
            node: the worker.
            ids: the node ids it collected.
        """
        self.collected(ids)

    def pytest_runtest_logreport(self, report: Any) -> None:
        """One phase of one test: keep the worst outcome, its file and line.

        Args:
            report: the phase's ``TestReport`` (a worker's, under xdist).
        """
        entry = self._entry(report.nodeid)
        self._locate(entry, getattr(report, "location", None))
        entry["outcome"] = worse(entry["outcome"], outcome_of(report))

    def pytest_collectreport(self, report: Any) -> None:
        """Keep the modules that failed to import or were skipped.

        Args:
            report: a collector's ``CollectReport``.
        """
        if not report.nodeid or report.outcome not in ("failed", "skipped"):
            return
        key = node_id(report.nodeid, self.rootdir, self.root)
        outcome = "error" if report.outcome == "failed" else "skipped"
        self.collect[key] = {"outcome": outcome, "message": reason(report)}

    def document(self) -> Dict[str, Any]:
        """The JSON document the kit reads.

        Returns:
            ``{"version", "tests", "collect"}``, entries sorted by node id.
        """
        tests = [{"nodeid": k, **self.tests[k]} for k in sorted(self.tests)]
        collect = [{"nodeid": k, **self.collect[k]} for k in sorted(self.collect)]
        return {"version": VERSION, "tests": tests, "collect": collect}

    def write(self) -> bool:
        """Write the document whole: a temporary file, then a rename.

        A failure is reported on stderr and never changes the session's
        outcome.

        Returns:
            Whether the file was written.
        """
        folder = os.path.dirname(os.path.abspath(self.out))
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=".outcomes-", suffix=".tmp", dir=folder
            )
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(self.document(), stream)
            os.replace(temporary, self.out)
            return True
        except OSError as err:
            sys.stderr.write(f"xtask outcomes: not written to {self.out}: {err}\n")
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)
            return False

    def pytest_sessionfinish(self, session: Any) -> None:
        """Write the document when the session ends.

        Args:
            session: the pytest session.
        """
        self.write()


def pytest_configure(config: Any) -> None:
    """Register a recorder for this session when the kit asked for one.

    Nothing happens without ``XTASK_OUTCOMES_OUT``, in an xdist worker (its
    reports reach the controller), or when a recorder is already registered.

    Args:
        config: the pytest config of the session.
    """
    settings = read_settings(os.environ)
    if settings is None or hasattr(config, "workerinput"):
        return
    if config.pluginmanager.get_plugin(PLUGIN_NAME) is not None:
        return
    rootdir = str(getattr(config, "rootpath", None) or config.rootdir)
    recorder = Recorder(settings["out"], settings["root"], rootdir)
    config.pluginmanager.register(recorder, PLUGIN_NAME)
