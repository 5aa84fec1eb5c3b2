"""Whether this process can start another Python interpreter, for the helpers that parse an
import or read a refresh's facts in a second process (`python -m …`)."""

from __future__ import annotations

import sys
from pathlib import Path


def can_start_python() -> bool:
    """False when Python is embedded: `sys.executable` is then empty, or the host program
    (uWSGI, mod_wsgi's Apache), which must not be run with `-m`. The caller then does the
    work in its own process (slower, same result)."""
    if not sys.executable:
        return False
    return Path(sys.executable).name.lower().startswith(("python", "pypy"))
