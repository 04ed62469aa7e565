"""Tell whether this interpreter runs inside a virtual environment. Read README.md, then fix in_virtualenv."""
import os
import sys  # noqa: F401 - you will need it


def in_virtualenv() -> bool:
    # TODO: VIRTUAL_ENV is set by `activate` and outlives the venv it names (a stale shell, an IDE, a
    # subprocess that calls another interpreter). Ask the interpreter instead.
    return "VIRTUAL_ENV" in os.environ
