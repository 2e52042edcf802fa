"""pytest plugin of `cargo xtask coverage`: trace only while it matters.

Coverage's tracer slows all Python code it watches, pytest's own included
(1.8x for a test suite on Python 3.11 even when it measures a single
module). The xtask knows which test files import, directly or not, a
modified module. This plugin measures the modified modules only while pytest
loads the initial conftest.py files, while it collects those test files (and
the folders that hold them, for their conftest.py), and while those test
files run; for everything else the tracer is off. One pytest process runs
the whole suite; under pytest-xdist each worker measures its own share.

The xtask writes a copy of this file, ending with a call of ``activate()``,
to a scratch folder and loads it with ``-p _xtask_coverage`` and these
variables:

``XTASK_COV_OUT``
    folder for the JSON report(s): ``<worker>.json``, ``main`` without xdist
``XTASK_COV_SOURCES``
    what to measure, one module name or folder per line
``XTASK_COV_TESTS``
    optional: a file listing the test files to measure (paths relative to
    the current folder, one per line); without it everything is measured

Without ``XTASK_COV_OUT`` the plugin does nothing. The host's own coverage
configuration (omit, exclude_lines, branch) applies, as with pytest-cov.
"""

import os

import pytest


def read_settings(environ):
    """The plugin's settings from the environment, or None when it is off."""
    out = environ.get("XTASK_COV_OUT")
    if not out:
        return None
    sources = [
        s for s in environ.get("XTASK_COV_SOURCES", "").splitlines() if s.strip()
    ]
    tests = None
    listing = environ.get("XTASK_COV_TESTS")
    if listing:
        with open(listing, encoding="utf-8") as handle:
            tests = {
                normalize(line) for line in handle.read().splitlines() if line.strip()
            }
    worker = environ.get("PYTEST_XDIST_WORKER", "main")
    return {"out": out, "sources": sources, "tests": tests, "worker": worker}


def normalize(path):
    """A path relative to the current folder, with ``/`` separators."""
    path = path.strip().replace(os.sep, "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def item_file(item, root):
    """The test file of a collected item, relative to ``root``."""
    path = getattr(item, "path", None) or item.fspath
    return normalize(os.path.relpath(str(path), root))


def wanted(item, tests, root):
    """Whether the item's test file is one to measure (all when ``tests`` is None)."""
    return tests is None or item_file(item, root) in tests


def wanted_collector(collector, tests, root):
    """Whether collecting this node can import a module to measure: a chosen
    test file, or a folder above one whose conftest.py loads then."""
    if tests is None:
        return True
    path = getattr(collector, "path", None)
    if path is None:
        return False
    rel = normalize(os.path.relpath(str(path), root))
    if rel in tests:
        return True
    prefix = "" if rel == "." else rel + "/"
    conftest = os.path.join(str(path), "conftest.py")
    return os.path.isfile(conftest) and any(t.startswith(prefix) for t in tests)


class Measure:  # pragma: no cover - runs inside the measured pytest process
    """One coverage measurement, switched on and off around pytest's phases."""

    def __init__(self, settings):
        import coverage

        self.settings = settings
        self.root = os.getcwd()
        data = os.path.join(settings["out"], ".coverage." + settings["worker"])
        self.cov = coverage.Coverage(data_file=data, source=settings["sources"] or None)
        # A module no test imports is reported as 0% by the xtask itself.
        self.cov.set_option(
            "run:disable_warnings", ["module-not-imported", "no-data-collected"]
        )
        self.tracing = False
        self.started = False

    def resume(self):
        if not self.tracing:
            self.cov.start()
            self.tracing = self.started = True

    def pause(self):
        # Measuring everything: never pause.
        if self.tracing and self.settings["tests"] is not None:
            self.cov.stop()
            self.tracing = False

    def finish(self):
        try:
            from coverage.exceptions import NoDataError
        except ImportError:  # coverage older than 6.3
            from coverage.misc import CoverageException as NoDataError

        if self.tracing:
            self.cov.stop()
            self.tracing = False
        if not self.started:
            return
        self.cov.save()
        report = os.path.join(self.settings["out"], self.settings["worker"] + ".json")
        try:
            self.cov.json_report(outfile=report)
        except NoDataError:
            pass  # nothing measured: no report, the xtask reads that as 0%


MEASURE = None


def activate(environ=None):
    """Start measuring when the xtask asked for it. The loaded copy calls this
    when pytest imports it, before any conftest.py, so code a conftest runs
    as it loads is measured (as pytest-cov does)."""
    global MEASURE
    settings = read_settings(os.environ if environ is None else environ)
    if settings is not None:  # pragma: no cover - only in the loaded copy
        MEASURE = Measure(settings)
    return MEASURE


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """The conftest.py files pytest loads before collecting may import a module."""
    if MEASURE is not None:  # pragma: no cover
        MEASURE.resume()
    yield
    if MEASURE is not None:  # pragma: no cover
        MEASURE.pause()


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Trace while a chosen test file (or a folder holding one) is collected."""
    chosen = MEASURE is not None and wanted_collector(
        collector, MEASURE.settings["tests"], MEASURE.root
    )
    if chosen:  # pragma: no cover
        MEASURE.resume()
    yield
    if chosen:  # pragma: no cover
        MEASURE.pause()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Trace the item's setup, call and teardown when its file is chosen.
    Starting and stopping coverage costs about a millisecond, so the tracer
    stays on while the next item is chosen too."""
    chosen = MEASURE is not None and wanted(
        item, MEASURE.settings["tests"], MEASURE.root
    )
    if chosen:  # pragma: no cover
        MEASURE.resume()
    yield
    if chosen and not (
        nextitem is not None
        and wanted(nextitem, MEASURE.settings["tests"], MEASURE.root)
    ):
        MEASURE.pause()  # pragma: no cover


def pytest_sessionfinish(session):
    """Write the JSON report."""
    if MEASURE is not None:  # pragma: no cover
        MEASURE.finish()
