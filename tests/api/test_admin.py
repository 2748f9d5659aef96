"""The admin endpoints: the audit log of every write, and an agency's own keys."""

from __future__ import annotations

from actions.api_keys import Role
from tests.api.conftest import AGENCY, Api, add_incident, issue_key


async def test_the_audit_log_lists_every_write_newest_first(api: Api):
    reference = await add_incident(api.app, user="u")
    await api.post(f"/api/v1/incidents/{reference}/status", json={"status": "acknowledged"})
    await api.post(f"/api/v1/incidents/{reference}/notes", json={"text": "on our way"})
    await api.get(f"/api/v1/incidents/{reference}")  # a read leaves no trace

    log = await api.get("/api/v1/audit", role="admin")
    notes = await api.get("/api/v1/audit", role="admin", params={"action": "incident.note"})
    page = await api.get("/api/v1/audit", role="admin", params={"limit": 1, "offset": 1})

    assert log.status_code == 200
    items = log.json()["items"]
    assert [(i["action"], i["target"]) for i in items] == [
        ("incident.note", reference),
        ("incident.status", reference),
    ]
    assert items[1]["details"] == {"from": "new", "to": "acknowledged", "note": None}
    assert items[0]["actor"] == items[1]["actor"]
    assert items[0]["actor"].startswith(f"agency:{AGENCY}/key:")
    assert [i["action"] for i in notes.json()["items"]] == ["incident.note"]
    assert page.json()["total"] == 2 and [i["action"] for i in page.json()["items"]] == ["incident.status"]


async def test_an_admin_manages_the_keys_of_their_own_agency_only(api: Api):
    created = await api.post("/api/v1/keys", role="admin", json={"role": "viewer"})
    assert created.status_code == 201
    new = created.json()
    assert new["agency"] == AGENCY and new["role"] == "viewer" and new["key"].startswith(new["prefix"] + "_")
    headers = {"Authorization": f"Bearer {new['key']}"}
    assert (await api.client.get("/api/v1/incidents", headers=headers)).status_code == 200

    listed = (await api.get("/api/v1/keys", role="admin")).json()
    assert new["prefix"] in [k["prefix"] for k in listed]
    assert all("key" not in k for k in listed)

    other_id, _ = await issue_key(api.app, role=Role.ADMIN, agency="other")
    foreign = await api.delete(f"/api/v1/keys/{other_id}")
    assert foreign.status_code == 404
    assert other_id not in [k["id"] for k in listed]

    revoked = await api.delete(f"/api/v1/keys/{new['prefix']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await api.client.get("/api/v1/incidents", headers=headers)).status_code == 401
    assert (await api.post("/api/v1/keys", role="operator", json={"role": "admin"})).status_code == 403
    assert (await api.post("/api/v1/keys", role="admin", json={"role": "root"})).status_code == 400

    actions = [(row.action, row.target) for row in await api.audit()]
    assert actions == [("key.create", new["prefix"]), ("key.revoke", new["prefix"])]


async def test_the_api_is_documented_at_docs(api: Api):
    page = await api.client.get("/docs")
    schema = (await api.client.get("/openapi.json")).json()
    assert page.status_code == 200 and "swagger" in page.text.lower()
    for path in (
        "/api/v1/incidents",
        "/api/v1/incidents.geojson",
        "/api/v1/incidents/{reference}/status",
        "/api/v1/places/import",
        "/api/v1/audit",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["AgencyApiKey"]["scheme"] == "bearer"
    upload = schema["paths"]["/api/v1/places/import"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "text/csv", "application/geo+json"} <= set(upload)
