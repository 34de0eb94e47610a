"""``python -m desk.users``, run as a process with the database in DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

from sqlalchemy import select

from desk.db import make_engine, session_factory
from desk.models import AuditEntry, Role
from desk.passwords import verify_password
from desk.users import StaffUsers
from tests.conftest import ROOT


def cli(url: str, *args: str, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desk.users", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess, message: str) -> bool:
    lines = done.stderr.strip().splitlines()
    return done.returncode == 1 and len(lines) == 1 and message in lines[0] and done.stdout == ""


async def test_create_list_disable_and_reset(database_url: str) -> None:
    created = cli(
        database_url, "create", "Sara", "--role", "agent", "--first-name", "سارا", "--agency", "tamin", stdin="first password\n"
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created agent sara"
    assert cli(database_url, "create", "reza", "--role", "supervisor", stdin="another password\n").returncode == 0

    listed = cli(database_url, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["reza\tsupervisor\tactive\tall\t3\t", "sara\tagent\tactive\ttamin\t3\tسارا"]

    assert cli(database_url, "disable", "sara").stdout.strip() == "disabled sara"
    assert "sara\tagent\tdisabled" in cli(database_url, "list").stdout
    assert cli(database_url, "enable", "sara").returncode == 0
    reset = cli(database_url, "reset", "sara", stdin="second password\r\n")
    assert reset.returncode == 0 and reset.stdout.strip() == "new password set for sara"

    engine = make_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            sara = await StaffUsers(session).require("sara")
            assert sara.role is Role.agent and sara.first_name == "سارا" and sara.agencies == ["tamin"] and not sara.disabled
            assert verify_password(sara.password_hash, "second password").ok
            assert not verify_password(sara.password_hash, "first password").ok
            entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
            assert [(entry.action, entry.target, entry.actor_id) for entry in entries] == [
                ("user_created", "sara", None),
                ("user_created", "reza", None),
                ("user_disabled", "sara", None),
                ("user_enabled", "sara", None),
                ("password_reset", "sara", None),
            ]
    finally:
        await engine.dispose()


async def test_mistakes_exit_1_with_one_line(database_url: str) -> None:
    assert cli(database_url, "create", "sara", "--role", "agent", stdin="first password\n").returncode == 0
    assert refused(cli(database_url, "create", "SARA", "--role", "admin", stdin="first password\n"), "already exists")
    assert refused(cli(database_url, "create", "omid", "--role", "boss", stdin="first password\n"), "unknown role 'boss'")
    assert refused(cli(database_url, "create", "omid", "--role", "agent", stdin="too short\n"), "at least 10 characters")
    assert refused(cli(database_url, "create", "omid", "--role", "agent"), "the password is empty")
    assert refused(
        cli(database_url, "create", "omid", "--role", "agent", "--agency", "nasa", stdin="first password\n"),
        "unknown agency 'nasa'",
    )
    assert refused(cli(database_url, "disable", "omid"), "no user named 'omid'")
    assert refused(cli(database_url, "reset", "sara", stdin="\n"), "the password is empty")
    # None of those made a user.
    assert [line.split("\t")[0] for line in cli(database_url, "list").stdout.splitlines()] == ["sara"]
    # The password is never an argument.
    assert cli(database_url, "create", "omid", "--role", "agent", "--password", "first password").returncode == 2
