"""The warm path of `roadmap watch` (src/verify/warm.ts): a verifier run started before the learner saves.

roadmap starts the next check's pytest as it starts a cold run (same arguments, environment, result channel,
lifeline and process group), adds this plugin (`-p roadmap_warm`), and gives it a run folder that holds the tool's
tests but not yet the learner's files. Once pytest has configured itself and loaded the judge, and before it
collects, this plugin
- imports what the test files, the starter and the reference solution import (fastapi, pydantic, sqlalchemy,
  httpx, ...; ROADMAP_PRELOAD_SOURCES names the latter two folders), and what the previous run of the exercise went
  on to import from outside its run folder (ROADMAP_PRELOAD_IMPORTS: the submodules that pydantic, anyio and others
  load only when first used), leaving out the learner's own modules (ROADMAP_LEARNER_MODULES) and the tool's
  plugins: a learner's module is imported only once their file is there;
- rewrites the test files' asserts as pytest would on import, and keeps the result for that one import;
- waits for one line on stdin. roadmap copies the learner's files into the run folder, then writes it; pytest then
  collects and runs exactly as a cold run does. End of file instead (roadmap moved on, or is gone): it exits.
  Should a module imported ahead share a name with a file the learner now has (a new `utils.py`, say), it is
  forgotten first, so the learner's file is the one imported, as in a cold run.
When the tests have run, it writes to ROADMAP_WARM_LEARNED the modules this run imported after the go from outside
its run folder (names only), for the next run to import ahead.

One process serves one run, so nothing the learner's code leaves behind reaches another run. It forks nothing, so
no fork-safety question arises (BLAS pools, locks held by threads): every exercise can use it.
"""
import os
import sys
from pathlib import Path

import pytest
from _pytest.assertion import rewrite

from roadmap_preload import LEARNER, forget_shadowed, outside, preload


def rewrite_ahead(test_files, config):
    """pytest rewrites a test file's asserts when it imports it: do that now, for the test files as they are now."""
    original = rewrite._rewrite_test
    ready = {}
    for path in test_files:
        try:
            ready[str(path)] = original(path, config)
        except Exception:  # pytest reports it when it imports the file, as in a cold run
            pass

    def rewritten(fn, config):
        stat, code = ready.pop(str(fn), (None, None))
        now = os.stat(fn)
        if stat is not None and (now.st_mtime_ns, now.st_size) == (stat.st_mtime_ns, stat.st_size):
            return stat, code
        return original(fn, config)

    rewrite._rewrite_test = rewritten


def take_stdin():
    """roadmap's pipe, moved off fd 0 before pytest's capture takes fd 0; fd 0 becomes /dev/null, as in a cold run."""
    pipe = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return pipe


# pytest imports `-p` plugins before it starts capturing output (which puts /dev/null on fd 0).
_go = take_stdin()


def wait_for_go():
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(_go, 64)
        if not chunk:
            os._exit(0)
        line += chunk
    os.close(_go)


_imported_at_go = set()


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    config = session.config
    patterns = config.getini("python_files")
    test_files = [
        path
        for folder in config.args
        for path in sorted(Path(folder).glob("*.py"))
        if any(path.match(pattern) for pattern in patterns)
    ]
    before = set(sys.modules)
    preload(test_files)
    ahead = set(sys.modules) - before
    if config.getoption("assertmode") == "rewrite":
        rewrite_ahead(test_files, config)
    wait_for_go()
    forget_shadowed(ahead, [os.path.abspath(folder) for folder in config.args])
    _imported_at_go.update(sys.modules)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    """Before the judge's last line (roadmap ends the run there): what this run imported for the next one."""
    target = os.environ.get("ROADMAP_WARM_LEARNED")
    if not target or not _imported_at_go:
        return
    folders = [os.path.abspath(folder) for folder in session.config.args]
    names = sorted(
        name for name, module in list(sys.modules.items())
        if name not in _imported_at_go and module is not None and name.split(".")[0] not in LEARNER and outside(module, folders)
    )
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write("\n".join(names))
    except OSError:
        pass
