"""What a verifier process imports before its run (shared by python/roadmap_warm.py and python/roadmap_forkserver.py).

The test files' top-level imports, those of the tool's starter and reference solution (ROADMAP_PRELOAD_SOURCES:
folders, os.pathsep-separated), and names learned from earlier runs (ROADMAP_PRELOAD_IMPORTS), leaving out the
learner's own modules (ROADMAP_LEARNER_MODULES) and the tool's plugins, which must be imported by the run itself
(the judge takes its token from the run's environment when it is imported).
"""
import ast
import importlib
import os
import re
import sys
from pathlib import Path

LEARNER = set(filter(None, os.environ.get("ROADMAP_LEARNER_MODULES", "").split(",")))
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_OWN_PLUGINS = ("roadmap_judge", "roadmap_pytest", "roadmap_warm")


def imported_modules(files):
    """Every module a file imports at its top level, as written (`fastapi.testclient`, `sqlalchemy`)."""
    names = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
    return names


def preload(test_files):
    folders = filter(None, os.environ.get("ROADMAP_PRELOAD_SOURCES", "").split(os.pathsep))
    sources = [path for folder in folders for path in sorted(Path(folder).rglob("*.py"))]
    learned = os.environ.get("ROADMAP_PRELOAD_IMPORTS", "").split(",")
    for name in [*imported_modules([*test_files, *sources]), *learned]:
        if not _MODULE_NAME.fullmatch(name) or name.split(".")[0] in LEARNER or name in _OWN_PLUGINS:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a missing package is reported by the run itself, as in a cold run
            pass


def outside(module, folders):
    """The module was loaded from a file that is not in any of these folders (or from no file: built in)."""
    path = getattr(module, "__file__", None)
    return not path or not any(os.path.abspath(path).startswith(folder + os.sep) for folder in folders)


def forget_shadowed(ahead, folders):
    """Modules imported ahead whose top-level name is now a learner's file or package in a run folder: forgotten
    (what pytest and the judge import themselves stays, as in a cold run)."""
    names = {entry.stem if entry.suffix == ".py" else entry.name for folder in folders for entry in Path(folder).iterdir()}
    for name in ahead:
        if name.split(".")[0] in names and outside(sys.modules.get(name), folders):
            sys.modules.pop(name, None)
