"""`GET /api/v1/alerts/{id}/deliveries`: how far an alert's delivery has come (viewer role)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.broadcast import delivery_counts
from actions.db.models import Alert
from bot.api.auth import Role, require
from bot.api.common import MAX_DATABASE_ID

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class DeliveryProgress(BaseModel):
    alert_id: int
    identifier: str
    total: int
    # Every state (pending, sending, sent, failed, skipped) with its count, zero included.
    counts: dict[str, int]
    # Every delivery is in a final state (sent, failed or skipped).
    done: bool


@router.get(
    "/alerts/{alert_id}/deliveries",
    response_model=DeliveryProgress,
    dependencies=[Depends(require(Role.VIEWER))],
)
async def alert_deliveries(
    request: Request,
    alert_id: Annotated[int, Path(ge=1, le=MAX_DATABASE_ID)],
) -> DeliveryProgress:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        alert = await session.get(Alert, alert_id)
        if alert is None:
            raise HTTPException(status_code=404, detail=f"no alert {alert_id}")
        counts = await delivery_counts(session, alert_id)
    return DeliveryProgress(
        alert_id=alert_id,
        identifier=alert.identifier,
        total=counts.total,
        counts=counts.by_state,
        done=counts.done,
    )
