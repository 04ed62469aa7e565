"""The judge: the pytest plugin through which roadmap learns each verdict (`-p roadmap_judge`, loaded first).

Learner code runs inside this pytest process, so a report file read at the end could be rewritten by it. Instead:
- each test's result goes to roadmap over a pipe (fd ROADMAP_CHANNEL_FD) the moment the test ends, and every
  line carries a token that only this plugin holds, so lines written by anyone else are seen as forged;
- tripwires, checked at every report and at the end, notice the tricks seen so far: replacing pytest's internals
  (`Function.runtest`, the report makers), registering a plugin or hook after start-up, a test function that
  reports "passed" although this plugin never saw it called, and an exit before pytest's session ends (roadmap
  sees no "end" line);
- a lifeline (fd ROADMAP_LIFELINE_FD, never written by roadmap) reaches end-of-file when roadmap dies, however it
  dies (even SIGKILL): the plugin then kills every process of this run and removes the run's temporary folder.

What it cannot stop: code that deliberately reads this plugin's memory (the token) and forges the whole stream.
README's "What a pass proves" says so.
"""
import json
import os
import signal
import sys
import threading

import _pytest.main
import _pytest.python
import _pytest.reports
import _pytest.runner
import pytest

# pytest internals whose replacement would let a test "pass" without running, or rewrite what it reports.
_GUARDED = [
    (_pytest.python.Function, "runtest"),
    (_pytest.python.Function, "_getobj"),
    (_pytest.python, "pytest_pyfunc_call"),
    (_pytest.runner, "runtestprotocol"),
    (_pytest.runner, "call_and_report"),
    (_pytest.runner, "call_runtest_hook"),
    (_pytest.runner, "pytest_runtest_makereport"),
    (_pytest.runner, "check_interactive_exception"),
    (_pytest.runner.CallInfo, "from_call"),
    (_pytest.reports.TestReport, "from_item_and_call"),
    (_pytest.reports.TestReport, "__init__"),
    (_pytest.reports.BaseReport, "passed"),
    (_pytest.reports.BaseReport, "failed"),
    (_pytest.main, "pytest_runtestloop"),
    (os, "_exit"),
]
# Hooks whose implementations decide or carry a verdict: a new implementation after start-up is tampering.
_GUARDED_HOOKS = [
    "pytest_runtest_protocol",
    "pytest_runtest_setup",
    "pytest_runtest_call",
    "pytest_runtest_teardown",
    "pytest_runtest_makereport",
    "pytest_runtest_logreport",
    "pytest_pyfunc_call",
    "pytest_report_teststatus",
    "pytest_collection_modifyitems",
    "pytest_sessionfinish",
]
_MAX_MESSAGE = 2_000
_MAX_DETAILS = 8_000


def _make_judge():
    """Everything that holds the token lives in this closure, not in module globals."""
    token = os.environ.pop("ROADMAP_CHANNEL_TOKEN", "")
    channel_fd = int(os.environ.pop("ROADMAP_CHANNEL_FD", "-1"))
    lifeline_fd = int(os.environ.pop("ROADMAP_LIFELINE_FD", "-1"))
    write = os.write  # bound now: a learner replacing os.write later changes nothing here
    state = {"baseline": None, "plugins": None, "called": {}, "tampered": None, "phases": {}}

    def send(event):
        if channel_fd < 0:
            return
        line = (json.dumps({"token": token, **event}, default=str) + "\n").encode("utf-8", "replace")
        try:
            while line:
                line = line[write(channel_fd, line):]
        except OSError:
            pass  # roadmap is gone, or the fd was closed under us: roadmap then sees no "end" and says so

    def snapshot_internals():
        return [(owner, name, owner.__dict__.get(name)) for owner, name in _GUARDED]

    def snapshot_hooks(config):
        hooks = {}
        for name in _GUARDED_HOOKS:
            caller = getattr(config.hook, name, None)
            if caller is not None:
                hooks[name] = [(impl.plugin_name, impl.function) for impl in caller.get_hookimpls()]
        return hooks

    def check(config, where):
        if state["tampered"] or state["baseline"] is None:
            return
        for (owner, name, before), (_, _, now) in zip(state["baseline"], snapshot_internals()):
            if now is not before:
                return tamper(f"{getattr(owner, '__name__', owner)}.{name} was replaced ({where})")
        if snapshot_hooks(config) != state["plugins"]:
            return tamper(f"a pytest plugin or hook was registered or changed while the tests ran ({where})")

    def tamper(what):
        state["tampered"] = what
        send({"event": "tampered", "what": what})

    def start(config):
        become_subreaper()
        state["baseline"] = snapshot_internals()
        state["plugins"] = snapshot_hooks(config)
        if lifeline_fd >= 0:
            threading.Thread(target=watch_lifeline, name="roadmap-lifeline", daemon=True).start()

    def watch_lifeline():
        try:
            while os.read(lifeline_fd, 1):
                pass
        except OSError:
            pass
        end_everything()

    def record_call(item, excinfo):
        state["called"][item.nodeid] = excinfo is None

    def report(config, rep):
        check(config, f"reporting {rep.nodeid}")
        phases = state["phases"].setdefault(rep.nodeid, [])
        phases.append(rep)
        if rep.when == "call" and rep.passed and not state["called"].get(rep.nodeid, False):
            tamper(f"{rep.nodeid} was reported as passed, but its test function never ran to the end")
        if rep.when != "teardown":
            return
        send({"event": "test", **summarize(rep.nodeid, state["phases"].pop(rep.nodeid), config)})

    def collect_error(config, rep):
        if rep.failed:
            send({
                "event": "test",
                "id": rep.nodeid,
                "outcome": "error",
                "phase": "collect",
                "message": _bounded(_short_message(rep), _MAX_MESSAGE),
                "details": _bounded(rep.longreprtext, _MAX_DETAILS),
                "rules": [],
            })

    def finish(config, exitstatus):
        check(config, "at the end")
        end_descendants()
        send({"event": "end", "exitstatus": int(exitstatus)})

    return {
        "send": send,
        "start": start,
        "record_call": record_call,
        "report": report,
        "collect_error": collect_error,
        "finish": finish,
    }


