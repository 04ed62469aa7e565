"""Verifier for ci-workflow: a static lint of .github/workflows/ci.yml with PyYAML.

PyYAML implements YAML 1.1, where the bare key `on` is the boolean True, so the triggers are read with
WF.get("on", WF.get(True)). The same YAML 1.1 rules turn an unquoted 3.10 into the float 3.1.
"""
import pathlib
import re

import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
WORKFLOW_DIR = HERE / ".github" / "workflows"

SECRET_RE = re.compile(r"(SECRET|PASSW(OR)?D|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)
FROM_SECRETS = re.compile(r"^\$\{\{\s*(secrets\.[A-Za-z_][A-Za-z0-9_]*|github\.token)\s*\}\}$")
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
MATRIX_EXPR = re.compile(r"^\$\{\{\s*matrix\.python-version\s*\}\}$")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def _load():
    candidates = [WORKFLOW_DIR / "ci.yml", WORKFLOW_DIR / "ci.yaml"]
    found = [p for p in candidates if p.is_file()]
    assert found, "write the workflow to .github/workflows/ci.yml inside the exercise folder"
    data = yaml.safe_load(found[0].read_text())
    assert isinstance(data, dict), "the workflow file must be a YAML mapping"
    return data


@pytest.fixture(scope="module")
def wf():
    return _load()


def _triggers(WF):
    on = WF.get("on", WF.get(True))  # YAML 1.1: the key `on` loads as True
    assert on, "the workflow needs an `on:` section"
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {name: None for name in on}
    return on


def _test_job(wf):
    jobs = wf.get("jobs") or {}
    assert isinstance(jobs, dict) and jobs, "the workflow needs a `jobs:` mapping"
    for name, job in jobs.items():
        for step in job.get("steps") or []:
            if "pytest" in str(step.get("run", "")):
                return name, job
    pytest.fail("no job has a step that runs pytest (e.g. `run: python -m pytest -q`)")


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), key, value
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))


def test_runs_on_push_to_main_and_pull_requests(wf):
    triggers = _triggers(wf)
    assert "push" in triggers, "trigger on push (to main)"
    push = triggers["push"] or {}
    branches = push.get("branches") if isinstance(push, dict) else None
    assert branches and "main" in branches, (
        "limit `push` to `branches: [main]`: feature branches are tested through their pull request, "
        "and an unfiltered push trigger runs every PR twice"
    )
    assert "pull_request" in triggers, "also trigger on `pull_request` (not pull_request_target, which runs with secrets)"
    assert "pull_request_target" not in triggers, (
        "use pull_request, not pull_request_target: the latter runs with the base repository's secrets and a "
        "write-capable token, which is dangerous next to code from a fork"
    )


def test_matrix_python_versions_are_strings(wf):
    _, job = _test_job(wf)
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    versions = matrix.get("python-version")
    assert isinstance(versions, list) and versions, "the test job needs strategy.matrix.python-version: a list"
    for v in versions:
        assert isinstance(v, str), (
            f"matrix version {v!r} is a {type(v).__name__}: YAML reads 3.10 as 3.1, so quote every version (\"3.11\")"
        )
        assert re.fullmatch(r"3\.\d+", v), f"matrix version {v!r} should look like \"3.12\""
    for required in ("3.11", "3.12"):
        assert required in versions, f"test at least Python {required} (the matrix has {versions})"


def test_setup_python_uses_matrix_and_pip_cache(wf):
    _, job = _test_job(wf)
    steps = job.get("steps") or []
    setup = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert setup, "add an actions/setup-python step"
    with_ = setup[0].get("with") or {}
    assert MATRIX_EXPR.match(str(with_.get("python-version", ""))), (
        "setup-python must install `${{ matrix.python-version }}`; a fixed version tests one Python N times"
    )
    assert with_.get("cache") == "pip", "set `cache: pip` on setup-python so dependencies are not downloaded on every run"


def test_steps_check_out_set_up_then_run_pytest(wf):
    _, job = _test_job(wf)
    steps = job.get("steps") or []
    def index(pred, what):
        for i, s in enumerate(steps):
            if pred(s):
                return i
        pytest.fail(f"the test job needs {what}")
    checkout = index(lambda s: str(s.get("uses", "")).startswith("actions/checkout@"), "an actions/checkout step")
    setup = index(lambda s: str(s.get("uses", "")).startswith("actions/setup-python@"), "an actions/setup-python step")
    tests = index(lambda s: "pytest" in str(s.get("run", "")), "a step that runs pytest")
    assert checkout < setup < tests, "order the steps: checkout, setup-python, (install), pytest"


def test_actions_are_pinned(wf):
    for path, key, value in _walk(wf.get("jobs") or {}):
        if key == "uses" and isinstance(value, str) and not value.startswith("./"):
            assert PINNED_ACTION.match(value), (
                f"{value!r}: pin actions to a release tag (@v5) or a full commit SHA, never a branch like @main"
            )


def test_permissions_are_read_only(wf):
    assert wf.get("permissions") == {"contents": "read"}, (
        f"set top-level `permissions: {{contents: read}}` exactly (got {wf.get('permissions')!r}); "
        "the default token may be able to push, and CI that only tests needs nothing more"
    )
    for name, job in (wf.get("jobs") or {}).items():
        perms = job.get("permissions")
        if perms is not None:
            assert perms != "write-all" and "write" not in str(perms), f"job {name!r} widens permissions to {perms!r}"


def test_superseded_runs_are_cancelled_per_ref(wf):
    _, job = _test_job(wf)
    concurrency = wf.get("concurrency") or job.get("concurrency")
    assert isinstance(concurrency, dict), "add `concurrency:` with a `group` and `cancel-in-progress: true`"
    cancel = concurrency.get("cancel-in-progress")
    assert cancel is True or (isinstance(cancel, str) and "${{" in cancel), "set `cancel-in-progress: true`"
    group = str(concurrency.get("group", ""))
    assert "github.ref" in group or "github.head_ref" in group, (
        f"concurrency group {group!r} must include the ref (e.g. `${{{{ github.workflow }}}}-${{{{ github.ref }}}}`): "
        "a constant group makes a PR push cancel the run on main"
    )


def test_secret_like_values_come_from_secrets(wf):
    for path, key, value in _walk(wf):
        if len(path) < 2 or path[-2] not in ("env", "with"):
            continue
        text = "" if value is None else str(value)
        if SECRET_RE.search(str(key)):
            assert FROM_SECRETS.match(text), (
                f"{'.'.join(map(str, path))} looks like a secret but is {text!r}: use `${{{{ secrets.{key} }}}}`"
            )
        assert not URL_WITH_PASSWORD.search(text) or "${{" in text, (
            f"{'.'.join(map(str, path))} embeds a password in a URL; build it from `secrets.*`"
        )
