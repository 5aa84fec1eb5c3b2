"""Generated demo data sets, made once per test session."""

from __future__ import annotations

from datetime import date

import pytest

from siyu.demo import DemoManifest, generate

END = date(2025, 6, 30)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate(tmp_path_factory.mktemp("small-demo"), customers=1_500, seed=11, end=END)


@pytest.fixture(scope="session")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    """The default size the lead's `siyu demo` uses."""
    return generate(tmp_path_factory.mktemp("full-demo"), end=END)
