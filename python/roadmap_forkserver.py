"""The fork server of `roadmap dev check` and `roadmap dev mutate` (src/verify/forkserver.ts).

An authoring run makes hundreds of verifier runs, each of which would start Python and import pytest and the
exercise's frameworks again: a third of its time on the Debian stack. This process does that once per exercise:
it imports pytest, its built-in plugins and what the exercise's tests, starter and reference solution import
(python/roadmap_preload.py), then forks a fresh child for each run roadmap asks for, one at a time. The child is
what a cold `python -s -m pytest <args>` would be from then on: a session of its own (setsid), the run's exact
environment, working folder and arguments, /dev/null on stdin and its output in two files of the run's folder.
It imports the judge and the learner's modules itself; nothing it does reaches the server or the next run.

Protocol, a line each way: roadmap writes a JSON request {"cwd", "args", "env", "stdout", "stderr"} on stdin;
this process answers on the result channel (fd ROADMAP_CHANNEL_FD, which its children's judges write too), each
answer led by ROADMAP_FORK_TOKEN: "ready <threads>" once (after its imports), then "started <pid>" and
"exited <pid> <code>" for each request (a negative code is the signal that ended the child). "exited" is written
after the child is gone, so every line the child wrote is ahead of it in the pipe. End of file on stdin: it exits. A fork copies only the calling thread, so a server with more than one thread (a BLAS pool started by an
import) is not used: roadmap reads <threads> and runs that exercise cold.
"""
import atexit
import importlib
import json
import os
import sys
import threading
import traceback
from pathlib import Path

import _pytest.config
import pytest

from roadmap_preload import forget_shadowed, preload

_ANSWERS = int(os.environ.pop("ROADMAP_CHANNEL_FD"))
_TOKEN = os.environ.pop("ROADMAP_FORK_TOKEN")
# Modules this process imported that a cold run would not have by the time it collects: a learner's file of the
# same name must win over them, as it would in a cold run.
_AHEAD = set()


def answer(line):
    os.write(_ANSWERS, f"{_TOKEN} {line}\n".encode())


def threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def warm_up():
    """pytest's own plugins, then what the exercise's tests and code import (ROADMAP_FORK_TESTS: the tests folder)."""
    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except Exception:
            pass
    before = set(sys.modules)
    preload(sorted(Path(os.environ["ROADMAP_FORK_TESTS"]).glob("*.py")))
    _AHEAD.update(set(sys.modules) - before)


def become_run(request):
    """In the child: from here on, what `python -s -m pytest <args>` started in the run's folder would be."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, fd)
        os.close(out)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]
    sys.argv = [pytest.__file__, *request["args"]]
    importlib.invalidate_caches()
    forget_shadowed(_AHEAD, [arg for arg in request["args"] if os.path.isdir(arg)])


def run_child(request):
    code = 1
    try:
        become_run(request)
        code = pytest.console_main()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(int(code) & 0xFF)


def serve():
    warm_up()
    answer(f"ready {threads()}")
    for line in sys.stdin:
        request = json.loads(line)
        # What an import printed must not reach the child's output files through an inherited buffer.
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            run_child(request)
        answer(f"started {pid}")
        _, status = os.waitpid(pid, 0)
        answer(f"exited {pid} {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    serve()
