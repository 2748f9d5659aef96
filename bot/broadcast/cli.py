"""`safety-bot alert send` (issue an alert and watch its delivery) and `safety-bot worker`."""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
import time
from datetime import timedelta

import click
from pydantic import ValidationError

from actions.alerts.draft import AlertDraft, AlertValidationError, AreaDraft, field_errors
from actions.alerts.service import AlertResult, create_alert
from actions.alerts.vocabulary import Certainty, Hazard, Severity, Urgency
from actions.broadcast import DeliveryCounts, delivery_counts
from actions.db.base import utcnow
from actions.db.migrate import upgrade_database
from actions.db.session import create_engine, create_session_factory
from actions.domain import Channel
from bot.settings import Settings, get_settings

DEFAULT_AGENCY = "Phuket Smart Safety"
POLL_INTERVAL_S = 0.5
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(
    _: click.Context | None, __: click.Parameter | None, value: str | None
) -> timedelta | None:
    """`90s`, `30m`, `2h` or `1d` as a timedelta."""
    if value is None:
        return None
    match = _DURATION.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{value!r} is not a duration such as 30m, 2h or 1d")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@click.command()
@click.option(
    "--channel",
    "channels",
    type=click.Choice([Channel.LINE.value, Channel.TELEGRAM.value]),
    multiple=True,
    help="Deliver only on this channel (repeatable; default: every channel with credentials).",
)
def worker(channels: tuple[str, ...]) -> None:
    """Run a delivery worker (alert broadcasts on LINE and Telegram) until SIGTERM or Ctrl-C.

    The app runs one too (DELIVERY_WORKER_ENABLED). Rates are per process: for large broadcasts
    run one worker per channel (--channel) and set DELIVERY_WORKER_ENABLED=false in the app.
    """
    from bot.broadcast.process import run_worker_process

    asyncio.run(run_worker_process(get_settings(), channels or (Channel.LINE, Channel.TELEGRAM)))


@click.group()
def alert() -> None:
    """Public warnings: issue one to the subscribers of its area."""


@alert.command("send")
@click.option("--hazard", type=click.Choice([h.value for h in Hazard]), required=True)
@click.option("--severity", type=click.Choice([s.value for s in Severity]), required=True)
@click.option("--urgency", type=click.Choice([u.value for u in Urgency]), default=Urgency.IMMEDIATE.value)
@click.option(
    "--certainty", type=click.Choice([c.value for c in Certainty]), default=Certainty.OBSERVED.value
)
@click.option("--zone", "zones", multiple=True, help="A gazetteer zone (patong, kata, ...); repeatable.")
@click.option("--all-phuket", is_flag=True, help="The whole province instead of zones.")
@click.option("--headline-th", help="Headline in Thai (give each language with its instruction).")
@click.option("--headline-en", help="Headline in English (at least one language is required).")
@click.option("--instruction-th")
@click.option("--instruction-en")
@click.option("--expires-in", callback=parse_duration, help="e.g. 2h; default: until cancelled.")
@click.option("--agency", default=DEFAULT_AGENCY, show_default=True)
@click.option("--wait/--no-wait", default=True, help="Show delivery progress until it ends.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Stop watching after N s.")
def alert_send(
    hazard: str,
    severity: str,
    urgency: str,
    certainty: str,
    zones: tuple[str, ...],
    all_phuket: bool,
    headline_th: str | None,
    headline_en: str | None,
    instruction_th: str | None,
    instruction_en: str | None,
    expires_in: timedelta | None,
    agency: str,
    wait: bool,
    timeout: float | None,
) -> None:
    """Issue an alert and show its delivery until every subscriber's message is settled.

    Delivery is done by a running worker (the app's, or `safety-bot worker`); Ctrl-C stops
    watching, not the delivery. Exits 1 when some deliveries failed.
    """
    now = utcnow()
    try:
        draft = AlertDraft(
            hazard=Hazard(hazard),
            severity=Severity(severity),
            urgency=Urgency(urgency),
            certainty=Certainty(certainty),
            area=AreaDraft(zones=list(zones), all_phuket=all_phuket),
            headline=_given({"th": headline_th, "en": headline_en}),
            instruction=_given({"th": instruction_th, "en": instruction_en}),
            expires=now + expires_in if expires_in else None,
        )
    except ValidationError as exc:
        raise click.UsageError("; ".join(error.msg for error in field_errors(exc.errors()))) from exc
    settings = get_settings()
    try:
        counts = asyncio.run(_send(settings, draft, agency, wait=wait, watch_s=timeout))
    except AlertValidationError as exc:
        raise click.UsageError("; ".join(error.msg for error in exc.errors)) from exc
    if counts is not None and counts.by_state["failed"]:
        sys.exit(1)


def _given(texts: dict[str, str | None]) -> dict[str, str]:
    return {language: text for language, text in texts.items() if text is not None}


async def _send(
    settings: Settings, draft: AlertDraft, agency: str, *, wait: bool, watch_s: float | None
) -> DeliveryCounts | None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            result: AlertResult = await create_alert(
                session, draft, actor=f"cli:{getpass.getuser()}", agency=agency, now=utcnow()
            )
            await session.commit()
        alert_id = result.alert.id
        click.echo(f"alert {alert_id} ({result.alert.identifier}): {result.deliveries} subscriber(s)")
        if result.fallback_languages:
            click.echo(f"standard wording for: {' '.join(result.fallback_languages)}")
        if not wait:
            return None
        deadline = None if watch_s is None else time.monotonic() + watch_s
        async with sessions() as session:
            counts = await delivery_counts(session, alert_id)
        with click.progressbar(length=counts.total, label="delivering", show_pos=True) as bar:
            shown = 0
            while True:
                bar.update(counts.finished - shown)
                shown = counts.finished
                if counts.done or (deadline is not None and time.monotonic() >= deadline):
                    break
                await asyncio.sleep(POLL_INTERVAL_S)
                async with sessions() as session:
                    counts = await delivery_counts(session, alert_id)
        states = counts.by_state
        click.echo(
            f"sent {states['sent']}, failed {states['failed']}, skipped {states['skipped']}"
            + ("" if counts.done else f", still pending {states['pending'] + states['sending']}")
        )
        return counts
    finally:
        await engine.dispose()
