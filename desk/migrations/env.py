"""Alembic's environment for the desk, configured in code (desk/db.py builds the configuration).

The URL comes from the caller (``config.attributes["url"]``) or ``DATABASE_URL``; a caller inside
an event loop passes its own connection (``config.attributes["connection"]``).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from desk.db import lock_for_migration, make_engine
from desk.models import Base
from desk.settings import DeskSettings

config = context.config
url: str = config.attributes.get("url") or DeskSettings().database_url


def run_locked(connection: Connection) -> None:
    lock_for_migration(connection)
    run_migrations(connection)


def run_migrations(connection: Connection) -> None:
    # Batch mode: SQLite alters a table by copying it, PostgreSQL as usual.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            # Alone, in one transaction, as desk.db's upgrade (the caller's connection is locked already).
            await connection.run_sync(run_locked)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run_migrations(config.attributes["connection"])
else:
    asyncio.run(run_online())
