"""Verifier for project-env: pyproject.toml metadata, .gitignore, and virtualenv detection.

Each test names the README rule(s) it checks. `.gitignore` is judged by git itself (`git check-ignore` in a
scratch repository), not by reading its lines, so `.env/` (a directory-only pattern) does not pass for `.env`.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from roadmap_pytest import service_missing

import project_env

HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def project():
    path = HERE / "pyproject.toml"
    assert path.exists(), "pyproject.toml is missing"
    with path.open("rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            pytest.fail(f"pyproject.toml is not valid TOML: {exc}", pytrace=False)
    assert "project" in data, "pyproject.toml needs a [project] table"
    return data["project"]


def requirements(strings):
    return {canonicalize_name(r.name): r for r in map(Requirement, strings)}


def operators(req):
    return {s.operator for s in req.specifier}


@pytest.mark.rule("requires-python")
def test_requires_python_is_3_11_or_newer(project):
    spec = project.get("requires-python")
    assert spec, "set requires-python in [project]"
    spec = SpecifierSet(spec)
    for version in ("3.11", "3.11.0", "3.11.9", "3.12", "3.13", "3.14"):
        assert spec.contains(version), f"requires-python {spec} must admit Python {version}"
    for version in ("3.10", "3.10.12", "3.9", "3.6"):
        assert not spec.contains(version), f"requires-python {spec} still admits Python {version}: the code needs 3.11"


@pytest.mark.rule("runtime-deps-bounded")
def test_runtime_dependencies_have_lower_bounds_and_no_pins(project):
    deps = requirements(project.get("dependencies", []))
    for name in ("fastapi", "pydantic", "httpx"):
        assert name in deps, f"{name} must be listed in [project] dependencies"
    for req in deps.values():
        assert not operators(req) & {"==", "==="}, (
            f"dependency {req} is pinned exactly: pins belong in a lock file, a project declares ranges"
        )
        assert ">=" in operators(req), f"dependency {req} needs a lower bound (>=) so pip cannot pick an ancient version"


@pytest.mark.rule("pydantic-capped")
def test_pydantic_is_capped_below_3(project):
    pyd = requirements(project.get("dependencies", [])).get("pydantic")
    assert pyd is not None, "pydantic must be a runtime dependency"
    for version in ("3.0", "3.0.0", "3.1", "3.5.2"):
        assert not pyd.specifier.contains(version), (
            f"{pyd} admits pydantic {version}: cap the next major version (<3), which will break the API"
        )
    for version in ("2.9", "2.11"):
        assert pyd.specifier.contains(version), f"{pyd} must still admit pydantic {version}"


@pytest.mark.rule("pytest-not-runtime")
def test_pytest_is_not_a_runtime_dependency(project):
    deps = requirements(project.get("dependencies", []))
    assert "pytest" not in deps, f"pytest is a test tool: it must not be a runtime dependency ({deps['pytest']})"


@pytest.mark.rule("pytest-dev-extra")
def test_pytest_is_in_the_dev_extra(project):
    dev = project.get("optional-dependencies", {}).get("dev")
    assert dev, "add a `dev` extra: [project.optional-dependencies] dev = [...]"
    dev = requirements(dev)
    assert "pytest" in dev, "the `dev` extra must include pytest"
    assert ">=" in operators(dev["pytest"]), f"give pytest in the dev extra a >= bound too, got {dev['pytest']}"


@pytest.fixture
def scratch_repo(tmp_path):
    """A fresh git repository holding the learner's .gitignore, a .venv/ directory and a .env file."""
    git = shutil.which("git")
    if git is None:
        service_missing("this exercise needs git to check .gitignore: install git")
    gitignore = HERE / ".gitignore"
    assert gitignore.exists(), ".gitignore is missing"
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / ".venv" / "bin" / "python").write_text("")
    (repo / ".env").write_text("DATABASE_URL=postgresql://app:secret@db/app\n")
    shutil.copy(gitignore, repo / ".gitignore")
    # Only the learner's .gitignore may decide: no global excludes file, no system or user config.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "no-gitconfig"),
    }
    subprocess.run([git, "init", "-q"], cwd=repo, env=env, check=True)

    def ignored(path):
        result = subprocess.run([git, "check-ignore", "-q", path], cwd=repo, env=env)
        assert result.returncode in (0, 1), f"git check-ignore {path} failed (exit {result.returncode})"
        return result.returncode == 0

    return ignored


