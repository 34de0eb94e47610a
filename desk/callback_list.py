"""The call-back list as agents work it: the requests not done yet (phones masked), what came of a
call (called, not reached, done), and the audited reveal of the phone to dial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from agencies.sealing import Sealer
from desk.audit import audit
from desk.conversation import staff_name
from desk.models import Callback, CallbackStatus, StaffUser
from nlu.identifiers import mask

# At most this many are listed, oldest first: a longer list is worked from its top.
LISTED = 200
# What an agent may record of a call; "requested" is the citizen's.
OUTCOMES = (CallbackStatus.called, CallbackStatus.not_reached, CallbackStatus.done)


@dataclass(frozen=True)
class CallbackRow:
    id: int
    conversation_id: str
    channel: str
    agency: Optional[str]
    phone: str  # masked
    preferred_time: str
    reason: str
    status: CallbackStatus
    created_at: datetime
    handled_at: Optional[datetime]
    handled_by: Optional[str]


async def open_callbacks(session: AsyncSession, sealer: Sealer, user: StaffUser) -> list[CallbackRow]:
    """The requests not done yet in the agencies the user serves, oldest first."""
    found = await session.execute(
        select(Callback)
        .where(Callback.status != CallbackStatus.done)
        .order_by(Callback.created_at, Callback.id)
        .limit(LISTED)
        .options(selectinload(Callback.handled_by))
    )
    return [
        CallbackRow(
            id=row.id,
            conversation_id=row.conversation_id,
            channel=row.channel,
            agency=row.agency,
            phone=mask(row.phone(sealer)),
            preferred_time=row.preferred_time,
            reason=row.reason,
            status=row.status,
            created_at=row.created_at,
            handled_at=row.handled_at,
            handled_by=staff_name(row.handled_by) or None,
        )
        for row in found.scalars()
        if user.serves(row.agency)
    ]


async def callbacks_marker(session: AsyncSession, user: StaffUser) -> str:
    """What changes whenever the user's open call-back list does (a request, a call's outcome):
    pages compare it to know when to read the list again. Of the agencies the user serves only,
    as the list is."""
    query = select(func.count(Callback.id), func.max(Callback.id), func.max(Callback.handled_at)).where(
        Callback.status != CallbackStatus.done
    )
    if user.agencies:
        query = query.where(Callback.agency.in_(user.agencies))
    found = await session.execute(query)
    count, newest, handled = found.one()
    return f"{count}:{newest or 0}:{handled.timestamp() if handled else 0}"


async def _served(session: AsyncSession, callback_id: int, user: StaffUser) -> Optional[Callback]:
    row = await session.get(Callback, callback_id)
    return row if row is not None and user.serves(row.agency) else None


async def record_outcome(session: AsyncSession, callback_id: int, status: CallbackStatus, user: StaffUser, now: datetime) -> bool:
    """What came of the call, audited; False when the request is not one the user serves."""
    row = await _served(session, callback_id, user)
    if row is None:
        return False
    actor = await session.get(StaffUser, user.id)
    row.status, row.handled_at, row.handled_by = status, now, actor
    audit(session, "callback", actor, f"callback:{callback_id}", {"status": status.value}, at=now)
    return True


async def reveal_phone(session: AsyncSession, sealer: Sealer, callback_id: int, user: StaffUser, now: datetime) -> Optional[str]:
    """The phone in full, to dial; audited without the number. None when not the user's to see."""
    row = await _served(session, callback_id, user)
    if row is None:
        return None
    audit(session, "reveal", await session.get(StaffUser, user.id), f"callback:{callback_id}", {}, at=now)
    return row.phone(sealer)
