"""Verifier for dockerfile-check: a static lint of the learner's Dockerfile and .dockerignore.

There is no Docker engine here, so the file is parsed the way BuildKit reads it: comments and parser
directives are dropped, a trailing backslash joins the next line (comment lines inside a continued
instruction are skipped, as Docker does), and each instruction is split into keyword, flags and arguments.
"""
import fnmatch
import json
import pathlib
import re
import shlex

import pytest

HERE = pathlib.Path(__file__).resolve().parent
DOCKERFILE = HERE / "Dockerfile"
DOCKERIGNORE = HERE / ".dockerignore"

BASE_RE = re.compile(r"^python:3\.11(\.\d+)?-slim(-bookworm|-bullseye|-trixie)?(@sha256:[0-9a-f]{64})?$")
SECRET_RE = re.compile(r"(SECRET|PASSW(OR)?D|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)
WORKERS = ("uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker")


class Instruction:
    def __init__(self, keyword, rest, line):
        self.keyword = keyword.upper()
        self.rest = rest.strip()
        self.line = line

    def flags_and_args(self):
        """Split `--flag=value` options off the front of the arguments (COPY --chown=..., FROM --platform=...)."""
        words = self.rest.split()
        flags = {}
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name.lower()] = value
        return flags, words

    def __repr__(self):
        return f"line {self.line}: {self.keyword} {self.rest}"


def parse_dockerfile(text):
    instructions = []
    buffer, start = "", None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue  # comments, parser directives, and comment lines inside a continuation
        if not stripped:
            continue  # blank lines, including empty lines inside a continuation (Docker skips them)
        if start is None:
            start = number
        if raw.rstrip().endswith("\\"):
            buffer += raw.rstrip()[:-1] + " "
            continue
        buffer += raw
        if buffer.strip():
            keyword, _, rest = buffer.strip().partition(" ")
            instructions.append(Instruction(keyword, rest, start))
        buffer, start = "", None
    if buffer.strip():
        keyword, _, rest = buffer.strip().partition(" ")
        instructions.append(Instruction(keyword, rest, start))
    return instructions


def stages(instructions):
    out = []
    for ins in instructions:
        if ins.keyword == "FROM":
            out.append([ins])
        elif out:
            out[-1].append(ins)
    return out


def json_form(ins):
    """The exec-form argv of a CMD/ENTRYPOINT, or None if it is shell form."""
    try:
        value = json.loads(ins.rest)
    except ValueError:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def env_names(ins):
    """Variable names set by ENV (KEY=value ... or the legacy `ENV KEY value`) or ARG."""
    try:
        words = shlex.split(ins.rest)
    except ValueError:
        words = ins.rest.split()
    if not words:
        return []
    if ins.keyword == "ENV" and "=" not in words[0]:
        return [words[0]]
    return [w.split("=", 1)[0] for w in words if ins.keyword == "ARG" or "=" in w]


@pytest.fixture(scope="module")
def instructions():
    assert DOCKERFILE.is_file(), "write a file named Dockerfile in the exercise folder"
    parsed = parse_dockerfile(DOCKERFILE.read_text())
    assert parsed and parsed[0].keyword in ("FROM", "ARG"), "a Dockerfile starts with FROM (or ARG before FROM)"
    return parsed


@pytest.fixture(scope="module")
def final(instructions):
    return stages(instructions)[-1]


def test_base_image_is_slim_and_pinned(instructions):
    names = set()  # aliases of earlier stages: FROM <image> AS <name>
    for stage in stages(instructions):
        _, args = stage[0].flags_and_args()
        if len(args) == 3 and args[1].lower() == "as":
            names.add(args[2].lower())
    for stage in stages(instructions):
        _, args = stage[0].flags_and_args()
        image = args[0] if args else ""
        if image.lower() in names:
            continue  # FROM an earlier build stage
        assert BASE_RE.match(image), (
            f"{stage[0]!r}: the base image must be python:3.11-slim (optionally a patch tag like "
            f"python:3.11.9-slim, or pinned with @sha256:<digest>), not {image!r}: `latest` and bare `3` "
            "change under you, and the full image is ~1 GB of compilers you do not ship"
        )


def _is_requirements_copy(ins):
    flags, args = ins.flags_and_args()
    sources = args[:-1]
    return "from" not in flags and sources and all(re.search(r"requirements[^/]*\.txt$", s) for s in sources)


def _is_pip_install(ins):
    return ins.keyword == "RUN" and re.search(r"\bpip3?\s+install\b", ins.rest)


