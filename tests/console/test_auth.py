"""Signing in to the console: passwords, the lock-out, sessions, CSRF, roles, the CLI."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from actions.api_keys import Role
from actions.db.base import utcnow
from actions.db.models import ConsoleSession, ConsoleUser, Incident
from tests.bot.conftest import running_app
from tests.conftest import ROOT
from tests.console.conftest import PASSWORD, Console, add_account, console_settings, report_sos


async def test_sign_in_sets_a_protected_session_cookie_and_shows_the_queue(console: Console) -> None:
    await add_account(console.app, "somchai", Role.OPERATOR)
    person = console.person()
    response = await person.sign_in("somchai")
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("console_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here; see the next test
    page = await person.get("/console")
    assert page.status_code == 200
    assert "somchai" in page.text
    async with console.app.state.sessions() as session:
        stored = list(await session.scalars(select(ConsoleSession.token_hash)))
    token = person.client.cookies.get("console_session")
    assert token and token not in stored, "only a hash of the session token is stored"
    assert [e.target for e in await console.audit("console.login")] == ["user:somchai"]


async def test_cookies_are_secure_when_published_over_https(database_url: str, dead_nlu_url: str) -> None:
    # Behind a TLS-terminating proxy the app sees http, but the browser is on https.
    settings = console_settings(database_url, dead_nlu_url, public_base_url="https://console.example.org")
    async with running_app(settings) as (app, client):
        form = await client.get("/console/login")
        cookie = form.headers["set-cookie"]
        assert cookie.startswith("console_login_csrf=") and "Secure" in cookie and "HttpOnly" in cookie
        await add_account(app, "anong", Role.VIEWER)
        https = Console(app, "https://bot.test", httpx.ASGITransport(app=app))
        response = await https.person().sign_in("anong")
        session_cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("console_session=")
        )
        assert "Secure" in session_cookie
        await https.aclose()


async def test_a_wrong_password_is_refused_like_an_unknown_name(console: Console) -> None:
    await add_account(console.app, "somchai", Role.OPERATOR)
    wrong = await console.person().sign_in("somchai", "not the password at all")
    unknown = await console.person().sign_in("nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password" in wrong.text or "ไม่ถูกต้อง" in wrong.text
    assert wrong.text.count("refusal") == unknown.text.count("refusal") == 1
    assert "console_session" not in wrong.headers.get("set-cookie", "")
    assert (await console.person().get("/console", follow_redirects=False)).status_code == 303


async def test_repeated_failures_lock_the_username_even_against_the_right_password(console: Console) -> None:
    await add_account(console.app, "somchai", Role.OPERATOR)
    attempts = console.app.state.settings.console_lockout_attempts
    for _ in range(attempts):
        response = await console.person().sign_in("somchai", "guess guess guess")
    assert response.status_code == 401
    right = await console.person().sign_in("somchai")
    assert right.status_code == 401, "locked: the right password does not open it either"
    async with console.app.state.sessions() as session:
        user = await session.scalar(select(ConsoleUser).where(ConsoleUser.username == "somchai"))
        assert user is not None and user.locked_until is not None and user.locked_until > utcnow()
        # The lock is in the database: it holds for every process, and after a restart.
        await session.execute(update(ConsoleUser).values(locked_until=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert (await console.person().sign_in("somchai")).status_code == 303
    assert len(await console.audit("console.lockout")) == 1


async def test_an_expired_session_is_refused(console: Console) -> None:
    person = await console.signed_in("somchai", Role.OPERATOR)
    async with console.app.state.sessions() as session:
        await session.execute(update(ConsoleSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    page = await person.get("/console", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/login?next=")
    fragment = await person.get("/console/queue", headers={"HX-Request": "true"})
    assert fragment.status_code == 401
    assert fragment.headers["HX-Redirect"].startswith("/console/login")
    assert (await person.get("/console/events")).status_code == 401


async def test_a_write_without_the_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    person = await console.signed_in("somchai", Role.OPERATOR)
    reference = await report_sos(console.reporter(), "help! drowning at Patong beach")
    missing = await person.post(f"/console/incidents/{reference}/claim", csrf=False)
    assert missing.status_code == 403
    person.csrf = "forged-token"
    forged = await person.post(f"/console/incidents/{reference}/claim")
    assert forged.status_code == 403
    async with console.app.state.sessions() as session:
        incident = await session.scalar(select(Incident).where(Incident.reference == reference))
        assert incident is not None and incident.claimed_by_id is None


async def test_the_sign_in_form_needs_its_own_token(console: Console) -> None:
    await add_account(console.app, "somchai", Role.OPERATOR)
    response = await console.person().client.post(
        "/console/login", data={"username": "somchai", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "console_session" not in response.headers.get("set-cookie", "")


async def test_a_viewer_sees_no_buttons_and_is_refused_every_write(console: Console) -> None:
    viewer = await console.signed_in("malee", Role.VIEWER)
    reference = await report_sos(console.reporter(), "help! drowning at Patong beach")
    page = await viewer.get(f"/console/incidents/{reference}")
    assert page.status_code == 200
    assert reference in page.text
    for action in ("/claim", "/status", "/messages", "/notes", "/duplicate"):
        assert f"/console/incidents/{reference}{action}" not in page.text
    refused = [
        await viewer.post(f"/console/incidents/{reference}/claim"),
        await viewer.post(f"/console/incidents/{reference}/status", {"status": "acknowledged"}),
        await viewer.post(f"/console/incidents/{reference}/messages", {"phrase": "help_on_the_way"}),
        await viewer.post(f"/console/incidents/{reference}/notes", {"text": "x"}),
        await viewer.post("/console/alerts/reach", {"area": ""}),
    ]
    assert [r.status_code for r in refused[:4]] == [403, 403, 403, 403]
    assert (await viewer.get("/console/alerts/new")).status_code == 403
    assert (await viewer.get("/console/audit")).status_code == 403
    assert (await viewer.get("/console/accounts")).status_code == 403
    async with console.app.state.sessions() as session:
        incident = await session.scalar(select(Incident).where(Incident.reference == reference))
        assert incident is not None and incident.status == "new" and incident.claimed_by_id is None


async def test_sign_out_ends_the_session(console: Console) -> None:
    person = await console.signed_in("somchai", Role.OPERATOR)
    response = await person.client.post("/console/logout", data={"csrf_token": person.csrf})
    assert response.status_code == 303
    async with console.app.state.sessions() as session:
        assert list(await session.scalars(select(ConsoleSession))) == []


async def test_admins_manage_the_accounts_of_their_agency(console: Console) -> None:
    admin = await console.signed_in("chief", Role.ADMIN)
    created = await admin.client.post(
        "/console/accounts",
        data={"username": "new.operator", "password": PASSWORD, "role": "operator", "csrf_token": admin.csrf},
    )
    assert created.status_code == 200
    assert "new.operator" in created.text
    newcomer = console.person()
    assert (await newcomer.sign_in("new.operator")).status_code == 303
    async with console.app.state.sessions() as session:
        user = await session.scalar(select(ConsoleUser).where(ConsoleUser.username == "new.operator"))
        assert user is not None and user.agency == "tourist-police"
    deactivated = await admin.client.post(
        f"/console/accounts/{user.id}", data={"active": "no", "csrf_token": admin.csrf}
    )
    assert deactivated.status_code == 200
    assert (await newcomer.get("/console", follow_redirects=False)).status_code == 303
    assert [e.action for e in await console.audit() if e.action.startswith("account.")] == [
        "account.create",
        "account.update",
    ]


def test_cli_add_user_reads_the_password_from_stdin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": database}
    command = [
        str(ROOT / ".venv" / "bin" / "safety-bot"),
        "console",
        "add-user",
        "--agency",
        "ddpm-phuket",
        "--role",
        "operator",
        "--username",
        "Kanya",
    ]
    done = subprocess.run(
        command, input=PASSWORD + "\n", env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "console account kanya (operator, ddpm-phuket) created" in done.stdout
    short = subprocess.run(command, input="short\n", env=env, capture_output=True, text=True, check=False)
    assert short.returncode != 0
    assert "at least 10 characters" in short.stderr
