"""Markers of the reliability suites (``fuzz``: has a long form under ``make fuzz``)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fuzz: reliability/security test with a long form (PLEXMS_FUZZ=long)"
    )
