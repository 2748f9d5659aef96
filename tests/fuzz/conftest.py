"""The fuzz runs' counts, printed in the test run's summary (and so in the CI log)."""

from __future__ import annotations

import pytest

from tests.bot.channels.conftest import line_api, telegram_api
from tests.bot.conftest import dead_nlu_url

__all__ = ["dead_nlu_url", "line_api", "telegram_api"]

FUZZ_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FUZZ_SUMMARY:
        terminalreporter.section("fuzzing")
        for line in FUZZ_SUMMARY:
            terminalreporter.write_line(line)
