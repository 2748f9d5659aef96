"""Settings from the environment (and `.env`); secrets are `SecretStr` and never logged."""

from __future__ import annotations

from functools import lru_cache

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
    nlu_confidence_threshold: float = 0.5
    # Below this language-identification confidence the stored preference wins.
    language_confidence_threshold: float = 0.7

    load_demo_places: bool = True
    flow_timeout_minutes: int = 30
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
