"""`safety-bot chat`: the same dialogue in a terminal, driven through its standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from actions.replies import Button, Reply
from bot.channels.terminal import parse_input, render_plain
from tests.conftest import NLU_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def run_chat(database_url: str, nlu_url: str, lines: list[str]) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "NLU_URL": nlu_url, "NLU_TOKEN": NLU_TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--user", "terminal-test"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.nlu
def test_a_terminal_conversation(database_url, nlu_url):
    output = run_chat(
        database_url,
        nlu_url,
        # "3" picks the third menu button (nearest hospital), then the location answers it.
        ["hello", "3", "/loc 7.8965,98.3019", "SOS my friend collapsed on the beach, not breathing"],
    )
    assert "[3] Nearest hospital" in output
    assert "1. Patong Hospital" in output
    assert "PKT-" in output and "1669" in output


def test_render_plain_numbers_the_buttons():
    reply = Reply("Choose", buttons=(Button("Hospital", "/find_hospital"), Button("Police", "/find_police")))
    assert render_plain(reply, numbered_from=3) == "Choose\n  [3] Hospital\n  [4] Police"


def test_parse_input_turns_numbers_into_button_payloads_and_reads_locations():
    choices = [Button("Hospital", "/find_hospital")]
    assert parse_input("1", choices).text == "/find_hospital"
    location = parse_input("/loc 7.89, 98.30", choices).location
    assert (location.lat, location.lon) == (7.89, 98.30)
    assert parse_input("   ", choices) is None
