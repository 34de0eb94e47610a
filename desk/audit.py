"""The audit log: every change a staff member (or the system) makes, and every reveal.

``detail`` is for what helps a reviewer (a count, a reason, a masked value), never a raw national
id or phone: mask them first (nlu.identifiers.mask).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy.ext.asyncio import AsyncSession

from desk.models import AuditEntry, StaffUser, utcnow


def audit(
    session: AsyncSession,
    action: str,
    actor: Optional[StaffUser] = None,
    target: Optional[str] = None,
    detail: Optional[dict[str, Any]] = None,
    at: Optional[datetime] = None,
) -> AuditEntry:
    """Add an entry to the session (written with the change it records, in the same transaction)."""
    entry = AuditEntry(at=at or utcnow(), actor=actor, action=action, target=target, detail=detail or {})
    session.add(entry)
    return entry
