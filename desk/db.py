"""The database: an async engine and sessions from ``DATABASE_URL``, and its Alembic upgrade.

``python -m desk.db upgrade`` brings the database to the latest revision (the desk's CLI does it
before anything else). In async code use ``upgrade_engine``: ``upgrade`` runs its own event loop.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from desk.settings import DeskSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(url: Optional[str] = None) -> str:
    return url or DeskSettings().database_url


def shown(url: str) -> str:
    """The URL for messages, its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


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
    cursor.execute("PRAGMA journal_mode=WAL")
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


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: ``DATABASE_URL``) to ``revision``."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """``upgrade`` for code already inside an event loop, on an engine it has."""

    def run(connection: Connection) -> None:
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
    upgrade(url)
    print(f"database {shown(url)} is at the latest revision")
    return 0


if __name__ == "__main__":
    sys.exit(main())
