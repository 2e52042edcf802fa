"""The spec gate's Python helper: compile code to code objects, never run them.

`cargo xtask` starts this script (built into its binary) once per gate run, or
once per core, with the interpreter of the repository, and talks JSON:

stdin:  {"version": 1, "feature_version": [3, 8] or null, "jobs": [JOB, ...]}
        JOB is {"path": "specs/active/x/prd.md", "code": "...", "first_line": 41}
        (a markdown block: `first_line` lines come before its code, and the
        lines reported are the markdown's) or
        {"path": "src/pkg/mod.py", "file": "/abs/src/pkg/mod.py"} (a source file,
        read and decoded the way Python imports it); a source-file job with
        "defs": true also lists the file's definitions (for `api-docs`).
stdout: {"results": [{"ok": true} or {"ok": false, "line": 43, "message": "..."}]}
        one result per job, in order; with "defs", an ok result carries
        "defs": [DEF, ...] (see `definitions`).

Compiling builds the code object and throws it away: nothing in a job is ever
executed, imported or written (no .pyc). `compile` catches what `ast.parse`
lets through (`return` outside a function, a late `from __future__` import,
`nonlocal` at module level); top-level `await` is allowed because snippets use
it. With `feature_version`, syntax newer than that Python is rejected too.
"""

import ast
import gc
import json
import os
import re
import stat
import sys
import warnings

PROTOCOL_VERSION = 1

# Some compiler messages name another line ("... after 'if' statement on line 3").
LINE_IN_MESSAGE = re.compile(r"\bon line (\d+)")

# ast.parse cannot emulate grammars older than this.
OLDEST_FEATURE_VERSION = (3, 7)


def nul_line(source, first_line):
    """The 1-based line of the first NUL character of `source`, or None."""
    nul = b"\0" if isinstance(source, bytes) else "\0"
    newline = b"\n" if isinstance(source, bytes) else "\n"
    at = source.find(nul)
    if at < 0:
        return None
    return first_line + source.count(newline, 0, at) + 1


def compile_source(source, path, first_line=0, feature_version=None):
    """Compile `source` (str, or bytes of a file) without running it.

    Returns None when it compiles, else (line or None, message). Lines count
    from the document's start: `first_line` lines come before the code. The
    result is what compiling "\\n" * first_line + source gives, without making
    the compiler read those blank lines again for every block of a long
    document (which would cost time quadratic in its length).
    """
    line = nul_line(source, first_line)
    if line is not None:
        return line, "source contains a NUL byte; it is binary, not Python text"
    try:
        compile(
            source,
            path,
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
        if feature_version is not None:
            check_feature_version(source, path, feature_version)
    except SyntaxError as err:  # also IndentationError and TabError
        at = None if err.lineno is None else err.lineno + first_line
        message = LINE_IN_MESSAGE.sub(
            lambda m: f"on line {int(m.group(1)) + first_line}", str(err.msg)
        )
        return at, f"{type(err).__name__}: {message}"
    except (RecursionError, MemoryError):
        return None, "too deeply nested for the compiler"
    except (ValueError, UnicodeError) as err:
        return None, f"{type(err).__name__}: {err}"
    return None


def check_feature_version(source, path, feature_version):
    """Raise SyntaxError when `source` needs a Python newer than `feature_version`."""
    wanted = tuple(feature_version)
    if wanted >= sys.version_info[:2]:
        return
    wanted = max(wanted, OLDEST_FEATURE_VERSION)
    try:
        ast.parse(source, path, feature_version=wanted)
    except SyntaxError as err:
        version = ".".join(str(part) for part in wanted)
        err.msg = (
            f"{err.msg} (the project supports Python {version}, see requires-python)"
        )
        raise


# The parameters' section in the three common docstring styles: Google
# (`Args:`), Sphinx (`:param name:`) and NumPy (`Parameters` over dashes).
ARGS_SECTION = re.compile(
    r"^\s*(?:(?:Args|Arguments):\s*$|:param\b|Parameters\s*\n\s*-{3,}\s*$)",
    re.MULTILINE,
)


def definitions(source, path):
    """Module-level functions, classes and their methods (nested too), in order.

    Each is {"qualname", "kind" (function, method or class), "line" (of the
    `def`/`class` keyword, not of a decorator), "docstring", "docstring_args"
    (a Google-style `Args:` section), "params" ([{"name", "annotated"}], a
    method's self/cls left out) and "returns_annotated"}. Bodies of functions
    are not entered: what is defined inside a function is not public API.
    """
    found = []

    def visit(body, prefix, in_class):
        for node in body:
            if isinstance(node, ast.ClassDef):
                found.append(
                    {
                        "qualname": prefix + node.name,
                        "kind": "class",
                        "line": node.lineno,
                        "docstring": ast.get_docstring(node) is not None,
                    }
                )
                visit(node.body, prefix + node.name + ".", True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(function(node, prefix, in_class))

    visit(ast.parse(source, path).body, "", False)
    return found


def function(node, prefix, in_class):
    """The description of one function or method (see `definitions`)."""
    args = node.args
    params = list(args.posonlyargs) + list(args.args)
    decorators = {
        getattr(d, "id", getattr(d, "attr", None)) for d in node.decorator_list
    }
    if in_class and params and "staticmethod" not in decorators:
        params = params[1:]  # self, or cls for a classmethod
    params += list(args.kwonlyargs)
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    docstring = ast.get_docstring(node)
    return {
        "qualname": prefix + node.name,
        "kind": "method" if in_class else "function",
        "line": node.lineno,
        "docstring": docstring is not None,
        "docstring_args": bool(docstring and ARGS_SECTION.search(docstring)),
        "params": [
            {"name": a.arg, "annotated": a.annotation is not None} for a in params
        ],
        "returns_annotated": node.returns is not None,
    }


def run_job(job, feature_version):
    """The result of one job, as the JSON answer holds it."""
    path = job.get("path", "<snippet>")
    if "file" in job:
        try:
            # Opening a FIFO (say, through a link named like a module) would
            # wait for a writer forever: only regular files are read.
            if not stat.S_ISREG(os.stat(job["file"]).st_mode):
                return {
                    "ok": False,
                    "line": None,
                    "message": "cannot read: not a regular file",
                }
            with open(job["file"], "rb") as handle:
                source = handle.read()
        except OSError as err:
            return {
                "ok": False,
                "line": None,
                "message": f"cannot read: {err.strerror}",
            }
        first_line = 0
    else:
        source = job.get("code", "")
        first_line = int(job.get("first_line", 0))
    problem = compile_source(source, path, first_line, feature_version)
    if problem is None:
        if job.get("defs"):
            return {"ok": True, "defs": definitions(source, path)}
        return {"ok": True}
    line, message = problem
    return {"ok": False, "line": line, "message": message}


def answer(request):
    """The JSON answer to one request."""
    version = request.get("version", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise ValueError(f"protocol version {version} is not {PROTOCOL_VERSION}")
    feature_version = request.get("feature_version")
    # Code objects are dropped at once: the cycle collector only costs time.
    gc.disable()
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like warn; they are not errors.
            warnings.simplefilter("ignore")
            results = [run_job(job, feature_version) for job in request["jobs"]]
    finally:
        gc.enable()
    return {"results": results}


def main(stdin=None, stdout=None):
    """Read one request from stdin, write one answer to stdout."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    request = json.load(stdin)
    json.dump(answer(request), stdout)
    stdout.write("\n")
    stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a script by the gate
    sys.exit(main())
