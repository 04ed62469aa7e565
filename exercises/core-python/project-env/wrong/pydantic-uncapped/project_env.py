"""Tell whether this interpreter runs inside a virtual environment."""
import sys


def in_virtualenv() -> bool:
    """True when running in a venv (or virtualenv >= 20).

    A venv's interpreter sets `sys.prefix` to the venv directory while `sys.base_prefix` still points at the
    Python it was created from. The VIRTUAL_ENV variable is only a hint left by `activate`: it survives in
    shells and subprocesses that run a different interpreter, so it is not evidence.
    """
    return sys.prefix != sys.base_prefix
