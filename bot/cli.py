"""`safety-bot`: serve the app, chat in the terminal, manage the database and places."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from bot.api.cli import agency
from bot.broadcast.cli import alert, worker
from bot.console.cli import console
from bot.feeds.cli import feeds
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic narrates every plugin and step at INFO; our own line says when the schema is ready.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


@click.group()
def main() -> None:
    """Phuket tourist-safety chatbot."""
    _configure_logging(get_settings().log_level)


@main.command()
@click.option("--host", default=None, help="Bind address (default BOT_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default BOT_PORT, 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Run the web app (web chat, webhooks, APIs)."""
    import uvicorn

    from bot.app import create_app

    settings = get_settings()
    host = host or settings.bot_host
    port = port or settings.bot_port
    click.echo(f"Phuket Safety bot: http://{host}:{port}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@main.command()
@click.option("--user", default="terminal", help="User id for this conversation.")
def chat(user: str) -> None:
    """Chat with the bot in the terminal (the same dialogue as every channel)."""
    from bot.channels.terminal import run_terminal_chat

    asyncio.run(run_terminal_chat(get_settings(), user))


@main.group()
def db() -> None:
    """The incident database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations up to head."""
    from actions.db.migrate import upgrade_database
    from actions.db.session import create_engine

    async def run() -> None:
        engine = create_engine(get_settings().database_url)
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    click.echo("database is at the latest migration")


@main.group()
def webhook() -> None:
    """The LINE and Telegram webhooks."""


@webhook.command("set")
@click.option("--channel", type=click.Choice(["line", "telegram"]), required=True)
@click.option("--url", default=None, help="https://... (default PUBLIC_BASE_URL/webhooks/CHANNEL).")
def webhook_set(channel: str, url: str | None) -> None:
    """Register the webhook URL with LINE (set_webhook_endpoint) or Telegram (set_webhook + secret)."""
    from bot.channels.messengers import set_webhook

    settings = get_settings()
    if url is None:
        if not settings.public_base_url:
            raise click.UsageError("give --url or set PUBLIC_BASE_URL")
        url = f"{settings.public_base_url.rstrip('/')}/webhooks/{channel}"
    if not url.startswith("https://"):
        # Both platforms deliver webhooks to https only.
        raise click.UsageError(f"the webhook URL must start with https:// (got {url})")
    try:
        asyncio.run(set_webhook(settings, channel, url))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:
        click.echo(f"error: {channel} refused the webhook: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{channel} webhook set to {url}")


@main.group()
def places() -> None:
    """Shelters, hospitals and police stations."""


@places.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def places_import(path: Path) -> None:
    """Import places from a GeoJSON or CSV file (or every such file in a folder).

    Every row is validated first; if any is bad, each bad row is reported and nothing is written.
    """
    from actions.db.migrate import upgrade_database
    from actions.db.session import create_engine, create_session_factory
    from actions.places import PlaceImportError, place_files, read_places, upsert_places

    try:
        records = read_places(place_files(path))
    except PlaceImportError as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"nothing imported: {len(exc.errors)} bad row(s)", err=True)
        sys.exit(1)

    async def run() -> tuple[int, int]:
        engine = create_engine(get_settings().database_url)
        try:
            await upgrade_database(engine)
            async with create_session_factory(engine)() as session:
                summary = await upsert_places(session, records)
                await session.commit()
            return summary.created, summary.updated
        finally:
            await engine.dispose()

    created, updated = asyncio.run(run())
    click.echo(f"imported {len(records)} place(s): {created} new, {updated} updated")


main.add_command(agency)
main.add_command(alert)
main.add_command(worker)
main.add_command(feeds)
main.add_command(console)


if __name__ == "__main__":
    main()
