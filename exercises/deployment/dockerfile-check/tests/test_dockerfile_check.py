"""Verifier for dockerfile-check: the learner's Dockerfile and .dockerignore, judged by what the image would do.

There is no Docker engine here. `dockerfile_check_image` (in the tool's python/ folder) parses the Dockerfile
the way BuildKit does and replays the build on paper against this folder as the build context: which files
each COPY brings in (after .dockerignore), which programs each RUN, the CMD and the HEALTHCHECK run and
whether the image has them (python:3.11-slim's programs, plus what apt-get and pip install), which user the
container runs as. The app spec in CMD is then loaded in a separate Python process, from the files the image
would hold at gunicorn's working directory, the way gunicorn loads it, and asked for GET /healthz.
"""
import json
import pathlib
import posixpath
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

from dockerfile_check_image import (
    Build, assignments, dockerignore_patterns, exec_form, gunicorn_argv, gunicorn_options, is_ignored,
    pip_install_args, programs_in, simple_commands, strip_init,
)

HERE = pathlib.Path(__file__).resolve().parent
DOCKERFILE = HERE / "Dockerfile"
DOCKERIGNORE = HERE / ".dockerignore"

BASE_RE = re.compile(r"^(docker\.io/)?(library/)?python:3\.11(\.\d+)?-slim(-bookworm|-bullseye|-trixie)?(@sha256:[0-9a-f]{64})?$")
SECRET_RE = re.compile(r"(SECRET|PASSW(OR)?D|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)
WORKERS = {"uvicorn.workers.UvicornWorker": "uvicorn", "uvicorn_worker.UvicornWorker": "uvicorn-worker"}
REQUIREMENTS_FILE = re.compile(r"(^|/)(requirements|constraints)[^/]*\.txt$")
ALL_INTERFACES = ("0.0.0.0", "[::]", "::", "")
LOCAL_HEALTHZ = re.compile(r"(https?://)?(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):8000/healthz\b")
PIP_CACHE_OFF = {"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f"}


@pytest.fixture(scope="module")
def build():
    assert DOCKERFILE.is_file(), "write a file named Dockerfile in the exercise folder"
    ignore = DOCKERIGNORE.read_text() if DOCKERIGNORE.is_file() else ""
    replay = Build(DOCKERFILE.read_text(), str(HERE), ignore)
    assert replay.stages, "a Dockerfile needs a FROM instruction"
    return replay


@pytest.fixture(scope="module")
def final(build):
    return build.final


def _gunicorn(build, final):
    """The arguments gunicorn gets from the container's command, whatever form the command is in."""
    argv, _ = build.command_argv(final)
    args = gunicorn_argv(argv)
    assert args is not None, f"the container's command must start gunicorn (CMD [\"gunicorn\", ...]); it runs {argv}"
    env_args = final.env.get("GUNICORN_CMD_ARGS", "")
    options, positional = gunicorn_options(args)
    env_options, _ = gunicorn_options(env_args.split())
    return options, positional, env_options


@pytest.mark.rule("base-image")
def test_base_image_is_python_311_slim(build):
    for stage in build.stages:
        if stage.parent is not None:
            continue  # FROM an earlier stage
        assert BASE_RE.match(stage.base), (
            f"{stage.from_instruction!r}: the base image must be python:3.11-slim (optionally a patch tag like "
            f"python:3.11.9-slim, a Debian suffix like -bookworm, or @sha256:<digest>), not {stage.base!r}: "
            "`latest` and bare `3` change under you, and the full image is ~1 GB of compilers you do not ship"
        )


def _requirement_installs(build):
    """(step, requirement file) for each `pip install -r FILE` in the stages the final image is built from."""
    found = []
    for stage in build.ancestors(build.final):
        for step in stage.runs:
            for command in step.commands:
                args = pip_install_args(command)
                if args is None:
                    continue
                for i, word in enumerate(args):
                    if word in ("-r", "--requirement") and i + 1 < len(args):
                        found.append((step, args[i + 1]))
                    elif word.startswith("--requirement="):
                        found.append((step, word.split("=", 1)[1]))
                    elif word.startswith("-r") and len(word) > 2:
                        found.append((step, word[2:]))
    return found


@pytest.mark.rule("dependencies-first")
def test_dependencies_install_before_source_is_copied(build, final):
    installs = _requirement_installs(build)
    assert installs, "install the dependencies with `RUN pip install --no-cache-dir -r requirements.txt`"
    for step, requirements in installs:
        path = posixpath.normpath(posixpath.join(step.workdir, requirements))
        assert path in step.files or path in step.mounts, (
            f"{step.instruction!r}: {path} is not in the image yet, so pip install -r would fail; "
            "`COPY requirements.txt .` on its own first"
        )
        early = sorted(
            (not source.endswith(".py"), target) for target, (kind, source) in step.files.items()
            if kind == "context" and not REQUIREMENTS_FILE.search(source)
        )
        early = [target for _, target in early]
        assert not early, (
            f"{step.instruction!r} runs after the source is copied ({', '.join(early[:3])}...): every code edit "
            "then invalidates the pip layer and reinstalls every dependency. Copy requirements.txt, install, "
            "then copy the source"
        )
    sources = [path for path, (kind, source) in final.files.items() if kind == "context" and source.endswith(".py")]
    assert sources, "after installing the dependencies, copy the application source into the image (e.g. `COPY . .`)"


@pytest.mark.rule("no-pip-cache")
def test_every_pip_install_skips_the_cache(build):
    installs = 0
    for stage in build.stages:
        for step in stage.runs:
            for command in step.commands:
                args = pip_install_args(command)
                if args is None:
                    continue
                installs += 1
                env = {**step.env, **command.env}
                off = (
                    "--no-cache-dir" in args
                    or env.get("PIP_NO_CACHE_DIR", "").lower() in PIP_CACHE_OFF
                    or any(target.endswith("/.cache/pip") for target in step.cache_mounts)
                )
                assert off, (
                    f"{step.instruction!r}: `{' '.join(command.argv)}` keeps pip's wheel cache in the image; pass "
                    "--no-cache-dir to every pip install (or set ENV PIP_NO_CACHE_DIR=1)"
                )
    assert installs, "install the dependencies with RUN pip install --no-cache-dir -r requirements.txt"


@pytest.mark.rule("non-root-user")
def test_runs_as_an_existing_non_root_user(final):
    assert final.user, "add a USER instruction in the final stage: containers run as root by default"
    user = final.user.split(":")[0].strip()
    where = final.user_instruction
    assert user not in ("root", "0", ""), f"{where!r}: the container must not run as root"
    assert user.isdigit() or user in final.users, (
        f"{where!r}: no user {user!r} exists in the image, so `docker run` fails with \"unable to find user\". "
        "Create it first (RUN groupadd --system app && useradd --system --gid app --no-create-home app) "
        "or use a numeric UID"
    )


@pytest.mark.rule("exec-form-cmd")
def test_cmd_is_exec_form_gunicorn(build, final):
    assert final.cmd is not None, "the final stage needs a CMD"
    if final.entrypoint is not None:
        entry = exec_form(final.entrypoint.rest)
        assert entry is not None, (
            f"{final.entrypoint!r} is shell form: Docker then ignores CMD, and /bin/sh is PID 1"
        )
        init, rest = strip_init(entry)
        assert init is not None and not rest, (
            f"{final.entrypoint!r}: an ENTRYPOINT may only be an init that passes signals on, such as "
            '["tini", "--"]; gunicorn belongs in CMD'
        )
    argv = exec_form(final.cmd.rest)
    assert argv is not None, (
        f"{final.cmd!r} is shell form: /bin/sh becomes PID 1 and SIGTERM never reaches gunicorn, so every "
        'deploy waits for the kill timeout. Use a JSON array: CMD ["gunicorn", ...]'
    )
    program = posixpath.basename(argv[0])
    runs_gunicorn = program == "gunicorn" or (re.fullmatch(r"python(3(\.11)?)?", program) and argv[1:3] == ["-m", "gunicorn"])
    assert runs_gunicorn, f"CMD must start gunicorn (['gunicorn', ...] or ['python', '-m', 'gunicorn', ...]), got {argv}"


@pytest.mark.rule("uvicorn-worker")
def test_gunicorn_uses_an_installed_uvicorn_worker(build, final):
    options, _, env_options = _gunicorn(build, final)
    chosen = (options.get("--worker-class") or env_options.get("--worker-class") or ["sync"])[-1]
    assert chosen in WORKERS, (
        f"gunicorn runs the worker class {chosen!r}: select -k uvicorn.workers.UvicornWorker (or "
        "uvicorn_worker.UvicornWorker); the default sync worker cannot serve an ASGI app"
    )
    package = WORKERS[chosen]
    assert package in final.python_packages, (
        f"the worker class {chosen} comes from the {package!r} package, which the image never installs: "
        f"add {package} to requirements.txt"
    )


@pytest.mark.rule("listens-on-8000")
def test_gunicorn_listens_on_all_interfaces_port_8000(build, final):
    options, _, env_options = _gunicorn(build, final)
    binds = options.get("--bind") or env_options.get("--bind")
    if not binds:
        port = final.env.get("PORT")
        binds = [f"0.0.0.0:{port}"] if port else ["127.0.0.1:8000"]  # gunicorn's own default
    hosts = {bind.rsplit(":", 1)[0] for bind in binds if bind.rsplit(":", 1)[-1] == "8000"}
    assert hosts & set(ALL_INTERFACES), (
        f"gunicorn binds {binds}: inside a container it must listen on all interfaces, port 8000 "
        "(--bind 0.0.0.0:8000); 127.0.0.1 is unreachable from outside the container"
    )
    ports = [str(p).lower() for p in final.exposed]
    assert "8000" in ports or "8000/tcp" in ports, (
        f"EXPOSE 8000 in the final stage (it documents the port gunicorn binds; HTTP is TCP), got {final.exposed}"
    )


LOADER = r"""
import ast, asyncio, importlib, inspect, json, sys
cwd, spec, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [cwd] + extra
def load():
    module, _, obj = spec.partition(":")
    obj = obj or "application"
    mod = importlib.import_module(module)
    expression = ast.parse(obj, mode="eval").body
    if isinstance(expression, ast.Name):
        return getattr(mod, expression.id), False
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
        args = [ast.literal_eval(a) for a in expression.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in expression.keywords}
        return getattr(mod, expression.func.id)(*args, **kwargs), True
    raise ValueError(f"gunicorn cannot parse {obj!r}: use module:name or module:factory()")
async def get(app, path):
    sent = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"localhost:8000")], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    await app(scope, receive, send)
    return [m.get("status") for m in sent if m.get("type") == "http.response.start"]
try:
    app, called = load()
    factory = inspect.isfunction(app) and not inspect.signature(app).parameters
    statuses = asyncio.run(get(app, "/healthz"))
    print(json.dumps({"status": statuses[0] if statuses else None, "factory": factory}))
except Exception as exc:
    app = locals().get("app")
    factory = inspect.isfunction(app) and not inspect.signature(app).parameters
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}", "factory": factory}))
"""


def _materialise(build, stage, root):
    """Writes the files the final image would hold (from the build context or heredocs) under `root`."""
    for path, (kind, source) in stage.files.items():
        if kind not in ("context", "text"):
            continue
        target = pathlib.Path(root + path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "context":
            shutil.copyfile(HERE / source, target)
        else:
            target.write_text(source)


@pytest.mark.rule("app-loads")
def test_app_spec_loads_the_app_gunicorn_would_serve(build, final):
    options, positional, _ = _gunicorn(build, final)
    assert positional, 'gunicorn needs the app to serve as an argument: "pnl_web:create_app()"'
    spec = positional[-1]
    chdir = posixpath.normpath(posixpath.join(final.workdir, (options.get("--chdir") or [final.workdir])[-1]))
    pythonpath = [p for value in options.get("--pythonpath", []) for p in value.split(",") if p]
    with tempfile.TemporaryDirectory(prefix="roadmap-image-") as root:
        _materialise(build, final, root)
        cwd = root + chdir
        pathlib.Path(cwd).mkdir(parents=True, exist_ok=True)
        extra = [root + posixpath.normpath(posixpath.join(chdir, p)) for p in pythonpath]
        run = subprocess.run([sys.executable, "-I", "-c", LOADER, cwd, spec, json.dumps(extra)],
                             cwd=cwd, capture_output=True, text=True, timeout=20)
    assert run.returncode == 0 and run.stdout.strip(), f"loading {spec!r} crashed: {run.stderr[-800:]}"
    result = json.loads(run.stdout.strip().splitlines()[-1])
    hint = ""
    if result.get("factory"):
        hint = (f" {spec!r} names the app factory without calling it, so gunicorn would serve the factory "
                "function itself; call it: \"pnl_web:create_app()\"")
    error = result.get("error", "")
    if error.startswith("ModuleNotFoundError"):
        hint = f" The module must be in the image at gunicorn's working directory ({chdir}, the WORKDIR)."
    assert not error, f"gunicorn, started in {chdir} as the image would start it, cannot serve {spec!r}: {error}.{hint}"
    assert result.get("status") == 200, (
        f"the app {spec!r} answered GET /healthz with {result.get('status')}, not 200.{hint}"
    )


@pytest.mark.rule("healthcheck")
def test_healthcheck_probes_healthz_and_fails_on_errors(build, final):
    assert final.healthcheck is not None, "add a HEALTHCHECK to the final stage"
    argv, _ = build.healthcheck_argv(final)
    assert argv is not None, f"{final.healthcheck!r}: use HEALTHCHECK [options] CMD ..., not NONE"
    text = " ".join(argv)
    assert LOCAL_HEALTHZ.search(text), (
        f"{final.healthcheck!r}: the probe must request /healthz on port 8000 of the container itself "
        "(http://127.0.0.1:8000/healthz or http://localhost:8000/healthz)"
    )
    shell = posixpath.basename(argv[0]) in ("sh", "bash", "dash") and "-c" in argv[1:-1]
    commands = [c.argv for c in simple_commands(argv[argv.index("-c") + 1])] if shell else [argv]
    for words in commands:
        if words and posixpath.basename(words[0]) == "curl":
            flags = [w for w in words[1:] if w.startswith("-")]
            fails = any(f in ("--fail", "--fail-with-body") or (not f.startswith("--") and "f" in f[1:]) for f in flags)
            assert fails, (
                f"{final.healthcheck!r}: curl exits 0 on a 500 answer unless you pass -f (--fail), so the probe "
                "would report a broken app as healthy"
            )
    if shell and not _something_answers_on_port_8000():
        # Run the probe's script with no programs on PATH: every request it makes fails, so the script must
        # exit non-zero. `|| exit 0`, `|| true` or `; echo done` at the end would make it report healthy anyway.
        # (Not while something here answers on port 8000, the learner's own app say: a probe naming a program by
        # its full path could then really get an answer.)
        with tempfile.TemporaryDirectory(prefix="roadmap-probe-") as empty:
            interpreter = "/bin/bash" if posixpath.basename(argv[0]) == "bash" else "/bin/sh"
            try:
                status = subprocess.run([interpreter, "-c", argv[argv.index("-c") + 1]], cwd=empty,
                                        env={"PATH": empty, "HOME": empty}, capture_output=True, timeout=5).returncode
            except subprocess.TimeoutExpired:
                status = None  # Docker counts a probe that runs past its --timeout as a failure
        assert status != 0, (
            f"{final.healthcheck!r}: when the request to /healthz fails, the probe's command still exits 0, so "
            "Docker would report a broken app as healthy; drop the `|| exit 0` / `|| true` (or end with `|| exit 1`)"
        )


def _something_answers_on_port_8000():
    try:
        socket.create_connection(("localhost", 8000), timeout=0.5).close()
        return True
    except OSError:
        return False


def _apt_without_lists(build):
    """`apt-get install` steps that run while the image has no package lists: python:3.11-slim ships with
    /var/lib/apt/lists empty, so an install needs an `apt-get update` before it (in that RUN or an earlier one
    of the stage, and not undone since by `rm -rf /var/lib/apt/lists/*`), or it stops with "Unable to locate
    package"."""
    problems, lists_at_end = [], {}
    for stage in build.stages:
        lists = lists_at_end.get(stage.parent.index, False) if stage.parent is not None else False
        for step in stage.runs:
            for command in step.commands:
                argv = command.argv
                if not argv:
                    continue
                head = posixpath.basename(argv[0])
                if head in ("apt-get", "apt") and "update" in argv[1:]:
                    lists = True
                elif head == "rm" and any(a.rstrip("/*").rstrip("/") == "/var/lib/apt/lists" for a in argv[1:]):
                    lists = False
                elif head in ("apt-get", "apt") and "install" in argv[1:]:
                    packages = [a for a in argv[argv.index("install") + 1:] if not a.startswith("-")]
                    if packages and not lists and not all(a.endswith(".deb") for a in packages):
                        problems.append(
                            f"{step.instruction!r} runs `{' '.join(argv)}` with no `apt-get update` before it, so "
                            "the build stops at \"Unable to locate package\" (python:3.11-slim ships without package "
                            "lists): use `apt-get update && apt-get install -y ...` in one RUN"
                        )
        lists_at_end[stage.index] = lists
    return problems


@pytest.mark.rule("programs-exist")
def test_every_program_and_copied_file_exists(build, final):
    problems = [f"{ins!r} {message}" for stage in build.stages for ins, message in stage.problems]
    problems += _apt_without_lists(build)
    for ins, label in ((final.cmd, "CMD"), (final.entrypoint, "ENTRYPOINT")):
        if ins is None:
            continue
        argv = exec_form(ins.rest)
        programs = programs_in(argv) if argv else ["/bin/sh"] + programs_in(["sh", "-c", ins.rest])[1:]
        problems += [f"{ins!r} runs `{p}`, which is not in the image" for p in programs if not build.program_exists(final, p)]
    argv, _ = build.healthcheck_argv(final)
    if argv:
        problems += [f"{final.healthcheck!r} runs `{p}`, which is not in the image"
                     for p in programs_in(argv) if not build.program_exists(final, p)]
    gunicorn = gunicorn_argv(build.command_argv(final)[0]) if final.cmd is not None else None
    if gunicorn is not None and "gunicorn" not in final.python_packages:
        problems.append("the command runs gunicorn, but the image never installs it: list gunicorn in requirements.txt")
    assert not problems, (
        "the build or the container would fail: " + "; ".join(problems) + ". python:3.11-slim has no curl, wget, "
        "git, gcc, ps or adduser: install what you run with apt-get, or use python (README: What the base image has)"
    )


@pytest.mark.rule("no-secrets")
def test_no_secret_in_env_or_arg(build):
    for ins in build.instructions:
        if ins.keyword not in ("ENV", "ARG"):
            continue
        for name, _ in assignments(ins.keyword, ins.rest):
            assert not SECRET_RE.search(name), (
                f"{ins!r}: {name} looks like a secret. ENV and ARG values are stored in the image and shown by "
                "`docker history`; inject secrets at run time (or RUN --mount=type=secret at build time)"
            )


@pytest.mark.rule("dockerignore")
def test_dockerignore_excludes_git_venv_and_env():
    assert DOCKERIGNORE.is_file(), "write a .dockerignore next to the Dockerfile"
    patterns = dockerignore_patterns(DOCKERIGNORE.read_text())
    for path, why in ((".git/HEAD", "history bloats the context"),
                      (".git/objects/pack/pack-1.pack", "history bloats the context"),
                      (".venv/bin/python", "a host virtualenv breaks the image"),
                      (".venv/lib/python3.11/site-packages/x.py", "a host virtualenv breaks the image"),
                      (".env", "local secrets would be copied by `COPY . .`")):
        assert is_ignored(patterns, path), f".dockerignore must exclude {path.split('/')[0]} ({path}): {why}"
