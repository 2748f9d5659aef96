"""The agency API under ``/api/v1/``: API-key auth with roles, incidents, places, the audit log."""
