"""The database: an async engine and sessions from ``DATABASE_URL``, and its Alembic upgrade.

``python -m desk.db upgrade`` brings the database to the latest revision (the desk's CLI does it
before anything else). In async code use ``upgrade_engine``: ``upgrade`` runs its own event loop.
Upgrades are serialised (``lock_for_migration``): gateways started at once on a fresh database
migrate it once, the others find it at the latest revision.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from desk.settings import DeskSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# PostgreSQL's advisory lock for migrations: any fixed number, the same in every process ("Hamyar"
# in ASCII). Advisory locks are per database, so databases on one server do not wait for each other.
MIGRATION_LOCK_KEY = int.from_bytes(b"Hamyar", "big")
# How long an upgrade on SQLite waits for another one's write transaction before giving up.
SQLITE_MIGRATION_WAIT_MS = 120_000


def database_url(url: Optional[str] = None) -> str:
    return url or DeskSettings().database_url


def shown(url: str) -> str:
    """The URL for messages, its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def unshared_database(url: str, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Why this process must not start on ``url``, or None. Under Kubernetes (every pod has
    ``KUBERNETES_SERVICE_HOST``) a SQLite file would be each replica's own, lost with its pod."""
    environ = os.environ if environ is None else environ
    if not environ.get("KUBERNETES_SERVICE_HOST") or make_url(url).get_backend_name() != "sqlite":
        return None
    return (
        f"refusing to start: DATABASE_URL is SQLite ({shown(url)}) under Kubernetes, where each replica would"
        " keep its own file; set DATABASE_URL in the hamyar-secrets Secret to a PostgreSQL URL"
        " (postgresql+asyncpg://…, docs/kubernetes.md)"
    )


def make_engine(url: Optional[str] = None, **options: Any) -> AsyncEngine:
    """An engine for ``url`` (default: ``DATABASE_URL``); SQLite gets its folder and foreign keys."""
    url = database_url(url)
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)  # like .run/, readable by this user only
    engine = create_async_engine(url, **options)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite leaves foreign keys unchecked unless each connection asks; WAL lets readers (other
    # gateway processes) go on while one writes.
    cursor.execute("PRAGMA foreign_keys=ON")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as error:
        # A new database that another connection is turning to WAL while it writes (processes
        # migrating at once): SQLite refuses at once rather than risk a deadlock. This connection
        # follows the file's mode, WAL once the other has committed.
        if "locked" not in str(error):
            raise
    finally:
        cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: the desk hands them to pages and replies.
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: Optional[str] = None, connection: Optional[Connection] = None) -> Config:
    """Alembic's configuration, built here rather than read from alembic.ini: the URL (which may
    hold a password) is passed in memory, never written to a file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = database_url(url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def lock_for_migration(connection: Connection) -> None:
    """Wait until no other connection is migrating this database, then keep it so until the
    connection's transaction ends; what the migration reads next (the current revision) is then
    what the other one committed, so a process that waited finds the database at head.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback (or when the
    connection drops). SQLite: its write lock, taken by ``BEGIN IMMEDIATE``; the driver would
    otherwise begin a transaction only before INSERT, UPDATE or DELETE and run each CREATE TABLE on
    its own, so two processes would both create the first tables."""
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif backend == "sqlite":
        # The connection's usual wait for a lock (5 s) is too short behind another migration.
        previous = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_MIGRATION_WAIT_MS}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {previous}")


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: ``DATABASE_URL``) to ``revision``."""
    asyncio.run(_upgrade_url(database_url(url), revision))


async def _upgrade_url(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """``upgrade`` for code already inside an event loop, on an engine it has; in one transaction,
    after ``lock_for_migration``."""

    def run(connection: Connection) -> None:
        # The lock comes before Alembic starts: Alembic keeps its context in module globals, so two
        # upgrades in one process must not interleave either.
        lock_for_migration(connection)
        command.upgrade(alembic_config(engine.url.render_as_string(hide_password=False), connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine) -> Optional[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desk.db", description="The desk's database (DATABASE_URL).")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="bring the database to the latest revision")
    parser.parse_args(argv)
    url = database_url()
    problem = unshared_database(url)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    upgrade(url)
    print(f"database {shown(url)} is at the latest revision")
    return 0


if __name__ == "__main__":
    sys.exit(main())
