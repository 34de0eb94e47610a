"""Handoffs, transcripts, call-backs and handoff codes as stored: sealed personal data, UTC times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from desk.models import Author, Callback, CodeKind, Handoff, HandoffCode, Outcome, TranscriptEntry
from desk.users import StaffUsers

TEHRAN = timezone(timedelta(hours=3, minutes=30))
NATIONAL_ID = "0499370899"
PHONE = "09121234567"


async def raw_rows(session, table: str) -> str:
    rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
    assert rows
    return repr(rows)


async def test_transcript_text_and_phone_are_sealed_at_rest(session, sealer, desk_settings) -> None:
    agent = await StaffUsers(session, desk_settings).create("sara", "agent", "a long enough password", first_name="سارا")
    handoff = Handoff(conversation_id="telegram:42", channel="telegram", agency="tamin", reason="request_human")
    handoff.transcript.append(TranscriptEntry.sealed(sealer, f"کد ملی من {NATIONAL_ID} است", Author.citizen))
    handoff.transcript.append(TranscriptEntry.sealed(sealer, "سلام، بررسی می‌کنم", Author.agent, agent=agent))
    callback = Callback(
        conversation_id="telegram:42", channel="telegram", agency="tamin", reason="after_hours", preferred_time="عصر"
    )
    callback.seal_phone(sealer, PHONE)
    session.add_all([handoff, callback])
    await session.commit()

    for table in ("transcript_entries", "callbacks"):
        stored = await raw_rows(session, table)
        assert NATIONAL_ID not in stored and PHONE not in stored and "کد ملی" not in stored

    session.expunge_all()
    handoff = (await session.execute(select(Handoff))).scalar_one()
    entries = (await session.execute(select(TranscriptEntry).order_by(TranscriptEntry.id))).scalars().all()
    assert [entry.text(sealer) for entry in entries] == [f"کد ملی من {NATIONAL_ID} است", "سلام، بررسی می‌کنم"]
    assert [entry.author for entry in entries] == [Author.citizen, Author.agent]
    assert (await session.execute(select(Callback))).scalar_one().phone(sealer) == PHONE


async def test_times_come_back_as_utc(session) -> None:
    queued = datetime(2026, 3, 1, 12, 30, tzinfo=TEHRAN)
    session.add(
        Handoff(conversation_id="web:a", channel="web", reason="misunderstood", queued_at=queued, priority_reasons=["complaint"])
    )
    await session.commit()
    session.expunge_all()
    stored = (await session.execute(select(Handoff))).scalar_one()
    assert stored.queued_at == queued and stored.queued_at.tzinfo == timezone.utc and stored.queued_at.hour == 9
    assert stored.priority_reasons == ["complaint"] and stored.outcome is None
    # Compared in SQL on both engines alike.
    found = await session.execute(select(Handoff.id).where(Handoff.queued_at < datetime(2026, 3, 1, 9, 1, tzinfo=timezone.utc)))
    assert found.scalars().all() == [stored.id]
    with pytest.raises(StatementError, match="naive"):
        stored.taken_at = datetime(2026, 3, 1, 10, 0)
        await session.flush()


async def test_choices_and_unique_codes_are_enforced(session) -> None:
    expires = datetime(2026, 3, 2, tzinfo=timezone.utc)
    session.add(HandoffCode(code="H-KQWRT", kind=CodeKind.guide, target="passport-new", note="برای گذرنامه", expires_at=expires))
    await session.commit()
    session.add(HandoffCode(code="H-KQWRT", kind=CodeKind.case, expires_at=expires))
    with pytest.raises(IntegrityError):
        await session.commit()
    await session.rollback()
    # The CHECK constraint holds on both engines, whatever the ORM would let through.
    with pytest.raises(IntegrityError, match="ck_handoffs_outcome"):
        await session.execute(
            text("INSERT INTO handoffs (conversation_id, channel, reason, priority, priority_reasons, queued_at, outcome) "
                 "VALUES ('web:b', 'web', 'x', 0, '[]', '2026-03-01 00:00:00', 'vanished')")
        )  # fmt: skip
    await session.rollback()
    assert {outcome.value for outcome in Outcome} == {"returned_to_bot", "callback", "cancelled", "transferred"}


async def test_transcripts_go_with_their_handoff(session, sealer) -> None:
    """Foreign keys are on for SQLite too: a deleted handoff takes its transcript along in SQL."""
    handoff = Handoff(conversation_id="web:c", channel="web", reason="request_human")
    handoff.transcript.append(TranscriptEntry.sealed(sealer, "سلام", Author.citizen))
    session.add(handoff)
    await session.commit()
    await session.execute(text("DELETE FROM handoffs"))
    assert (await session.execute(text("SELECT count(*) FROM transcript_entries"))).scalar_one() == 0
