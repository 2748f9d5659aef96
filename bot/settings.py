"""Settings from the environment (and `.env`); secrets are `SecretStr` and never logged."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/safety.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///... or postgresql+asyncpg://...",
    )
    bot_host: str = "127.0.0.1"
    bot_port: int = 8000

    nlu_url: str = "http://127.0.0.1:5005"
    nlu_token: SecretStr | None = None
    nlu_timeout_s: float = 1.5
    # Below this intent confidence the bot answers with the menu instead of guessing.
    nlu_confidence_threshold: float = 0.35
    # Below this language-identification confidence the stored preference wins.
    language_confidence_threshold: float = 0.7

    load_demo_places: bool = True
    flow_timeout_minutes: int = 30
    log_level: str = "INFO"

    # Responders: every incident create/update goes to these (each optional).
    responder_webhook_url: str | None = None
    responder_line_to: str | None = None
    responder_telegram_chat_id: str | None = None
    responder_language: str = "th"

    # Messaging channels: a channel without its credentials is off.
    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base_url: str = "https://api.line.me"
    line_data_api_base_url: str = "https://api-data.line.me"
    telegram_bot_token: SecretStr | None = None
    # Required for the Telegram webhook (PUBLIC_BASE_URL set); polling needs only the token.
    telegram_webhook_secret: SecretStr | None = None
    # The Bot API root; the app appends /bot<token> as Telegram does.
    telegram_api_base_url: str = "https://api.telegram.org"
    # Where the platforms reach this app (https://...); unset means Telegram long polling.
    public_base_url: str | None = None
    # Per-call timeout and attempts for calls to the messaging platforms.
    outbound_timeout_s: float = 10.0
    outbound_attempts: int = 4

    # Alert broadcasts: the delivery worker (inside the app, and/or `safety-bot worker`).
    delivery_worker_enabled: bool = True
    # Attempts per delivery before it ends `failed`; retries back off exponentially.
    delivery_max_attempts: int = Field(default=5, ge=1)
    delivery_retry_base_s: float = Field(default=10.0, gt=0)
    delivery_retry_max_s: float = Field(default=600.0, gt=0)
    # Workers renew their claims; one not renewed for this long was a worker's that died.
    delivery_claim_ttl_s: float = Field(default=60.0, gt=0)
    delivery_poll_interval_s: float = Field(default=1.0, gt=0)
    # Per worker process. LINE documents 200 multicast requests per second per channel.
    line_multicast_rate: float = Field(default=200.0, gt=0)
    # Per worker process: Telegram allows about 30 messages per second per bot.
    telegram_broadcast_rate: float = Field(default=30.0, gt=0)
    telegram_broadcast_concurrency: int = Field(default=8, ge=1)

    # Trust: web identity, abuse limits, request sizes, the SOS journal (README "Security").
    # Signs the web chat's identity cookie; unset: generated once and kept in the database.
    web_session_secret: SecretStr | None = None
    # Peers whose X-Forwarded-For is believed (comma-separated addresses or networks).
    trusted_proxies: str = ""
    # Messages per minute per user (web identity, LINE user, Telegram chat) and per web address.
    rate_limit_user_per_minute: int = Field(default=20, ge=1)
    rate_limit_address_per_minute: int = Field(default=120, ge=1)
    # New incidents per hour before further SOS reports are grouped under the latest open one.
    incidents_per_user_per_hour: int = Field(default=5, ge=1)
    incidents_per_address_per_hour: int = Field(default=30, ge=1)
    # Request bodies above these are refused (413) before they are parsed.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_chat_request_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    max_import_request_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # SOS reports received while the database is down wait here until it is back.
    sos_journal_dir: Path = Path("var/sos-journal")
    sos_journal_replay_interval_s: float = Field(default=2.0, gt=0)
    # The CAP feed relay (feeds added with `safety-bot feeds add`): polled inside the app when on.
    feeds_enabled: bool = True
    # Per request: the whole answer must arrive within this, and be at most this long.
    feeds_timeout_s: float = Field(default=20.0, gt=0)
    feeds_max_bytes: int = Field(default=2_000_000, gt=0)
    # Failed polls back off exponentially from the feed's interval up to this.
    feeds_backoff_max_s: float = Field(default=900.0, gt=0)
    # The agency console (/console).
    # How long a sign-in lasts (a shift); after it the browser must sign in again.
    console_session_hours: float = Field(default=12.0, gt=0)
    # Consecutive wrong passwords for one username before it is locked, and for how long.
    console_lockout_attempts: int = Field(default=5, ge=1)
    console_lockout_minutes: float = Field(default=15.0, gt=0)
    # A base map under our own GeoJSON, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png
    # (unset: no tiles, the map still shows Phuket's outline, the zones and the incidents).
    console_tile_url: str | None = None
    console_tile_attribution: str = ""
    # How often each process looks for new and changed incidents, messages and deliveries.
    console_poll_interval_s: float = Field(default=1.0, gt=0)
    # Alerts composed in the console wait for a second person of the agency to approve them.
    alert_approval_required: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
