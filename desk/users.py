"""Staff users: a small async repository, and the command line that manages them.

    python -m desk.users create NAME --role agent|supervisor|admin [--first-name …] [--agency …]
    python -m desk.users list | disable NAME | enable NAME | reset NAME

``create`` and ``reset`` read the password from standard input, never from an argument (where
``ps`` and the shell's history would keep it). Every change is written to the audit log with it.
Exit codes: 0 done, 1 a mistake in what was asked (the message says which), 2 a malformed command.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import re
import sys
from datetime import datetime, timedelta
from typing import Iterable, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from desk.audit import audit
from desk.models import Role, StaffUser, utcnow
from desk.passwords import WeakPassword, check_strength, hash_password, verify_password
from desk.settings import DeskSettings

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class UserError(Exception):
    """A mistake in what was asked (unknown user, taken name, bad role, weak password): one line
    for the person who asked."""


def parse_role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"unknown role {value!r}: use agent, supervisor or admin") from None


def normalise_username(value: str) -> str:
    username = value.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise UserError(f"bad username {value!r}: 2 to 64 Latin letters, digits, '.', '_' or '-'")
    return username


class StaffUsers:
    """Staff users in one session: methods flush, the caller commits (or rolls back)."""

    def __init__(self, session: AsyncSession, settings: Optional[DeskSettings] = None) -> None:
        self.session = session
        self.settings = settings or DeskSettings()

    async def get(self, username: str) -> Optional[StaffUser]:
        found = await self.session.execute(select(StaffUser).where(StaffUser.username == username.strip().lower()))
        return found.scalar_one_or_none()

    async def require(self, username: str) -> StaffUser:
        user = await self.get(username)
        if user is None:
            raise UserError(f"no user named {username!r}")
        return user

    async def list_users(self) -> list[StaffUser]:
        found = await self.session.execute(select(StaffUser).order_by(StaffUser.username))
        return list(found.scalars())

    async def create(
        self,
        username: str,
        role: str | Role,
        password: str,
        first_name: str = "",
        agencies: Iterable[str] = (),
        capacity: int = 3,
        actor: Optional[StaffUser] = None,
    ) -> StaffUser:
        username = normalise_username(username)
        role = parse_role(role)
        _check(password)
        if capacity < 1:
            raise UserError("capacity must be at least 1")
        if await self.get(username) is not None:
            raise UserError(f"a user named {username!r} already exists")
        user = StaffUser(
            username=username,
            first_name=first_name.strip(),
            role=role,
            password_hash=hash_password(password),
            agencies=sorted(set(agencies)),
            capacity=capacity,
        )
        self.session.add(user)
        audit(self.session, "user_created", actor, username, {"role": role.value, "agencies": user.agencies})
        try:
            await self.session.flush()
        except IntegrityError:  # created at the same moment by someone else
            raise UserError(f"a user named {username!r} already exists") from None
        return user

    async def disable(self, username: str, actor: Optional[StaffUser] = None) -> StaffUser:
        return await self._set_disabled(username, True, actor)

    async def enable(self, username: str, actor: Optional[StaffUser] = None) -> StaffUser:
        return await self._set_disabled(username, False, actor)

    async def _set_disabled(self, username: str, disabled: bool, actor: Optional[StaffUser]) -> StaffUser:
        user = await self.require(username)
        user.disabled = disabled
        audit(self.session, "user_disabled" if disabled else "user_enabled", actor, user.username)
        await self.session.flush()
        return user

    async def reset_password(self, username: str, password: str, actor: Optional[StaffUser] = None) -> StaffUser:
        """A new password; it also lifts a lock-out."""
        user = await self.require(username)
        _check(password)
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        audit(self.session, "password_reset", actor, user.username)
        await self.session.flush()
        return user

    def locked(self, user: StaffUser, now: datetime) -> bool:
        return user.locked_until is not None and now < user.locked_until

    async def record_failed_login(self, user: StaffUser, now: datetime) -> None:
        """One more wrong password: the account locks for DESK_LOCKOUT_MINUTES after
        DESK_MAX_FAILED_LOGINS in a row; after a lock has run out, counting starts again."""
        if user.locked_until is not None and not self.locked(user, now):
            user.locked_until = None
            user.failed_logins = 0
        user.failed_logins += 1
        detail: dict[str, object] = {"reason": "password", "failures": user.failed_logins}
        if user.failed_logins >= self.settings.desk_max_failed_logins:
            user.locked_until = now + timedelta(minutes=self.settings.desk_lockout_minutes)
            detail["locked_until"] = user.locked_until.isoformat()
        audit(self.session, "login_failed", user, user.username, detail, at=now)
        await self.session.flush()

    async def record_login(self, user: StaffUser, now: datetime, rehashed: Optional[str] = None) -> None:
        user.failed_logins = 0
        user.locked_until = None
        if rehashed:
            user.password_hash = rehashed
        audit(self.session, "login", user, user.username, at=now)
        await self.session.flush()

    async def authenticate(self, username: str, password: str, now: Optional[datetime] = None) -> Optional[StaffUser]:
        """The user when the password is right and the account neither disabled nor locked; each
        attempt is audited. Unknown names are not written down (people type passwords there)."""
        now = now or utcnow()
        user = await self.get(username)
        if user is None:
            verify_password(_unknown_user_hash(), password)
            audit(self.session, "login_failed", None, None, {"reason": "unknown_user"}, at=now)
            await self.session.flush()
            return None
        if user.disabled or self.locked(user, now):
            reason = "disabled" if user.disabled else "locked"
            audit(self.session, "login_failed", user, user.username, {"reason": reason}, at=now)
            await self.session.flush()
            return None
        verified = verify_password(user.password_hash, password)
        if not verified.ok:
            await self.record_failed_login(user, now)
            return None
        await self.record_login(user, now, verified.rehashed)
        return user


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the username is unknown, so an unknown name takes as long as a wrong password."""
    return hash_password("not a user of this desk")


