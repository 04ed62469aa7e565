"""Verifier for project-env: pyproject.toml metadata, .gitignore, and virtualenv detection."""
import pathlib
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

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


def test_requires_python_is_3_11_or_newer(project):
    spec = project.get("requires-python")
    assert spec, "set requires-python in [project]"
    spec = SpecifierSet(spec)
    assert not spec.contains("3.10"), f"requires-python {spec} still admits Python 3.10: the code needs 3.11"
    assert spec.contains("3.11") and spec.contains("3.12"), f"requires-python {spec} must admit 3.11 and 3.12"


def test_runtime_dependencies_have_lower_bounds(project):
    deps = requirements(project.get("dependencies", []))
    for name in ("fastapi", "pydantic", "httpx"):
        assert name in deps, f"{name} must be listed in [project] dependencies"
    for name, req in deps.items():
        ops = {s.operator for s in req.specifier}
        assert not ops & {"==", "==="}, (
            f"dependency {req} is pinned exactly: pins belong in a lock file, a project declares ranges"
        )
        assert ">=" in ops, f"dependency {req} needs a lower bound (>=) so pip cannot pick an ancient version"


def test_pydantic_is_capped_below_3(project):
    pyd = requirements(project.get("dependencies", [])).get("pydantic")
    assert pyd is not None, "pydantic must be a runtime dependency"
    assert not pyd.specifier.contains("3.0"), (
        f"{pyd} admits pydantic 3.0: cap the next major version (<3), which will break the API"
    )
    assert pyd.specifier.contains("2.9"), f"{pyd} must still admit pydantic 2.9"


def test_pytest_only_in_dev_extra(project):
    deps = requirements(project.get("dependencies", []))
    assert "pytest" not in deps, "pytest is a test tool: it must not be a runtime dependency"
    dev = project.get("optional-dependencies", {}).get("dev")
    assert dev, "add a `dev` extra: [project.optional-dependencies] dev = [...]"
    dev = requirements(dev)
    assert "pytest" in dev, "the `dev` extra must include pytest"
    assert ">=" in {s.operator for s in dev["pytest"].specifier}, "give pytest in the dev extra a >= bound too"


def test_gitignore_covers_venv_and_env():
    path = HERE / ".gitignore"
    assert path.exists(), ".gitignore is missing"
    entries = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.add(line.strip("/"))
    assert ".venv" in entries, ".gitignore must ignore the .venv directory"
    assert ".env" in entries, ".gitignore must ignore .env (it holds secrets)"


def test_in_virtualenv_matches_this_interpreter():
    expected = sys.prefix != sys.base_prefix
    assert project_env.in_virtualenv() is expected, (
        f"sys.prefix={sys.prefix!r}, sys.base_prefix={sys.base_prefix!r}: in_virtualenv() must return {expected}"
    )


def test_in_virtualenv_uses_the_prefixes(monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setattr(sys, "prefix", "/srv/quotes/.venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    assert project_env.in_virtualenv() is True, (
        "sys.prefix differs from sys.base_prefix, so this is a venv even without VIRTUAL_ENV (e.g. run as"
        " .venv/bin/python without activating)"
    )


def test_stale_virtual_env_variable_is_ignored(monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", "/home/me/old-project/.venv")
    monkeypatch.setattr(sys, "prefix", "/usr")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    assert project_env.in_virtualenv() is False, (
        "VIRTUAL_ENV is set but sys.prefix == sys.base_prefix: that variable is stale, this is the system Python"
    )
