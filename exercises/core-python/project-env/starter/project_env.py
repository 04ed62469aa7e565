"""Tell whether this interpreter runs inside a virtual environment. Read README.md, then write in_virtualenv."""
import sys  # noqa: F401 - you will need it


def in_virtualenv() -> bool:
    # TODO: don't trust the VIRTUAL_ENV variable: `activate` sets it and it outlives the venv it names (a stale
    # shell, an IDE, a subprocess that calls another interpreter). Ask the running interpreter instead.
    raise NotImplementedError("in_virtualenv")
