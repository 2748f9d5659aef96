"""`safety-bot webhook set`: registers the webhook through each platform's SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.settings import get_settings
from tests.bot.channels.conftest import LINE_SECRET, LINE_TOKEN, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serving_in_thread
from tests.fakes.telegram_api import FakeTelegramApi


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("PUBLIC_BASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "LINE_CHANNEL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_line_webhook_set(environment):
    with serving_in_thread(FakeLineApi(LINE_TOKEN)) as line_api:
        environment.setenv("LINE_CHANNEL_SECRET", LINE_SECRET)
        environment.setenv("LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN)
        environment.setenv("LINE_API_BASE_URL", line_api.url)
        url = "https://safety.example.org/webhooks/line"
        result = CliRunner().invoke(main, ["webhook", "set", "--channel", "line", "--url", url])
    assert result.exit_code == 0, result.output
    [call] = line_api.calls("webhook_endpoint")
    assert call.method == "PUT" and call.data == {"endpoint": url}
    assert call.headers["Authorization"] == f"Bearer {LINE_TOKEN}"


def test_telegram_webhook_set_with_the_secret_token_and_the_default_url(environment):
    with serving_in_thread(FakeTelegramApi(TELEGRAM_TOKEN)) as telegram_api:
        environment.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
        environment.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
        environment.setenv("TELEGRAM_API_BASE_URL", telegram_api.url)
        environment.setenv("PUBLIC_BASE_URL", "https://safety.example.org/")
        result = CliRunner().invoke(main, ["webhook", "set", "--channel", "telegram"])
    assert result.exit_code == 0, result.output
    [call] = telegram_api.calls("setWebhook")
    assert call.data["url"] == "https://safety.example.org/webhooks/telegram"
    assert call.data["secret_token"] == TELEGRAM_SECRET
    assert "message" in call.data["allowed_updates"]


def webhook_set(*args: str):
    get_settings.cache_clear()
    return CliRunner().invoke(main, ["webhook", "set", *args])


def test_webhook_set_refuses_missing_credentials_and_plain_http(environment):
    no_token = webhook_set("--channel", "telegram", "--url", "https://x.org/w")
    environment.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    no_secret = webhook_set("--channel", "telegram", "--url", "https://x.org/w")
    http = webhook_set("--channel", "line", "--url", "http://x.org/w")
    no_url = webhook_set("--channel", "line")
    assert [r.exit_code for r in (no_token, no_secret, http, no_url)] == [2, 2, 2, 2]
    assert "TELEGRAM_BOT_TOKEN" in no_token.output
    assert "TELEGRAM_WEBHOOK_SECRET" in no_secret.output
    assert "https://" in http.output
    assert "PUBLIC_BASE_URL" in no_url.output
