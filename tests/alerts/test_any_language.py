"""Alerts in any language the bot speaks: an English-only tsunami warning reaches a Russian subscriber
in Russian words (hazard, severity, urgency, the standard instruction) with the English headline."""

from __future__ import annotations

import pytest
from lxml import etree

from actions.alerts.presentation import fallback_wording
from actions.db.models import Alert
from actions.domain import SUPPORTED_LANGUAGES
from actions.i18n import default_translator
from tests.alerts.conftest import EN_ONLY_SAMPLE, NS, Api, post_cap, tmd_sample
from tests.api.conftest import open_api
from tests.bot.channels.conftest import telegram_settings
from tests.bot.chat import Conversation
from tests.broadcast.conftest import Subscriber, add_subscribers, delivered
from tests.fakes.telegram_api import FakeTelegramApi

HEADLINE = "Tsunami warning: Andaman Sea coast of Thailand"
AGENCY_INSTRUCTION = "evacuate beaches and low-lying areas immediately"
# Russian, as a Russian tourist reads it: the hazard, severity and urgency, then what to do.
RUSSIAN_SUMMARY = "🔴 Цунами – чрезвычайная опасность, действуйте немедленно"
RUSSIAN_INSTRUCTION = "Немедленно покиньте пляж и уходите вглубь суши или на возвышенность."
RUSSIAN_ORIGINAL = f"Оригинал (английский): {HEADLINE}"

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_an_english_only_tsunami_warning_reaches_a_russian_subscriber_in_patong_in_russian(
    database_url: str, dead_nlu_url: str, telegram_api: FakeTelegramApi
):
    settings = telegram_settings(
        database_url, dead_nlu_url, telegram_api, load_demo_places=False, delivery_poll_interval_s=0.05
    )
    async with open_api(settings) as api:
        await add_subscribers(
            api.app.state.sessions,
            [
                Subscriber("telegram", "5001", language="ru", zone="patong"),
                Subscriber("telegram", "5002", language="en", zone="patong"),
                # Phuket Town is on the other coast, outside the warned polygon.
                Subscriber("telegram", "5003", language="ru", zone="phuket_town"),
            ],
        )
        response = await post_cap(api, tmd_sample(path=EN_ONLY_SAMPLE))
        assert response.status_code == 201, response.text
        [written] = response.json()["alerts"]
        assert written["alert"]["headline"] == {"en": HEADLINE}
        assert written["fallback_languages"] == ["th", "zh", "ru", "ko", "ja", "de", "fr"]
        assert written["deliveries"] == 2
        await delivered(api.app.state.sessions, written["alert"]["id"])

        [russian] = telegram_api.sent(5001)
        lines = russian["text"].splitlines()
        assert lines[0] == RUSSIAN_SUMMARY
        assert RUSSIAN_INSTRUCTION in russian["text"]
        assert RUSSIAN_ORIGINAL in lines
        assert lines[-1] == "— Indian Ocean Tsunami Warning Centre"
        assert AGENCY_INSTRUCTION not in russian["text"]

        [english] = telegram_api.sent(5002)
        assert english["text"].startswith(f"🔴 Tsunami: {HEADLINE}")
        assert AGENCY_INSTRUCTION in english["text"] and "Original" not in english["text"]
        assert telegram_api.sent(5003) == []

        # The chat's warning answer says the same to a Russian tourist who asks.
        tourist = Conversation(api.client, "tourist-ru")
        await tourist.send({"text": "/warning_status", "language": "ru"})
        assert RUSSIAN_SUMMARY in tourist.text
        assert RUSSIAN_INSTRUCTION in tourist.text and RUSSIAN_ORIGINAL in tourist.text

        # Our CAP export carries the sender's words only: the one English <info>.
        exported = etree.fromstring(
            (await api.client.get(f"/api/v1/alerts/{written['alert']['id']}/cap")).content
        )
        languages = [
            info.findtext("cap:language", namespaces=NS) for info in exported.findall("cap:info", NS)
        ]
        assert languages == ["en-US"]


async def test_a_thai_only_alert_is_shown_in_thai_to_thai_readers_and_in_our_words_to_others(api: Api):
    thai_only = tmd_sample()
    # Drop the English <info>: the Thai one is all there is.
    thai_only = thai_only[: thai_only.index(b"<info>", thai_only.index(b"</info>"))] + b"</alert>"
    response = await post_cap(api, thai_only)
    assert response.status_code == 201, response.text
    [written] = response.json()["alerts"]
    # Event, times and areas come from the Thai <info>; so does the agency's name.
    assert written["alert"]["hazard"] == "tsunami" and written["alert"]["agency"] == "กรมอุตุนิยมวิทยา"
    assert written["alert"]["area"]["zones"] == ["kamala"]

    thai = Conversation(api.client, "thai-resident")
    await thai.send({"text": "/warning_status", "language": "th"})
    assert "เตือนภัยคลื่นสึนามิ ชายฝั่งทะเลอันดามัน จังหวัดภูเก็ต" in thai.text
    assert "ต้นฉบับ" not in thai.text

    english = Conversation(api.client, "visitor")
    await english.send({"text": "/warning_status", "language": "en"})
    assert "Tsunami – extreme, act now" in english.text
    assert "Leave the beach and move inland or to high ground now." in english.text
    assert "Original (Thai): เตือนภัยคลื่นสึนามิ ชายฝั่งทะเลอันดามัน จังหวัดภูเก็ต" in english.text


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_every_language_without_its_own_text_gets_words_of_its_own(language: str):
    alert = Alert(
        hazard="rip_current",
        severity="Severe",
        urgency="Expected",
        headline={"en": "Rip currents at Kata"},
        instruction={"en": "Swim between the flags"},
    )
    translator = default_translator()
    wording = fallback_wording(alert, language, translator)
    assert wording is not None
    assert wording.summary != "Rip current – severe, act within the hour"
    assert wording.instruction != translator("en", "standard_instruction.rip_current")
    assert wording.original.endswith("Rip currents at Kata")
    assert fallback_wording(alert, "en", translator) is None
