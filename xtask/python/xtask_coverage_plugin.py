"""pytest plugin of `cargo xtask coverage`: measure the modified modules at
the lowest cost that gives coverage.py's own figures.

Coverage.py's classic tracer (``sys.settrace``) slows every Python call the
suite makes, pytest's own included, even when it records a single module:
1.5-1.8x on real suites with Python 3.11. Two measurers cost next to nothing
because they touch only the measured files' code:

``sysmon``
    coverage.py's ``sys.monitoring`` core (Python 3.12+; with branches only
    from 3.14, where the interpreter reports them).
``slipcover``
    slipcover's bytecode probes in the measured files only (any Python it
    supports; line coverage). Slipcover only says which lines ran: the
    figures (statements, exclusions, percentages) come from coverage.py's
    analysis of those lines under the project's configuration.

Otherwise coverage.py's default core (``ctrace``) measures. In every case
the figures are what ``coverage report`` prints for the file under the
project's own settings (``[tool.coverage.*]``, .coveragerc, setup.cfg,
tox.ini: omit, exclude_lines, branch, ...); the xtask only narrows what is
measured to the modified files.

The xtask writes a copy of this file, ending with a call of ``activate()``,
to a scratch folder and loads it with ``-p _xtask_coverage`` and these
variables:

``XTASK_COV_OUT``
    folder for the JSON report(s): ``<worker>.json``, ``main`` without xdist
``XTASK_COV_FILES``
    the files to measure, one path per line (relative to the current folder
    or absolute)
``XTASK_COV_CORE``
    optional: ``sysmon``, ``slipcover``, ``ctrace`` or ``pytrace`` instead
    of the automatic choice

Measuring starts when pytest loads the plugin, before any conftest.py (as
pytest-cov does), and every test runs measured: the figures are those of
the whole suite. Without ``XTASK_COV_OUT`` the plugin does nothing.

Each report is JSON: per measured file, the statements, excluded lines,
missing statements, branch count and missing branches of coverage.py's own
analysis (what ``coverage report`` counts), never the raw ``executed_lines``
of its JSON report, which before coverage 7.13.1 also lists executed
docstrings and excluded lines; and an ``xtask`` object: the core that
measured, whether branches count, and the files the project's settings
leave out. Reports of xdist workers merge exactly: a statement or branch is
missing when every worker missed it.
"""

import json
import os
import sys


def read_settings(environ):
    """The plugin's settings from the environment, or None when it is off."""
    out = environ.get("XTASK_COV_OUT")
    if not out:
        return None
    files = [
        os.path.abspath(f.strip())
        for f in environ.get("XTASK_COV_FILES", "").splitlines()
        if f.strip()
    ]
    worker = environ.get("PYTEST_XDIST_WORKER", "main")
    core = environ.get("XTASK_COV_CORE", "").strip() or None
    return {"out": out, "files": files, "worker": worker, "core": core}


