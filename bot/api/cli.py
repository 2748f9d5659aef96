"""`safety-bot agency ...`: create, list and revoke the agency API's keys from the server's shell."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from actions.api_keys import NewKey, Role, create_key, find_key, list_keys, revoke
from actions.audit import record_audit
from actions.db.base import utcnow
from actions.db.migrate import upgrade_database
from actions.db.models import ApiKey
from actions.db.session import create_engine, create_session_factory
from bot.settings import get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    engine = create_engine(get_settings().database_url)
    try:
        await upgrade_database(engine)
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` with a session of the migrated database (`DATABASE_URL`), from a CLI command."""

    async def run() -> T:
        async with _session() as session:
            return await work(session)

    return asyncio.run(run())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _describe(key: ApiKey) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "active"
    return f"{key.id:>4}  {key.prefix}  {key.role:<8}  {key.agency}  ({state})"


def _agency(_: click.Context, __: click.Parameter, value: str) -> str:
    value = value.strip()
    if not value or len(value) > 128:
        raise click.BadParameter("give the agency's name (1-128 characters)")
    return value


@click.group()
def agency() -> None:
    """Keys of the agency API (Authorization: Bearer <key>)."""


@agency.command("add-key")
@click.option("--agency", "name", required=True, callback=_agency, help="The agency, e.g. tourist-police.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    required=True,
    help="viewer reads; operator also changes incidents and sends alerts; admin also manages keys, places.",
)
def add_key(name: str, role: str) -> None:
    """Create a key and print it once (the last word of the output); only its hash is stored."""

    async def work(session: AsyncSession) -> NewKey:
        now = utcnow()
        new = await create_key(session, agency=name, role=Role(role), created_by=_actor(), now=now)
        await record_audit(
            session,
            actor=_actor(),
            action="key.create",
            target=new.key.prefix,
            details={"key_id": new.key.id, "agency": name, "role": role},
            now=now,
        )
        await session.commit()
        return new

    new = run_in_session(work)
    click.echo(f"key {new.key.id} ({new.key.prefix}) for {name}, role {role}.")
    click.echo("Store it now; it is not shown again:")
    click.echo(new.secret)


@agency.command("revoke-key")
@click.argument("key")
def revoke_key(key: str) -> None:
    """Revoke KEY (its number or its prefix, e.g. 3 or psk_1a2b3c4d): it gets 401 from now on."""

    async def work(session: AsyncSession) -> tuple[ApiKey | None, bool]:
        found = await find_key(session, key)
        if found is None:
            return None, False
        now = utcnow()
        changed = revoke(found, now)
        if changed:
            await record_audit(
                session,
                actor=_actor(),
                action="key.revoke",
                target=found.prefix,
                details={"key_id": found.id, "agency": found.agency},
                now=now,
            )
            await session.commit()
        return found, changed

    found, changed = run_in_session(work)
    if found is None:
        click.echo(
            f"error: no key {key!r} (give its number or prefix; see `safety-bot agency list-keys`)", err=True
        )
        sys.exit(1)
    click.echo(
        f"{'revoked' if changed else 'already revoked'}: key {found.id} ({found.prefix}) of {found.agency}"
    )


@agency.command("list-keys")
@click.option("--agency", "name", default=None, help="Only this agency's keys.")
def list_agency_keys(name: str | None) -> None:
    """List the keys (number, prefix, role, agency, state); never the keys themselves."""
    keys = run_in_session(lambda session: list_keys(session, agency=name))
    if not keys:
        click.echo("no keys")
    for key in keys:
        click.echo(_describe(key))
