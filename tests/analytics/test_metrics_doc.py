"""docs/metrics.md renders the RFM grid that the code uses."""

from __future__ import annotations

from siyu.analytics.rfm import GRID
from tests.conftest import REPO_ROOT


def test_the_documented_rfm_grid_is_the_code_grid() -> None:
    text = (REPO_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    for r in range(1, 6):
        cells = " | ".join(GRID[(r, fm)] for fm in range(1, 6))
        assert f"| {r} | {cells} |" in text