def normalize(path):
    """A path relative to the current folder, with ``/`` separators."""
    path = path.strip().replace(os.sep, "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def choose_core(requested, version, branch, plugins, slipcover, preloaded):
    """The measurer: ``requested`` when given; else coverage.py's
    ``sys.monitoring`` core where it measures what the project asks for,
    slipcover for line coverage where it is installed (and no measured file
    was imported before it could put its probes in), else coverage.py's
    default core. File-tracer plugins need coverage.py's tracer."""
    if requested:
        return requested
    if plugins:
        return "ctrace"
    if version >= (3, 12) and (not branch or version >= (3, 14)):
        return "sysmon"
    if not branch and slipcover and not preloaded:
        return "slipcover"
    return "ctrace"


def left_out(path, config, find_spec=None):
    """Why the project's coverage settings leave ``path`` out of its report
    (``run``/``report`` omit and include, ``run`` source), or None."""
    from coverage.files import prep_patterns

    try:
        from coverage.files import GlobMatcher as Matcher
    except ImportError:  # coverage before 7.0
        from coverage.files import FnmatchMatcher as Matcher

    path = os.path.realpath(path)
    for key in ("run_omit", "report_omit"):
        patterns = getattr(config, key, None) or []
        if patterns and Matcher(prep_patterns(patterns)).match(path):
            return "omit"
    for key in ("run_include", "report_include"):
        patterns = getattr(config, key, None) or []
        if patterns and not Matcher(prep_patterns(patterns)).match(path):
            return "include"
    sources = list(getattr(config, "source", None) or [])
    sources += list(getattr(config, "source_pkgs", None) or [])
    if sources and not any(under_source(path, s, find_spec) for s in sources):
        return "source"
    return None


def under_source(path, source, find_spec=None):
    """Whether ``path`` is under a ``source`` entry: a folder, else a package
    or module name (the way coverage.py tells them apart)."""
    if os.path.isdir(source):
        root = os.path.realpath(source)
    else:
        if find_spec is None:
            import importlib.util

            find_spec = importlib.util.find_spec
        try:
            spec = find_spec(source)
        except (ImportError, ValueError):
            spec = None
        origin = getattr(spec, "origin", None)
        if not origin:
            return False
        origin = os.path.realpath(origin)
        if os.path.basename(origin) != "__init__.py":
            return path == origin
        root = os.path.dirname(origin)
    return path == root or path.startswith(root + os.sep)


def set_core(cov: "coverage.Coverage", core: str) -> None:
    """Ask coverage.py for ``core``. Before coverage 7.9 it has no ``core``
    setting: ``timid`` asks for its Python tracer, and otherwise its default
    core measures (the report names the core that really ran).

    Args:
        cov: the measurement, not started yet.
        core: ``sysmon``, ``ctrace`` or ``pytrace``.
    """
    try:
        cov.set_option("run:core", core)
    except Exception:  # "No such option"; its class changed across versions
        if core == "pytrace":
            cov.set_option("run:timid", True)


class FilesOnly:  # pragma: no cover - runs inside the measured pytest process
    """Slipcover's file matcher: exactly the measured files."""

    def __init__(self, files):
        self.files = {os.path.realpath(f) for f in files}

    def matches(self, filename):
        return filename is not None and os.path.realpath(str(filename)) in self.files


class Measure:  # pragma: no cover - runs inside the measured pytest process
    """One measurement of the modified modules by the chosen core."""

    def __init__(self, settings):
        import coverage

        self.settings = settings
        self.root = os.getcwd()
        data = os.path.join(settings["out"], ".coverage." + settings["worker"])
        # The project's own configuration file, as `coverage report` reads it.
        self.cov = coverage.Coverage(data_file=data, config_file=True)
        config = self.cov.config
        self.left_out = {}
        measured = []
        for path in settings["files"]:
            reason = left_out(path, config)
            if reason:
                self.left_out[path] = reason
            else:
                measured.append(path)
        self.cov.set_option("run:source", None)
        if hasattr(config, "source_pkgs"):  # coverage 5.3 and later
            self.cov.set_option("run:source_pkgs", [])
        self.cov.set_option("run:include", measured or ["<nothing>"])
        # Contexts would force the slow core and change nothing we report.
        self.cov.set_option("run:dynamic_context", None)
        self.cov.set_option("run:parallel", False)
        # A module no test imports is reported as 0% by the xtask itself.
        self.cov.set_option(
            "run:disable_warnings",
            list(config.disable_warnings or [])
            + [
                "module-not-imported",
                "no-data-collected",
                "module-not-measured",
                "include-ignored",
                "no-sysmon",
            ],
        )
        self.branch = bool(config.branch)
        try:
            import slipcover  # noqa: F401

            has_slipcover = True
        except ImportError:
            has_slipcover = False
        real = {os.path.realpath(p) for p in measured}
        preloaded = any(
            os.path.realpath(getattr(m, "__file__", None) or "") in real
            for m in list(sys.modules.values())
        )
        self.core = choose_core(
            settings["core"],
            sys.version_info[:2],
            self.branch,
            bool(config.plugins),
            has_slipcover and bool(measured),
            preloaded,
        )
        self.slipcover = None
        if self.core == "slipcover":
            try:
                self.start_slipcover(measured)
            except Exception:  # a slipcover that does not fit this pytest
                self.slipcover = None
                self.core = "ctrace"
        if self.core in ("sysmon", "ctrace", "pytrace"):
            set_core(self.cov, self.core)
        self.started = False

    def start_slipcover(self, measured):
        import slipcover

        matcher = FilesOnly(measured)
        self.slipcover = slipcover.Slipcover()
        slipcover.wrap_pytest(self.slipcover, matcher)
        slipcover.wrap_spec_from_file_location(self.slipcover, matcher)
        self.imports = slipcover.ImportManager(self.slipcover, matcher)
        self.imports.__enter__()

    def start(self):
        if self.slipcover is None:
            self.cov.start()
            self.started = True

    def finish(self):
        if self.started:
            self.cov.stop()
        if self.slipcover is not None:
            self.imports.__exit__(None, None, None)
            self.slipcover.get_coverage()
            lines = {}
            for path, seen in self.slipcover.all_seen.items():
                executed = {n for n in seen if isinstance(n, int) and n > 0}
                if executed:
                    lines[os.path.realpath(path)] = executed
            data = self.cov.get_data()
            data.add_lines(lines)
            self.started = bool(lines)
        used = self.core
        collector = getattr(self.cov, "_collector", None)
        if collector is not None and self.started and self.slipcover is None:
            # What coverage.py really ran (it falls back when it must).
            name = collector.tracer_name()
            used = {
                "SysMonitor": "sysmon",
                "CTracer": "ctrace",
                "PyTracer": "pytrace",
            }.get(name, name)
        files = {}
        if self.started:
            self.cov.save()
            files = measured_figures(self.cov)
        import coverage

        doc = {
            "meta": {"coverage": coverage.__version__},
            "files": files,
            "xtask": {
                "core": used,
                "branch": self.branch,
                "left_out": {
                    normalize(os.path.relpath(p, self.root)): why
                    for p, why in self.left_out.items()
                },
            },
        }
        report = os.path.join(self.settings["out"], self.settings["worker"] + ".json")
        with open(report, "w", encoding="utf-8") as handle:
            json.dump(doc, handle)


def measured_figures(cov: "coverage.Coverage") -> dict:
    """Every measured file's figures, keyed the way coverage.py's reports
    name files (relative to the current folder when under it).

    Args:
        cov: the measurement, stopped, with its data.

    Returns:
        File key -> the figures of :func:`figures`.
    """
    from coverage.files import relative_filename

    data = cov.get_data()
    branch = bool(data.has_arcs())
    out = {}
    for path in sorted(data.measured_files()):
        try:
            entry = figures(cov, path, branch)
        except Exception:  # gone or not Python: `coverage report` fails on it too
            continue
        out[normalize(relative_filename(path))] = entry
    return out


def figures(cov: "coverage.Coverage", path: str, branch: bool) -> dict:
    """What ``coverage report`` counts for one file: its statements (excluded
    lines are none), excluded lines, missing statements, and with branches
    the number of branches and the missing ones (coverage.py's
    ``Analysis``: a branch of a ``# pragma: no branch`` line is never
    missing), with the summary those sets give.

    Args:
        cov: the measurement, stopped, with its data.
        path: the measured file, as coverage.py's data names it.
        branch: whether the data holds branches (arcs).

    Returns:
        ``statements``, ``excluded_lines``, ``missing_lines``,
        ``num_branches``, ``missing_branches`` and ``summary``.
    """
    _, statements, excluded, missing, _ = cov.analysis2(path)
    statements, missing = sorted(set(statements)), sorted(set(missing))
    branches, missing_branches = 0, []
    if branch:
        analysis = cov._analyze(path)
        branches = analysis.numbers.n_branches
        missing_branches = sorted(
            [start, end]
            for start, ends in analysis.missing_branch_arcs().items()
            for end in set(ends)
        )
    return {
        "statements": statements,
        "excluded_lines": sorted(set(excluded)),
        "missing_lines": missing,
        "num_branches": branches,
        "missing_branches": missing_branches,
        "summary": summary(
            len(statements), len(missing), branches, len(missing_branches), branch
        ),
    }


def summary(
    statements: int, missing: int, branches: int, missing_branches: int, branch: bool
) -> dict:
    """coverage.py's figures from the counts: (covered statements + covered
    branches) / (statements + branches), 100 when there is nothing to run;
    branch figures only when branches are measured, as in its JSON report.

    Args:
        statements: how many statements the file has.
        missing: how many of them no test ran.
        branches: how many branches it has (0 without branch coverage).
        missing_branches: how many of them no test took.
        branch: whether branches are measured.

    Returns:
        The summary fields of coverage.py's JSON report of a file.
    """
    covered = statements - missing
    covered_branches = branches - missing_branches
    total = statements + branches
    out = {
        "num_statements": statements,
        "covered_lines": covered,
        "percent_covered": (
            100.0 * (covered + covered_branches) / total if total else 100.0
        ),
    }
    if branch:
        out.update(num_branches=branches, covered_branches=covered_branches)
    return out


MEASURE = None


def activate(environ=None):
    """Start measuring when the xtask asked for it. The loaded copy calls this
    when pytest imports it, before any conftest.py, so code a conftest runs
    as it loads is measured (as pytest-cov does)."""
    global MEASURE
    settings = read_settings(os.environ if environ is None else environ)
    if settings is not None:  # pragma: no cover - only in the loaded copy
        MEASURE = Measure(settings)
        MEASURE.start()
    return MEASURE


def pytest_sessionfinish(session):
    """Write the JSON report."""
    if MEASURE is not None:  # pragma: no cover
        MEASURE.finish()
