"""API keys: Bearer auth, 401 for no/wrong/revoked keys, 403 for a role too low, keys made by the CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from actions.db.models import ApiKey, AuditLog
from bot.cli import main
from bot.settings import get_settings
from tests.api.conftest import PATONG_HOSPITAL, Api, add_incident, open_api
from tests.bot.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
SAFETY_BOT = Path(sys.executable).parent / "safety-bot"


async def cli(database_url: str, *args: str) -> Result:
    """`safety-bot ARGS` in-process (in a thread: the command runs its own event loop)."""
    env = {"DATABASE_URL": database_url}
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)
    finally:
        get_settings.cache_clear()


async def test_no_key_or_a_wrong_key_gets_401(api: Api):
    real = api.keys["admin"]
    wrong_secret = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    attempts = {
        "no header": {},
        "empty bearer": {"Authorization": "Bearer "},
        "not a key": {"Authorization": "Bearer let-me-in"},
        "right prefix, wrong secret": {"Authorization": f"Bearer {wrong_secret}"},
        "basic auth": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    }
    for name, headers in attempts.items():
        response = await api.client.get("/api/v1/incidents", headers=headers)
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name
        assert response.json()["detail"], name
    assert (await api.get("/api/v1/incidents", role="admin")).status_code == 200


async def test_a_role_too_low_gets_403_and_higher_roles_include_lower_ones(api: Api):
    reference = await add_incident(api.app, user="u1")
    status_url = f"/api/v1/incidents/{reference}/status"

    viewer_write = await api.post(status_url, role="viewer", json={"status": "acknowledged"})
    viewer_note = await api.post(f"/api/v1/incidents/{reference}/notes", role="viewer", json={"text": "hi"})
    operator_place = await api.post("/api/v1/places", role="operator", json=PATONG_HOSPITAL)
    operator_audit = await api.get("/api/v1/audit", role="operator")
    assert [r.status_code for r in (viewer_write, viewer_note, operator_place, operator_audit)] == [403] * 4
    assert "operator" in viewer_write.json()["detail"] and "viewer" in viewer_write.json()["detail"]
    # Refused writes changed nothing and left no audit rows.
    assert (await api.get(f"/api/v1/incidents/{reference}")).json()["status"] == "new"
    assert await api.audit() == []

    assert (await api.get("/api/v1/incidents", role="viewer")).status_code == 200
    assert (await api.get("/api/v1/places", role="viewer")).status_code == 200
    operator_write = await api.post(status_url, role="operator", json={"status": "acknowledged"})
    assert operator_write.status_code == 200
    assert operator_write.json()["status"] == "acknowledged"
    admin_write = await api.post(status_url, role="admin", json={"status": "dispatched"})
    assert admin_write.status_code == 200
    assert (await api.post("/api/v1/places", role="admin", json=PATONG_HOSPITAL)).status_code == 201
    assert (await api.get("/api/v1/audit", role="admin")).status_code == 200


async def test_add_key_prints_the_key_as_its_last_word_and_that_key_works(
    database_url, dead_nlu_url, tmp_path
):
    # A real process, as an administrator's script would run it (a directory without a .env).
    process = await asyncio.create_subprocess_exec(
        str(SAFETY_BOT),
        "agency",
        "add-key",
        "--agency",
        "phuket-disaster-office",
        "--role",
        "operator",
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    key = stdout.decode().split()[-1]

    settings = make_settings(database_url, dead_nlu_url, load_demo_places=False)
    async with open_api(settings) as api:
        reference = await add_incident(api.app, user="u1")
        headers = {"Authorization": f"Bearer {key}"}
        listed = await api.client.get("/api/v1/incidents", headers=headers)
        changed = await api.client.post(
            f"/api/v1/incidents/{reference}/status", headers=headers, json={"status": "acknowledged"}
        )
        audit = await api.client.get("/api/v1/audit", headers=headers)
        async with api.app.state.sessions() as session:
            stored = (
                await session.scalars(select(ApiKey).where(ApiKey.agency == "phuket-disaster-office"))
            ).one()
            [created] = await session.scalars(select(AuditLog).where(AuditLog.action == "key.create"))

    assert [listed.status_code, changed.status_code, audit.status_code] == [200, 200, 403]
    assert [e["actor"] for e in changed.json()["events"]][
        -1
    ] == f"agency:phuket-disaster-office/key:{stored.id}"
    # Only the hash is stored; the prefix in the output names the key.
    assert key not in {stored.key_hash, stored.prefix} and key.startswith(stored.prefix + "_")
    assert stored.prefix in stdout.decode() and stored.role == "operator"
    assert created.target == stored.prefix and created.actor.startswith("cli:")
    assert created.details == {"key_id": stored.id, "agency": "phuket-disaster-office", "role": "operator"}


async def test_a_revoked_key_gets_401_and_the_others_still_work(api: Api, database_url):
    async with api.app.state.sessions() as session:
        operator = (await session.scalars(select(ApiKey).where(ApiKey.role == "operator"))).one()
    assert (await api.get("/api/v1/incidents", role="operator")).status_code == 200

    revoked = await cli(database_url, "agency", "revoke-key", operator.prefix)
    again = await cli(database_url, "agency", "revoke-key", str(operator.id))
    unknown = await cli(database_url, "agency", "revoke-key", "psk_00000000")
    listed = await cli(database_url, "agency", "list-keys")

    assert revoked.exit_code == 0, revoked.output
    assert f"revoked: key {operator.id} ({operator.prefix})" in revoked.output
    assert again.exit_code == 0 and "already revoked" in again.output
    assert unknown.exit_code == 1 and "no key 'psk_00000000'" in unknown.output
    response = await api.get("/api/v1/incidents", role="operator")
    assert response.status_code == 401
    assert (await api.get("/api/v1/incidents", role="viewer")).status_code == 200
    # The list names keys by prefix and never shows a key.
    assert operator.prefix in listed.output and "revoked" in listed.output
    assert not any(secret in listed.output for secret in api.keys.values())
    [audit] = [row for row in await api.audit() if row.action == "key.revoke"]
    assert audit.target == operator.prefix and audit.actor.startswith("cli:")


@pytest.mark.parametrize("role", ["nobody", ""])
async def test_add_key_refuses_an_unknown_role(database_url, role):
    result = await cli(database_url, "agency", "add-key", "--agency", "x", "--role", role)
    assert result.exit_code == 2
    assert "psk_" not in result.output