def _check(password: str) -> None:
    try:
        check_strength(password)
    except WeakPassword as error:
        raise UserError(str(error)) from None


# The command line.


def read_password() -> str:
    """The password from standard input: asked twice without echo at a terminal, else one line."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise UserError("the two passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def known_agencies() -> set[str]:
    from agencies.catalog import CatalogFile

    return {agency.id for agency in CatalogFile().get().agencies}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m desk.users",
        description="Manage the desk's staff users (database: DATABASE_URL). Passwords are read from standard input.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="add a user; the password comes from standard input")
    create.add_argument("name")
    create.add_argument("--role", required=True, help="agent, supervisor or admin")
    create.add_argument("--first-name", default="", help="the first name citizens see, in Persian")
    create.add_argument("--agency", action="append", default=[], help="an agency id it serves (repeat; none: all)")
    create.add_argument("--capacity", type=int, default=3, help="conversations at once (default 3)")
    commands.add_parser("list", help="every user and their state")
    for name, text in (
        ("disable", "stop a user from logging in"),
        ("enable", "let a disabled user log in again"),
        ("reset", "set a new password from standard input (also lifts a lock-out)"),
    ):
        commands.add_parser(name, help=text).add_argument("name")
    return parser


async def _run(args: argparse.Namespace, settings: DeskSettings, password: str) -> None:
    from desk.db import make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            users = StaffUsers(session, settings)
            if args.command == "create":
                user = await users.create(args.name, args.role, password, args.first_name, args.agency, args.capacity)
                print(f"created {user.role.value} {user.username}")
            elif args.command == "list":
                now = utcnow()
                for user in await users.list_users():
                    state = "disabled" if user.disabled else "locked" if users.locked(user, now) else "active"
                    agencies = ",".join(user.agencies) or "all"
                    print(f"{user.username}\t{user.role.value}\t{state}\t{agencies}\t{user.capacity}\t{user.first_name}")
            elif args.command == "disable":
                print(f"disabled {(await users.disable(args.name)).username}")
            elif args.command == "enable":
                print(f"enabled {(await users.enable(args.name)).username}")
            elif args.command == "reset":
                print(f"new password set for {(await users.reset_password(args.name, password)).username}")
    finally:
        await engine.dispose()


def main(argv: Optional[Sequence[str]] = None) -> int:
    from desk.db import upgrade

    args = _parser().parse_args(argv)
    try:
        password = ""
        if args.command == "create":
            normalise_username(args.name)
            parse_role(args.role)
            unknown = sorted(set(args.agency) - known_agencies())
            if unknown:
                raise UserError(f"unknown agency {unknown[0]!r}: one of {', '.join(sorted(known_agencies()))}")
        if args.command in ("create", "reset"):
            password = read_password()
            _check(password)
        settings = DeskSettings()
        upgrade(settings.database_url)
        asyncio.run(_run(args, settings, password))
    except UserError as error:
        print(f"desk.users: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
