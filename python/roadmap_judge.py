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
import linecache
import os
import re
import signal
import sys
import threading
import traceback

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
_MAX_SOURCE = 240  # a source line, its caret line, a file path, an expected or actual value
_MAX_FRAMES = 8  # the learner's frames of a traceback, innermost kept


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
                "message": _bounded(_unstaged(_short_message(rep), config), _MAX_MESSAGE),
                "details": _bounded(_unstaged(rep.longreprtext, config), _MAX_DETAILS),
                "rules": [],
                **_failures.pop((rep.nodeid, "collect"), {}),
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
    failures = {when: _failures.pop((nodeid, when), None) for when in ("setup", "call", "teardown")}
    if problem is not None:
        result["phase"] = problem.when
        result["message"] = _bounded(_unstaged(_short_message(problem), config), _MAX_MESSAGE)
        if outcome != "skipped":
            result["details"] = _bounded(_unstaged(problem.longreprtext, config), _MAX_DETAILS)
            result.update(failures.get(problem.when) or {})
    return result


# Where a failure happened, for the learner: structured fields beside "message" and "details", every one bounded.
# Paths are relative to the run's folder (`<exercise-id>/portfolio.py`); roadmap maps them into the workspace.
#   location  {file, line}: the learner's innermost frame, or where a syntax error is
#   source, caret: that line (leading blanks removed) and a line of ^ under the part that failed
#   traceback [{file, line, function, source}]: the learner's own frames only (not pytest's, the verifier's, stdlib)
#   origin: "syntax" (the learner's file does not parse), "learner" (it failed inside the learner's code), or
#           "verifier" (the verifier's own check failed, e.g. a wrong return value: no learner frame)
#   exception: the exception's type name
#   expected, actual: for a verifier's failing `assert actual == expected`, both values (pytest's saferepr)
_failures = {}
_compared = []
_TOOL_FILE = re.compile(r"^(?:test_.*|.*_test|conftest)\.py$")


def _unstaged(text, config):
    """The run's temporary folder means nothing to the learner: paths in it become relative to it."""
    if not text or config is None:
        return text
    for root in {str(config.rootpath), os.path.realpath(str(config.rootpath))}:
        text = text.replace(root.rstrip(os.sep) + os.sep, "")
    return text


def describe_failure(node, excinfo, config):
    """The structured fields for one failure (see above); {} when nothing can be said."""
    try:
        return _describe(node, excinfo, config)
    except Exception:  # a display aid must never cost the verdict
        return {}


def _describe(node, excinfo, config):
    exc = excinfo.value
    # A module that cannot be imported is wrapped by pytest in a CollectError; the learner's error is its cause.
    while type(exc).__name__ == "CollectError" and exc.__cause__ is not None:
        exc = exc.__cause__
    root = os.path.realpath(str(config.rootpath))
    folder = os.path.realpath(str(node.path.parent if node.path.is_file() or node.path.suffix else node.path))

    def learner_file(filename):
        if not filename:
            return None
        real = os.path.realpath(filename)
        if not real.startswith(folder + os.sep) or _TOOL_FILE.match(os.path.basename(real)):
            return None
        return _bounded(os.path.relpath(real, root), _MAX_SOURCE)

    fields = {"exception": _bounded(type(exc).__name__, 100)}
    frames, innermost = [], None
    for frame in traceback.extract_tb(exc.__traceback__):
        innermost = frame
        file = learner_file(frame.filename)
        if file is not None:
            frames.append((file, frame))
    # A verifier's assert that fails inside a callback the learner's code called is still the verifier's check.
    verifier_assert = (
        isinstance(exc, AssertionError)
        and innermost is not None
        and os.path.realpath(innermost.filename).startswith(folder + os.sep)
        and _TOOL_FILE.match(os.path.basename(innermost.filename))
    )
    if isinstance(exc, SyntaxError) and learner_file(exc.filename) and exc.lineno:
        line = exc.text if exc.text is not None else linecache.getline(exc.filename, exc.lineno)
        start = (exc.offset or 1) - 1
        same_line = getattr(exc, "end_lineno", None) in (None, exc.lineno)
        end = (getattr(exc, "end_offset", None) or 0) - 1 if same_line else 0
        fields.update(origin="syntax", location={"file": learner_file(exc.filename), "line": int(exc.lineno)})
        fields.update(_marked(line, start, end))
        fields["message"] = _bounded(f"{type(exc).__name__}: {exc.msg}", _MAX_MESSAGE)
    elif frames and not verifier_assert:
        file, frame = frames[-1]
        fields.update(origin="learner", location={"file": file, "line": int(frame.lineno or 0)})
        line = linecache.getline(frame.filename, frame.lineno or 0)
        colno, end_colno = getattr(frame, "colno", None), getattr(frame, "end_colno", None)
        same_line = getattr(frame, "end_lineno", frame.lineno) == frame.lineno
        if colno is not None and end_colno is not None and same_line:
            fields.update(_marked(line, _characters(line, colno), _characters(line, end_colno)))
        else:
            fields.update(_marked(line, -1, -1))
    else:
        fields["origin"] = "verifier"
        if isinstance(exc, AssertionError) and _compared and _compared[-1][0] == "==":
            _, actual, expected = _compared[-1]
            fields.update(expected=expected, actual=actual)
    if frames:
        fields["traceback"] = [
            {
                "file": file,
                "line": int(frame.lineno or 0),
                "function": _bounded(frame.name, 100),
                "source": _bounded(linecache.getline(frame.filename, frame.lineno or 0).strip(), _MAX_SOURCE),
            }
            for file, frame in frames[-_MAX_FRAMES:]
        ]
    return fields


def _characters(line, byte_offset):
    """Python reports a frame's columns in UTF-8 bytes; the caret counts characters."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def _marked(line, start, end):
    """The source line without its indentation, and a caret line under columns start..end (0-based, end exclusive)."""
    line = (line or "").rstrip("\r\n").replace("\t", " ")
    text = line.lstrip(" \f")
    if not text:
        return {}
    shift = len(line) - len(text)
    fields = {"source": _bounded(text, _MAX_SOURCE)}
    start -= shift
    end = max(end - shift, start + 1)
    if 0 <= start <= min(len(text), _MAX_SOURCE):
        fields["caret"] = " " * start + "^" * min(end - start, _MAX_SOURCE - start + 1)
    return fields


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and report.failed:
        _failures[(item.nodeid, call.when)] = describe_failure(item, call.excinfo, item.config)
    _compared.clear()


def pytest_exception_interact(node, call, report):
    if isinstance(node, pytest.Collector) and report.failed and call.excinfo is not None:
        _failures[(report.nodeid, "collect")] = describe_failure(node, call.excinfo, node.config)


def pytest_assertrepr_compare(config, op, left, right):
    """Records a verifier's failing comparison (pytest asks only when an assert fails); adds no explanation."""
    from _pytest._io.saferepr import saferepr

    _compared.append((op, saferepr(left, maxsize=_MAX_SOURCE), saferepr(right, maxsize=_MAX_SOURCE)))
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    _judge["report"](_config[0], report)


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report):
    _judge["collect_error"](_config[0], report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _judge["finish"](session.config, exitstatus)

