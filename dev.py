#!/usr/bin/env python3
"""Set up siyu in ./.venv and run it: `python3 dev.py demo` or `python3 dev.py test`.

Needs nothing but Python 3.11+. Creates .venv on first use and reinstalls only when
pyproject.toml changes, so both commands are safe to re-run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".siyu-install-stamp"


def sh(*args: str | Path) -> None:
    print("+", " ".join(str(arg) for arg in args), flush=True)
    result = subprocess.run([str(arg) for arg in args], cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may be run by an older Python)
        sys.exit(f"siyu needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except subprocess.CalledProcessError:
            sys.exit(
                "could not create a virtualenv: install your Python's venv module "
                "(on Debian/Ubuntu: apt install python3-venv)"
            )
    fingerprint = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != fingerprint:
        sh(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(fingerprint)


def run_tests(extra: list[str]) -> None:
    """Format, lint, types and tests, exactly as CI runs them."""
    sources = [name for name in ("src", "tests", "benchmarks", "dev.py") if (ROOT / name).exists()]
    sh(BIN / "ruff", "format", "--check", *sources)
    sh(BIN / "ruff", "check", *sources)
    sh(BIN / "mypy")
    sh(BIN / "python", "-m", "pytest", *extra)


def run_demo(extra: list[str]) -> None:
    """The main job on the embedded default (SQLite file ./siyu.db): the demo merchant, then
    the console at http://127.0.0.1:8000/ (Ctrl-C stops it)."""
    sh(BIN / "siyu", "init")
    sh(BIN / "siyu", "demo", *extra)
    sh(BIN / "siyu", "serve")


def main() -> None:
    commands = {"test": run_tests, "demo": run_demo}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(commands)}}} [args...]\n{__doc__}")
    ensure_environment()
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