def test_dependencies_installed_before_source_is_copied(final):
    req = [i for i, ins in enumerate(final) if ins.keyword == "COPY" and _is_requirements_copy(ins)]
    pip = [i for i, ins in enumerate(final) if _is_pip_install(ins) and "requirements" in ins.rest]
    assert req, "COPY requirements.txt on its own (e.g. `COPY requirements.txt .`) so the dependency layer caches"
    assert pip, "RUN pip install --no-cache-dir -r requirements.txt in the final stage"
    src = [
        i for i, ins in enumerate(final)
        if ins.keyword in ("COPY", "ADD") and not _is_requirements_copy(ins) and "from" not in ins.flags_and_args()[0]
    ]
    assert src, "copy the application source (e.g. `COPY . .`) after installing dependencies"
    assert req[0] < pip[0], f"{final[req[0]]!r} must come before {final[pip[0]]!r}"
    assert pip[0] < min(src), (
        f"{final[min(src)]!r} copies source before {final[pip[0]]!r}: every code edit would then "
        "invalidate the pip layer and reinstall every dependency; copy requirements, install, then copy source"
    )


def test_pip_does_not_keep_its_cache(instructions):
    installs = [ins for ins in instructions if _is_pip_install(ins)]
    assert installs, "install dependencies with RUN pip install ..."
    for ins in installs:
        for command in re.split(r"&&|;", ins.rest):
            if re.search(r"\bpip3?\s+install\b", command):
                assert "--no-cache-dir" in command, (
                    f"{ins!r}: pass --no-cache-dir to every pip install; the wheel cache is dead weight in the image"
                )


def test_runs_as_non_root_user_before_cmd(final):
    users = [i for i, ins in enumerate(final) if ins.keyword == "USER"]
    cmds = [i for i, ins in enumerate(final) if ins.keyword == "CMD"]
    assert cmds, "the final stage needs a CMD"
    assert users, "add a USER instruction in the final stage: containers run as root by default"
    user = final[users[-1]].rest.split(":")[0].strip()
    assert user not in ("root", "0", ""), f"{final[users[-1]]!r}: the last USER must not be root"
    assert users[-1] < cmds[-1], f"{final[users[-1]]!r} must come before {final[cmds[-1]]!r}"


def test_cmd_is_exec_form_gunicorn_with_uvicorn_worker(final):
    cmds = [ins for ins in final if ins.keyword == "CMD"]
    assert cmds, "the final stage needs a CMD"
    argv = json_form(cmds[-1])
    assert argv is not None, (
        f"{cmds[-1]!r} is shell form: /bin/sh becomes PID 1 and SIGTERM never reaches gunicorn, so every "
        'deploy waits for the kill timeout. Use a JSON array: CMD ["gunicorn", ...]'
    )
    program = argv[0].rsplit("/", 1)[-1]
    runs_gunicorn = program == "gunicorn" or (program.startswith("python") and argv[1:3] == ["-m", "gunicorn"])
    assert runs_gunicorn, f"CMD must start gunicorn (['gunicorn', ...] or ['python', '-m', 'gunicorn', ...]), got {argv}"
    joined = " ".join(argv)
    assert any(w in joined for w in WORKERS), (
        f"CMD must select the ASGI worker class: -k uvicorn.workers.UvicornWorker (or uvicorn_worker.UvicornWorker); got {argv}"
    )


def test_exposes_8000(final):
    ports = [p.split("/")[0] for ins in final if ins.keyword == "EXPOSE" for p in ins.rest.split()]
    assert "8000" in ports, "EXPOSE 8000 in the final stage (it documents the port gunicorn binds)"


def test_healthcheck_probes_healthz(final):
    checks = [ins for ins in final if ins.keyword == "HEALTHCHECK"]
    assert checks, "add a HEALTHCHECK to the final stage"
    _, args = checks[-1].flags_and_args()
    assert args and args[0].upper() == "CMD", f"{checks[-1]!r}: use HEALTHCHECK [options] CMD ..., not NONE"
    assert "/healthz" in checks[-1].rest, f"{checks[-1]!r}: the health check should probe /healthz on port 8000"


def test_no_secrets_baked_into_env_or_arg(instructions):
    for ins in instructions:
        if ins.keyword in ("ENV", "ARG"):
            for name in env_names(ins):
                assert not SECRET_RE.search(name), (
                    f"{ins!r}: {name} looks like a secret. ENV and ARG values are stored in the image and "
                    "shown by `docker history`; inject secrets at run time (or RUN --mount=type=secret at build time)"
                )


def _ignored(patterns, name):
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        p = pattern[1:] if negate else pattern
        p = p.strip().lstrip("/").rstrip("/")
        if p.startswith("**/"):
            p = p[3:]
        if p and fnmatch.fnmatchcase(name, p):
            ignored = not negate
    return ignored


def test_dockerignore_excludes_git_venv_and_env():
    assert DOCKERIGNORE.is_file(), "write a .dockerignore next to the Dockerfile"
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    for name, why in ((".git", "history bloats the context"), (".venv", "a host virtualenv breaks the image"),
                      (".env", "local secrets would be copied by `COPY . .`")):
        assert _ignored(patterns, name), f".dockerignore must exclude {name}: {why}"