@pytest.mark.rule("gitignore-venv")
def test_gitignore_ignores_the_venv(scratch_repo):
    for path in (".venv", ".venv/pyvenv.cfg", ".venv/bin/python"):
        assert scratch_repo(path), f"git does not ignore {path}: add `.venv/` to .gitignore"


@pytest.mark.rule("gitignore-env")
def test_gitignore_ignores_the_env_file(scratch_repo):
    assert scratch_repo(".env"), (
        "git does not ignore the .env file: add `.env` to .gitignore (`.env/` matches only a directory)"
    )


@pytest.fixture
def interpreter(monkeypatch):
    def set_up(prefix, base_prefix, virtual_env):
        monkeypatch.setattr(sys, "prefix", prefix)
        monkeypatch.setattr(sys, "base_prefix", base_prefix)
        if virtual_env is None:
            monkeypatch.delenv("VIRTUAL_ENV", raising=False)
        else:
            monkeypatch.setenv("VIRTUAL_ENV", virtual_env)

    return set_up


@pytest.mark.rule("venv-from-prefixes")
def test_in_virtualenv_reads_the_prefixes_when_called(interpreter):
    interpreter("/srv/quotes/.venv", "/usr", "/srv/quotes/.venv")
    assert project_env.in_virtualenv() is True, "sys.prefix /srv/quotes/.venv differs from sys.base_prefix /usr: a venv"
    interpreter("/usr", "/usr", None)
    assert project_env.in_virtualenv() is False, "sys.prefix == sys.base_prefix == /usr: the system Python, not a venv"
    interpreter("/opt/py/envs/quotes", "/opt/py/3.12", "/opt/py/envs/quotes")
    assert project_env.in_virtualenv() is True, (
        "after sys.prefix changed again the answer must change too: read sys.prefix when in_virtualenv() is called"
    )


@pytest.mark.rule("virtual-env-ignored", "venv-from-prefixes")
def test_a_stale_virtual_env_variable_is_ignored(interpreter):
    interpreter("/usr", "/usr", "/home/me/old-project/.venv")
    assert project_env.in_virtualenv() is False, (
        "VIRTUAL_ENV is set but sys.prefix == sys.base_prefix: that variable is stale, this is the system Python"
    )


@pytest.mark.rule("virtual-env-ignored", "venv-from-prefixes")
def test_an_unactivated_venv_is_detected(interpreter):
    interpreter("/srv/quotes/.venv", "/usr", None)
    assert project_env.in_virtualenv() is True, (
        "sys.prefix differs from sys.base_prefix, so this is a venv even without VIRTUAL_ENV (run as"
        " .venv/bin/python without activating)"
    )


@pytest.mark.rule("virtual-env-ignored", "venv-from-prefixes")
def test_virtual_env_naming_another_place_is_ignored(interpreter):
    interpreter("/srv/quotes/.venv", "/usr", "/home/me/old-project/.venv")
    assert project_env.in_virtualenv() is True, (
        "sys.prefix differs from sys.base_prefix, so this is a venv, even though VIRTUAL_ENV names another one (left over"
        " from an earlier `activate`): judge by the prefixes alone"
    )
    interpreter("/usr", "/usr", "/usr")
    assert project_env.in_virtualenv() is False, (
        "sys.prefix == sys.base_prefix is the system Python, whatever VIRTUAL_ENV says (even VIRTUAL_ENV == sys.prefix)"
    )
