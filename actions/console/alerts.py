"""Warnings from the console: how many subscribers an area reaches, and issuing, updating and
cancelling through the alerts service, with an optional second person's approval
(ALERT_APPROVAL_REQUIRED): the draft waits until another account of the agency approves it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts.draft import AlertDraft, AreaDraft
from actions.alerts.service import AlertResult, cancel_alert, create_alert, update_alert
from actions.audit import record_audit
from actions.broadcast.outbox import PUSH_CHANNELS, alert_recipients
from actions.console.access import Permission, actor_of, require
from actions.db.models import Alert, AlertApproval, ConsoleUser
from actions.places.gazetteer import Gazetteer

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


class ApprovalError(Exception):
    """The approval cannot be decided this way (own draft, other agency, already decided)."""


@dataclass(frozen=True, slots=True)
class Reach:
    """Who an area would reach: subscribers by channel, and how many of them get a push."""

    by_channel: dict[str, int]
    pushed: int

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())


async def reach(session: AsyncSession, area: AreaDraft, *, gazetteer: Gazetteer) -> Reach:
    """The subscribers an alert over `area` would reach, counted before anything is sent."""
    probe = Alert(area=area.to_area().to_json())
    recipients = await alert_recipients(session, probe, gazetteer=gazetteer)
    by_channel = Counter(recipient.channel for recipient in recipients)
    pushed = sum(1 for r in recipients if r.channel in PUSH_CHANNELS and r.reachable)
    return Reach(dict(sorted(by_channel.items())), pushed)


async def issue(
    session: AsyncSession,
    draft: AlertDraft,
    user: ConsoleUser,
    *,
    now: datetime,
    gazetteer: Gazetteer,
    approval_required: bool,
    replaces: Alert | None = None,
) -> AlertResult | AlertApproval:
    """Issue (or, with `replaces`, update) an alert, or keep it for approval. Not committed.

    Raises:
        NotAllowed; AlertValidationError, AlertStateError (from the alerts service).
    """
    require(user, Permission.ISSUE_ALERTS)
    draft.check(gazetteer, now)
    if approval_required:
        approval = AlertApproval(
            draft=draft.model_dump(mode="json"),
            alert_id=replaces.id if replaces else None,
            agency=user.agency,
            requested_by_id=user.id,
            status=PENDING,
            created_at=now,
        )
        session.add(approval)
        await session.flush()
        await record_audit(
            session,
            actor=actor_of(user),
            action="alert.submit",
            target=f"approval:{approval.id}",
            details={"replaces": replaces.id if replaces else None, "hazard": draft.hazard.value},
            now=now,
        )
        return approval
    return await _write(session, draft, user, replaces, now=now, gazetteer=gazetteer)


async def _write(
    session: AsyncSession,
    draft: AlertDraft,
    user: ConsoleUser,
    replaces: Alert | None,
    *,
    now: datetime,
    gazetteer: Gazetteer,
) -> AlertResult:
    actor = actor_of(user)
    if replaces is not None:
        return await update_alert(session, replaces, draft, actor=actor, now=now, gazetteer=gazetteer)
    return await create_alert(session, draft, actor=actor, agency=user.agency, now=now, gazetteer=gazetteer)


async def pending_approvals(session: AsyncSession, agency: str) -> list[AlertApproval]:
    statement = (
        select(AlertApproval)
        .where(AlertApproval.status == PENDING, AlertApproval.agency == agency)
        .order_by(AlertApproval.id)
    )
    return list(await session.scalars(statement))


async def decide(
    session: AsyncSession,
    approval: AlertApproval,
    user: ConsoleUser,
    *,
    approve: bool,
    now: datetime,
    gazetteer: Gazetteer,
) -> AlertResult | None:
    """Approve (the alert is issued now) or reject a waiting draft. Not committed.

    Raises:
        ApprovalError: the approver wrote it, is of another agency, or it was decided already.
        NotAllowed; AlertValidationError, AlertStateError (an approved draft that no longer holds).
    """
    require(user, Permission.APPROVE_ALERTS)
    if approval.status != PENDING:
        raise ApprovalError(f"this draft was {approval.status} already")
    if approval.agency != user.agency:
        raise ApprovalError("only the agency that wrote it may approve it")
    if approval.requested_by_id == user.id:
        raise ApprovalError("a second person must approve it")
    approval.decided_by_id, approval.decided_at = user.id, now
    result = None
    if approve:
        draft = AlertDraft.model_validate(approval.draft)
        replaces = await session.get(Alert, approval.alert_id) if approval.alert_id else None
        result = await _write(session, draft, user, replaces, now=now, gazetteer=gazetteer)
        approval.result_alert_id = result.alert.id
    approval.status = APPROVED if approve else REJECTED
    await record_audit(
        session,
        actor=actor_of(user),
        action="alert.approve" if approve else "alert.reject",
        target=f"approval:{approval.id}",
        details={"alert_id": approval.result_alert_id},
        now=now,
    )
    return result


async def cancel(
    session: AsyncSession, alert: Alert, user: ConsoleUser, *, now: datetime, reason: str | None
) -> AlertResult:
    """Cancel an alert (one click in the console; cancelling never waits for approval).

    Raises:
        NotAllowed; AlertStateError (already cancelled).
    """
    require(user, Permission.ISSUE_ALERTS)
    return await cancel_alert(session, alert, actor=actor_of(user), now=now, reason=reason)
