"""`safety-bot console ...`: console accounts from the server's shell."""

from __future__ import annotations

import getpass
import logging
import sys

import click
from sqlalchemy.ext.asyncio import AsyncSession

from actions.api_keys import Role
from actions.audit import record_audit
from actions.console import AccountError, accounts_of, create_account
from actions.console.accounts import CONSOLE_LANGUAGES
from actions.db.base import utcnow
from actions.db.models import ConsoleUser
from bot.api.cli import run_in_session

logger = logging.getLogger(__name__)


def _read_password() -> str:
    """The password from stdin: typed twice on a terminal, else the first line of the input."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise click.UsageError("the two passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


@click.group()
def console() -> None:
    """Accounts of the agency console (/console)."""


@console.command("add-user")
@click.option("--agency", required=True, help="The agency, e.g. tourist-police.")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--username", required=True, help="2-64 characters: a-z, 0-9, '.', '_', '-'.")
@click.option("--language", type=click.Choice(CONSOLE_LANGUAGES), default="th", show_default=True)
def add_user(agency: str, role: str, username: str, language: str) -> None:
    """Create an account; the password is read from stdin (at least 10 characters)."""
    password = _read_password()
    actor = f"cli:{getpass.getuser()}"

    async def work(session: AsyncSession) -> ConsoleUser:
        now = utcnow()
        user = await create_account(
            session,
            username=username,
            password=password,
            agency=agency,
            role=Role(role),
            created_by=actor,
            now=now,
            language=language,
        )
        await record_audit(
            session,
            actor=actor,
            action="account.create",
            target=f"user:{user.username}",
            details={"agency": user.agency, "role": user.role},
            now=now,
        )
        await session.commit()
        return user

    try:
        user = run_in_session(work)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"console account {user.username} ({user.role}, {user.agency}) created")


@console.command("list-users")
def list_users() -> None:
    """List the accounts (never their passwords)."""

    async def work(session: AsyncSession) -> list[ConsoleUser]:
        return await accounts_of(session)

    users = run_in_session(work)
    if not users:
        click.echo("no accounts")
    for user in users:
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.username:<24} {user.role:<8} {user.agency}  ({state})")
