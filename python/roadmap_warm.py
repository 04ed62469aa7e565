"""A verifier process started before its run: the warm path of `roadmap watch` (src/verify/warm.ts).

    python -s -m roadmap_warm <learner module>... -- <test file>...

It imports pytest and the modules the exercise's test files import (fastapi, sqlalchemy, httpx, ...), leaving
out the learner's own modules, then waits. Its run arrives as one JSON line on stdin:

    {"cwd": "<stage folder>", "env": {"ROADMAP_...": "..."}, "args": [<pytest's arguments>]}

and it runs pytest exactly as `python -s -m pytest <args>` would, with the same plugins (the judge,
python/roadmap_judge.py, is imported only now, so the run's token reaches it as in a cold run). One process
serves one run: nothing the learner's code leaves behind reaches the next run. Without a run (roadmap went away
or changed exercise: stdin ends), it exits.

It forks nothing and starts no thread, so no fork-safety question arises (BLAS pools, locks held by threads):
every exercise can use it.
"""
import ast
import importlib
import json
import os
import sys


def imported_modules(test_files):
    """Every module a test file imports at its top level, as written (`fastapi.testclient`, `sqlalchemy`)."""
    names = []
    for path in test_files:
        try:
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read(), path)
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
    return names


def preload(learner_modules, test_files):
    import pytest  # noqa: F401  (the bulk of a cold start)
    from _pytest.config import default_plugins

    # pytest imports its built-in plugins while it configures: do it now (each is only a module import).
    for name in default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except Exception:
            pass

    for name in imported_modules(test_files):
        if name.split(".")[0] in learner_modules or name in ("roadmap_judge", "roadmap_pytest"):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a missing package is reported by the run itself, as in a cold run
            pass


def main(argv):
    split = argv.index("--") if "--" in argv else len(argv)
    preload(set(argv[:split]), argv[split + 1:])
    line = sys.stdin.readline()
    if not line:
        return 0
    request = json.loads(line)
    # stdin was roadmap's request pipe; a cold run has none (tests reading stdin get end-of-file).
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.update(request["env"])
    # As `python -m pytest` started in that folder: it comes first on sys.path.
    sys.path[0] = request["cwd"]
    sys.argv = ["pytest", *request["args"]]
    del request, line
    import pytest

    return pytest.console_main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