def _rules_of(item):
    return [rule for marker in item.iter_markers("rule") for rule in marker.args] if item is not None else []


def summarize(nodeid, phases, config):
    """One result per test from its setup, call and teardown reports (an error in setup or teardown is "error")."""
    item = _items.get(nodeid)
    failed = next((r for r in phases if r.failed), None)
    skipped = next((r for r in phases if r.skipped), None)
    if failed is not None:
        outcome = "failed" if failed.when == "call" else "error"
        problem = failed
    elif skipped is not None:
        outcome, problem = "skipped", skipped
    else:
        outcome, problem = "passed", None
    seconds = round(sum(getattr(r, "duration", 0) or 0 for r in phases), 4)
    result = {"id": nodeid, "outcome": outcome, "rules": _rules_of(item), "seconds": seconds}
    if problem is not None:
        result["phase"] = problem.when
        result["message"] = _bounded(_short_message(problem), _MAX_MESSAGE)
        if outcome != "skipped":
            result["details"] = _bounded(problem.longreprtext, _MAX_DETAILS)
    return result


def _short_message(rep):
    longrepr = rep.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (file, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    text = str(longrepr or "")
    errors = [line[4:].strip() for line in text.splitlines() if line.startswith("E   ")]
    return errors[-1] if errors else text.strip().splitlines()[-1] if text.strip() else ""


def _bounded(text, limit):
    text = text or ""
    return text if len(text) <= limit else f"{text[:limit]}\n… ({len(text) - limit} more characters)"


def become_subreaper():
    """Linux: orphaned descendants (also those that called setsid()) are re-parented to this process instead of
    init, so end_descendants() still finds them. Elsewhere nothing happens (README says what holds where)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _children(pid):
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def end_descendants():
    """At the session's end every service fixture has stopped; whatever the code under test left running (a
    background child, one that left the process group) is ended here, so roadmap need not search for it."""
    pending, seen = _children(os.getpid()), set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        pending.extend(_children(pid))
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def end_everything():
    """roadmap is gone: end every process of this run (marked ones too, wherever they went) and its temp folder."""
    marker = os.environ.get("ROADMAP_RUN_MARKER")
    stage = os.environ.get("ROADMAP_STAGE")
    if marker:
        kill_marked(marker, exclude=os.getpid())
    if stage and os.path.basename(stage).startswith("roadmap-verify-"):
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
    try:
        os.killpg(0, signal.SIGKILL)
    finally:
        os.kill(os.getpid(), signal.SIGKILL)


def kill_marked(marker, exclude):
    """Kills processes whose environment holds ROADMAP_RUN_MARKER=<marker>, also those that left the process group
    with setsid(). Linux only (/proc); elsewhere only the process group is ended."""
    needle = f"ROADMAP_RUN_MARKER={marker}".encode()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return
    for pid in pids:
        if pid == exclude:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if needle in environ.read().split(b"\0"):
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            continue


_judge = _make_judge()
_items = {}
_config = []


def pytest_configure(config):
    _config.append(config)
    config.addinivalue_line(
        "markers", "rule(*ids): the README rule(s) this test checks (ids from the exercise's front matter `rules:`)"
    )


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    _judge["start"](session.config)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    _items.update((item.nodeid, item) for item in items)
    _judge["send"]({"event": "collected", "ids": [item.nodeid for item in items]})


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    outcome = yield
    _judge["record_call"](pyfuncitem, outcome.excinfo)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    _judge["report"](_config[0], report)


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report):
    _judge["collect_error"](_config[0], report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _judge["finish"](session.config, exitstatus)

