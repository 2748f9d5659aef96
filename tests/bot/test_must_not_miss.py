"""SOS messages the model must never file under out_of_scope, and gibberish it must not take for an
SOS. Written independently of the training data, in all eight languages; the SOS messages of the
independent NLU test set (nlu/tests/independent, `make nlu-eval-independent`) are checked too.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from actions.db.models import Incident
from bench.nlu_data import ROOT, examples_by_language
from bot.settings import Settings
from tests.bot.chat import browser
from tests.bot.conftest import make_settings, running_app
from tests.conftest import NLU_TOKEN

pytestmark = pytest.mark.nlu

MUST_NOT_MISS = [
    # th
    "ช่วยด้วยค่ะ ลูกสาวจมน้ำ",
    "มีคนถูกแทงที่ซอยบางลา",
    "รถล้มคนเจ็บหนักมาก เรียกรถพยาบาลด่วน",
    "ไฟไหม้โรงแรม ออกไม่ได้",
    "ลูกหายที่หาดกะรน",
    # en
    "please help my dad is having a heart attack",
    "someone just got stabbed outside the bar",
    "car crash on the hill road, people hurt",
    "there is a fire in our hotel corridor",
    "my daughter is missing on Karon beach",
    "HELP",
    # zh
    "救命 我朋友溺水了",
    "我被抢劫了 快报警",
    "酒店着火了",
    "我儿子走丢了",
    # ru
    "помогите мой друг тонет",
    "на нас напали и ограбили",
    "в отеле пожар",
    "пропал ребенок на пляже",
    # ko
    "살려주세요 친구가 물에 빠졌어요",
    "교통사고가 났어요 다친 사람이 있어요",
    # ja
    "助けて 友達が溺れてる",
    "ホテルで火事です",
    # de
    "Hilfe mein Sohn ertrinkt",
    "Wir hatten einen Unfall mit dem Roller, mein Freund blutet",
    # fr
    "au secours mon fils se noie",
    "on m'a agressé et volé mon sac",
]

INDEPENDENT_SOS = [
    text
    for intents in examples_by_language(ROOT / "nlu" / "tests" / "independent").values()
    for text in intents["report_emergency"]
]

GIBBERISH = ["asdfghjkl", "ฟหกดฟหกด", "qwertyuiop", "ыфвафыва", "zzzzzz", "ㅁㄴㅇㄹㅁㄴㅇㄹ", "🙂🙂🙂🙂"]


def parse(nlu_url: str, text: str) -> dict:
    response = httpx.post(
        f"{nlu_url}/model/parse", params={"token": NLU_TOKEN}, json={"text": text}, timeout=30
    )
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("text", MUST_NOT_MISS + INDEPENDENT_SOS)
def test_the_model_never_files_an_sos_under_out_of_scope(nlu_url, text):
    intent = parse(nlu_url, text)["intent"]
    assert intent["name"] != "out_of_scope", intent


def test_the_independent_test_set_has_sos_messages_in_every_language():
    assert len(INDEPENDENT_SOS) >= 8 * 10


async def test_the_bot_records_every_must_not_miss_sos(nlu_url, tmp_path):
    """What the user gets: the model and the dialogue's safety net together record each SOS.

    The model alone sometimes files one of these under cancel or fallback (a retrain can move a
    message across that line); the SOS words, with no report of the user's open, still make it one.
    """
    messages = MUST_NOT_MISS + INDEPENDENT_SOS
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'sos.db'}", nlu_url)
    missed = []
    async with running_app(settings) as (app, client):
        for text in messages:
            # Each message from a new browser (no cookie): a new user with nothing open.
            response = await browser(client).post("/api/v1/chat", json={"text": text})
            assert response.status_code == 200, response.text
            async with app.state.sessions() as session:
                reference = response.json()["incident_reference"]
                recorded = await session.scalar(select(Incident).where(Incident.reference == reference))
            reply = response.json()["replies"][0]["text"]
            if recorded is None or recorded.reference not in reply:
                missed.append(text)
    assert missed == []


# What the bot acts on without asking (NLU_CONFIDENCE_THRESHOLD's default).
CONFIDENT = Settings.model_fields["nlu_confidence_threshold"].default


@pytest.mark.parametrize("text", GIBBERISH)
def test_gibberish_is_never_a_confident_sos(nlu_url, text):
    intent = parse(nlu_url, text)["intent"]
    assert not (intent["name"] == "report_emergency" and intent["confidence"] >= CONFIDENT), intent
