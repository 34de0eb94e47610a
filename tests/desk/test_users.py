"""The staff user repository: lock-out, logins and the audit of each change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from desk.models import AuditEntry, Role
from desk.users import StaffUsers, UserError

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
PASSWORD = "a long enough password"


async def audit_log(session) -> list[tuple[str, str | None, dict]]:
    entries = await session.execute(select(AuditEntry).order_by(AuditEntry.id))
    return [(entry.action, entry.target, entry.detail) for entry in entries.scalars()]


async def test_locked_after_the_failures_in_a_row_and_open_after_the_lock(session, desk_settings) -> None:
    users = StaffUsers(session, desk_settings)  # 3 failures, 15 minutes
    await users.create("sara", Role.agent, PASSWORD, first_name="سارا")
    for minute in range(2):
        assert await users.authenticate("sara", "wrong password!", NOW + timedelta(minutes=minute)) is None
    user = await users.require("sara")
    assert user.failed_logins == 2 and not users.locked(user, NOW)

    assert await users.authenticate("sara", "wrong password!", NOW + timedelta(minutes=2)) is None
    assert users.locked(user, NOW + timedelta(minutes=2))
    assert user.locked_until == NOW + timedelta(minutes=17)
    # Locked: even the right password is refused, and does not extend the lock.
    assert await users.authenticate("sara", PASSWORD, NOW + timedelta(minutes=16)) is None
    assert user.locked_until == NOW + timedelta(minutes=17)

    assert await users.authenticate("sara", PASSWORD, NOW + timedelta(minutes=17)) is user
    assert user.failed_logins == 0 and user.locked_until is None
    await session.commit()

    log = await audit_log(session)
    assert [action for action, _, _ in log] == ["user_created"] + ["login_failed"] * 4 + ["login"]
    assert log[3][2]["failures"] == 3 and log[3][2]["locked_until"].startswith("2026-03-01T09:17")
    assert log[4][2] == {"reason": "locked"}
    assert all(target == "sara" for _, target, _ in log)


async def test_counting_starts_again_once_a_lock_has_run_out(session, desk_settings) -> None:
    users = StaffUsers(session, desk_settings)
    user = await users.create("omid", "agent", PASSWORD)
    for _ in range(3):
        await users.record_failed_login(user, NOW)
    assert users.locked(user, NOW)
    later = NOW + timedelta(minutes=20)
    await users.record_failed_login(user, later)
    assert user.failed_logins == 1 and not users.locked(user, later)


async def test_unknown_and_disabled_users_cannot_log_in(session, desk_settings) -> None:
    users = StaffUsers(session, desk_settings)
    await users.create("reza", "supervisor", PASSWORD)
    await users.disable("reza")
    assert await users.authenticate("reza", PASSWORD, NOW) is None
    # A password typed into the name field is not written down.
    assert await users.authenticate("a long enough password", PASSWORD, NOW) is None
    await users.enable("reza")
    assert await users.authenticate("REZA ", PASSWORD, NOW) is not None
    await session.commit()
    log = await audit_log(session)
    assert [(action, target) for action, target, _ in log] == [
        ("user_created", "reza"),
        ("user_disabled", "reza"),
        ("login_failed", "reza"),
        ("login_failed", None),
        ("user_enabled", "reza"),
        ("login", "reza"),
    ]
    assert [detail.get("reason") for _, _, detail in log[2:4]] == ["disabled", "unknown_user"]
    assert PASSWORD not in str(log)


async def test_an_old_hash_is_replaced_at_login(session, desk_settings) -> None:
    users = StaffUsers(session, desk_settings)
    user = await users.create("nima", "admin", PASSWORD)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    weak = user.password_hash
    assert await users.authenticate("nima", PASSWORD, NOW) is user
    assert user.password_hash != weak and "m=8192" not in user.password_hash


async def test_mistakes_are_user_errors(session, desk_settings) -> None:
    users = StaffUsers(session, desk_settings)
    await users.create("leila", "agent", PASSWORD, agencies=["tamin", "sabt", "tamin"])
    assert (await users.require("leila")).agencies == ["sabt", "tamin"]
    with pytest.raises(UserError, match="already exists"):
        await users.create("Leila", "agent", PASSWORD)
    with pytest.raises(UserError, match="unknown role"):
        await users.create("maryam", "boss", PASSWORD)
    with pytest.raises(UserError, match="at least 10"):
        await users.create("maryam", "agent", "short")
    with pytest.raises(UserError, match="no user"):
        await users.disable("nobody")
    with pytest.raises(UserError, match="bad username"):
        await users.create("سارا", "agent", PASSWORD)
