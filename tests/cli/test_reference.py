from __future__ import annotations

from siyu.cli.reference import render
from tests.conftest import REPO_ROOT


def test_cli_reference_is_current() -> None:
    stored = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert stored == render(), "docs/cli.md is stale: python -m siyu.cli.reference > docs/cli.md"
