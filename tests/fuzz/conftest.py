"""Fixtures of the fuzz runs; their counts go to the test run's summary (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.bot.channels.conftest import line_api, telegram_api
from tests.bot.conftest import dead_nlu_url
from tests.conftest import FUZZ_PROPERTY

__all__ = ["dead_nlu_url", "fuzz_summary", "line_api", "telegram_api"]


@pytest.fixture
def fuzz_summary(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Adds a line to the "fuzzing" section of the summary (a report property: xdist carries it)."""
    return lambda line: request.node.user_properties.append((FUZZ_PROPERTY, line))
