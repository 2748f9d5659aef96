"""The model `make nlu-train` trained (models/nlu.tar.gz, shared with the bot's tests) as a whole.

`make test` trains it once for the data and configuration at hand (a content hash decides) and both
test suites use it. These checks are the model's own: the bot's tests check what the bot does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "nlu.tar.gz"


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make nlu-train` (make test does it)", pytrace=False)
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def parse(agent, text: str) -> dict:
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize(
    ("text", "intent", "location"),
    [
        ("ช่วยด้วย มีคนจมน้ำที่หาดป่าตอง", "report_emergency", "หาดป่าตอง"),
        ("nearest hospital to Kata Noi", "find_hospital", "Kata Noi"),
        ("芭东附近的避难所在哪里", "find_shelter", "芭东"),
        ("где полиция на Патонге", "find_police", "Патонге"),
        ("カロンに津波警報は出ていますか", "warning_status", "カロン"),
        ("빠통 경찰서 어디예요", "find_police", None),
        ("Gibt es eine Unwetterwarnung für Rawai?", "warning_status", "Rawai"),
        ("je veux recevoir les alertes pour Karon", "subscribe_alerts", "Karon"),
    ],
)
def test_intents_and_places_in_every_language(agent, text, intent, location):
    result = parse(agent, text)
    assert result["intent"]["name"] == intent
    places = [e["value"].casefold() for e in result["entities"] if e["entity"] == "location"]
    if location:
        assert places == [location.casefold()]


def test_case_reference_and_incident_type(agent):
    status = parse(agent, "what is the status of PKT-7K3Q")
    assert status["intent"]["name"] == "incident_status"
    assert [e["value"] for e in status["entities"] if e["entity"] == "case_id"] == ["PKT-7K3Q"]
    drowning = parse(agent, "my friend is drowning at Kata")
    assert drowning["intent"]["name"] == "report_emergency"
    types = [e["value"] for e in drowning["entities"] if e["entity"] == "incident_type"]
    assert types == ["drowning"]


def test_every_parse_names_its_language(agent):
    assert parse(agent, "โรงพยาบาลใกล้ป่าตองที่สุด")["language"]["code"] == "th"
