"""Who may do what in the console: each permission needs a role (viewer ⊂ operator ⊂ admin)."""

from __future__ import annotations

from enum import StrEnum

from actions.api_keys import Role
from actions.db.models import ConsoleUser


class Permission(StrEnum):
    VIEW = "view"
    # Claim, change the status, talk to the reporter, mark duplicates, add notes.
    WORK_INCIDENTS = "work_incidents"
    # Take over an incident another person has claimed.
    TAKE_OVER = "take_over"
    ISSUE_ALERTS = "issue_alerts"
    APPROVE_ALERTS = "approve_alerts"
    MANAGE_ACCOUNTS = "manage_accounts"
    READ_AUDIT = "read_audit"


REQUIRED_ROLE: dict[Permission, Role] = {
    Permission.VIEW: Role.VIEWER,
    Permission.WORK_INCIDENTS: Role.OPERATOR,
    Permission.TAKE_OVER: Role.ADMIN,
    Permission.ISSUE_ALERTS: Role.OPERATOR,
    Permission.APPROVE_ALERTS: Role.OPERATOR,
    Permission.MANAGE_ACCOUNTS: Role.ADMIN,
    Permission.READ_AUDIT: Role.ADMIN,
}


class NotAllowed(PermissionError):
    """The account's role does not allow this."""

    def __init__(self, permission: Permission, role: Role) -> None:
        super().__init__(f"this needs the {REQUIRED_ROLE[permission].value} role; you are {role.value}")
        self.permission = permission


def may(user: ConsoleUser, permission: Permission) -> bool:
    return Role(user.role).includes(REQUIRED_ROLE[permission])


def require(user: ConsoleUser, permission: Permission) -> None:
    """Raises NotAllowed unless the account's role allows `permission`."""
    if not may(user, permission):
        raise NotAllowed(permission, Role(user.role))


def actor_of(user: ConsoleUser) -> str:
    """How a console account appears in incident events and the audit log."""
    return f"agency:{user.agency}/user:{user.username}"
