"""A relayed CAP alert reaches the chatbot: "/warning_status" (a button, no NLU) answers with it."""

from __future__ import annotations

from tests.alerts.conftest import Api, post_cap, tmd_sample
from tests.bot.chat import Conversation


async def test_a_cap_alert_shows_in_the_warning_status_answer(api: Api):
    tourist = Conversation(api.client, "tourist")
    before = await tourist.say("/warning_status")
    assert "Tsunami warning" not in before

    assert (await post_cap(api, tmd_sample())).status_code == 201
    answer = await tourist.say("/warning_status")
    assert "Tsunami warning for the Andaman coast of Phuket" in answer
    assert "Thai Meteorological Department" in answer

    thai = Conversation(api.client, "thai-resident")
    await thai.send({"text": "/warning_status", "language": "th"})
    assert "เตือนภัยคลื่นสึนามิ ชายฝั่งทะเลอันดามัน จังหวัดภูเก็ต" in thai.text
